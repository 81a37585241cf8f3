"""Links and names the model chooses (issue 21, finding 4), through the modules: a Markdown link shows its URL on
both paths (render.to_mrkdwn for messages, SafeText for streams, however the deltas fall), and a tool name the model
invents is escaped as answers are wherever it is shown (task titles, the progress placeholder, the steps)."""

from __future__ import annotations

import pytest

from oilfx.engines.base import Answer, ToolStep
from oilfx.i18n import EN
from oilfx.slack.render import ZWSP, render_progress, steps_breakdown, to_mrkdwn
from oilfx.slack.stream_text import SafeText, task_title

LINKS = [
    ("Source: [KNOC](https://evil.example/knoc).", "Source: KNOC (https://evil.example/knoc)."),
    ("[https://www.knoc.co.kr/](https://www.knoc.co.kr/)", "https://www.knoc.co.kr/"),
    ("[https://www.knoc.co.kr/](https://evil.example)", "https://www.knoc.co.kr/ (https://evil.example)"),
    ("see [here](mailto:x@evil.example)", "see here (mailto:x@evil.example)"),
    ("![chart](https://evil.example/c.png) [a](https://a.example) and [b](https://b.example)",
     "!chart (https://evil.example/c.png) a (https://a.example) and b (https://b.example)"),
]
NAMES = ["@channel", "<!here>", "get_@everyone", "<!channel|@channel>", "<@U123>"]


@pytest.mark.parametrize(("markdown", "shown"), LINKS)
def test_a_link_in_a_message_shows_its_url(markdown, shown):
    out = to_mrkdwn(markdown)
    assert out == shown and "|" not in out and "<" not in out


@pytest.mark.parametrize("size", [1, 2, 3, 1000])
@pytest.mark.parametrize(("markdown", "shown"), LINKS)
def test_a_link_in_a_stream_shows_its_url_whatever_the_deltas(markdown, shown, size):
    safe = SafeText()
    out = "".join(safe.feed(markdown[i:i + size]) for i in range(0, len(markdown), size)) + safe.end()
    assert out == shown and "](" not in out


def _no_bare_mention(text: str) -> None:
    for word in ("@channel", "@here", "@everyone", "<!", "<@"):
        assert word not in text


@pytest.mark.parametrize("name", NAMES)
def test_an_invented_tool_name_is_escaped_wherever_it_is_shown(name):
    title = task_title(name, "{}", EN)
    _no_bare_mention(title)
    assert title.startswith("Calling ") and "@" + ZWSP in title
    progress = render_progress(EN, running=[name], done=[name])
    _no_bare_mention(progress.text)
    step = ToolStep(1, "c1", name, '{"x":"@here"}', f'{{"error":"unknown tool {name!r}"}}', False, 1.0)
    breakdown = steps_breakdown(Answer("", (step,), "c", "responses"), EN)
    _no_bare_mention(breakdown)
    assert breakdown.count("@" + ZWSP) >= 3   # the name, the argument, the error quoting the name
