"""End to end through `python bot.py`, on the streaming path and the placeholder path (a workspace without
streaming): after real tool calls the fake model answers with a text the test chooses (FakeOpenAI.answers), and
what reaches Slack, at any moment, never shows an invented figure or a part of one, a labelled link, or a bare
@channel from a tool name the model made up.

One bot process serves the module; each test uses its own channel and thread.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oilfx.figures import REMOVED, REMOVED_MARK
from oilfx.guard import removed_warning
from oilfx.i18n import EN, KO
from oilfx.market import Quote, format_krw, format_usd
from oilfx.market.quote import round_won
from tests.fakes.bot_process import BotProcess, start_connected
from tests.fakes.slack_server import FakeSlack, Message

TIMEOUT = 20.0
PATHS = ["stream", "placeholder"]


@pytest.fixture(scope="module")
def bot(slack, openai_fake, pages, tmp_path_factory) -> Iterator[BotProcess]:
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_CACHE_TTL": "0",
           "OILFX_DB": str(tmp_path_factory.mktemp("guard") / "oilfx.db"), "OILFX_OPENAI_MAX_RETRIES": "0"}
    process = start_connected(env, slack)
    yield process
    process.stop()


@pytest.fixture(params=PATHS)
def path(request, slack, openai_fake) -> Iterator[str]:
    if request.param == "placeholder":
        slack.disable_ai_features()
    try:
        yield request.param
    finally:
        slack.clear_faults()
        openai_fake.answers.clear()


def ask(slack: FakeSlack, question: str, channel: str, last: str = "· oilfx") -> tuple[Message, list[str]]:
    """The final answer in the thread, and every text Slack was ever sent for that thread (stream chunks, task
    titles and outputs, each version of a placeholder, every message). `last`: what the last message shows."""
    payload = slack.app_mention(question, channel=channel)
    slack.wait_ack(slack.deliver("events_api", payload))
    thread = payload["event"]["ts"]
    msg = slack.wait_for_message(channel=channel, thread_ts=thread, contains=last, timeout=TIMEOUT,
                                   final=True)
    seen: list[str] = []
    for m in slack.posted(channel, thread):
        seen.append(m.all_text)
        seen += [str(v.get("text")) + str(v.get("blocks")) for v in m.versions]
        seen += [str(c.get("text", "")) + str(c.get("title", "")) + str(c.get("output", "")) for c in m.chunks()]
    return msg, seen


def invented_won(quote: Quote) -> int:
    """A won figure no tool produced: 97,310 with the fixture pages (the issue's example)."""
    return int(round_won(quote.krw_per_barrel("WTI"))) - 1182


def test_invented_figures_in_natural_spellings_are_removed_whole_on_both_paths(bot, slack, openai_fake, quote,
                                                                                 path):
    real, usd = format_krw(quote.krw_per_barrel("WTI")), format_usd(quote.oil["WTI"].usd)
    fake = invented_won(quote)
    round_fake = fake // 1000 * 1000
    invented = [f"{round_fake // 10000}만 {round_fake % 10000 // 1000}천원", f"W{fake:,}", f"₩\u200b{fake:,}",
                f"{fake:,} Korean won", f"₩{round_won(quote.fx.rate):,}", f"{quote.oil['WTI'].usd}원",
                f"${round_won(quote.oil['WTI'].usd) + 1}.00"]
    answer = f"WTI is {real} per barrel ({usd}). Earlier quotes: " + "; ".join(invented) + "."
    openai_fake.answers.append(answer)
    msg, seen = ask(slack, "WTI in won per barrel?", f"C0GUARD{path[:4].upper()}")
    expected = f"WTI is {real} per barrel ({usd}). Earlier quotes: " + "; ".join([REMOVED] * len(invented)) + "."
    assert expected in msg.all_text and EN.render(removed_warning(len(invented))) in msg.all_text
    for text in seen:
        for figure in invented:
            assert figure not in text
        assert f"{fake:,}" not in text and f"{round_fake // 10000}만" not in text   # not even a part of one


def test_without_a_tool_call_a_korean_unit_amount_is_removed(bot, slack, openai_fake, quote, path):
    figure = f"{invented_won(quote) // 10000}만 {invented_won(quote) % 10000 // 1000}천원"
    openai_fake.answers.append(((), f"WTI는 약 {figure} 정도입니다."))
    msg, seen = ask(slack, "WTI 원화로?", f"C0NOTOOL{path[:4].upper()}")
    # a Korean question: the guard's warning is written in Korean (the reader's language), as a count
    marker = KO.render(REMOVED_MARK)   # the Korean marker, streamed and final alike
    assert marker != REMOVED and f"WTI는 약 {marker} 정도입니다." in msg.all_text
    assert KO.render(removed_warning(1)) in msg.all_text
    assert "did not come from" not in msg.all_text
    assert not any(figure.split()[0] in text for text in seen)


def test_a_labelled_link_shows_its_url_on_both_paths(bot, slack, openai_fake, quote, path):
    real = format_krw(quote.krw_per_barrel("WTI"))
    openai_fake.answers.append(f"WTI is {real} per barrel. Source: [KNOC](https://evil.example/knoc).")
    msg, seen = ask(slack, "WTI in won per barrel?", f"C0LINK{path[:4].upper()}")
    assert "Source: KNOC (https://evil.example/knoc)." in msg.all_text
    for text in seen:
        assert "[KNOC](" not in text and "|KNOC>" not in text


def test_an_invented_tool_name_is_escaped_in_titles_and_steps(bot, slack, openai_fake, path):
    openai_fake.answers.append(([("oil_price", "{}"), ("@channel", "{}")], "Done."))
    channel = f"C0NAME{path[:4].upper()}"
    _, seen = ask(slack, "WTI in won? show steps", channel, last="Run steps")
    text = "\n".join(seen)
    assert "@\u200bchannel" in text and "@channel" not in text
    answer = slack.wait_for_message(channel=channel, contains="Done.", timeout=TIMEOUT, final=True)
    titles = [c.get("title") for c in answer.chunks() if c.get("type") == "task_update"]
    assert ("Calling @\u200bchannel" in titles) == (path == "stream")
