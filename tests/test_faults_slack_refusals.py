"""Slack refusing an answer's content, against `python bot.py` on both paths: streaming (the default) and the
placeholder (OILFX_STREAM=false). Refused blocks -> the answer as plain mrkdwn text (still neutralised), split if
long; refused again -> a one-line apology; a stream whose appendStream / stopStream is refused is finished or
replaced, never left open. The fake refuses as Slack does: HTTP 200 {"ok": false, "error": "invalid_blocks"}."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from oilfx.market import Quote, format_krw
from tests.fakes.bot_process import BotProcess, start_connected
from tests.fakes.openai_server import EVIL, Script
from tests.fakes.slack_server import FakeSlack, Message

TIMEOUT = 20.0
FOOTER = "oilfx responses"  # the end of the sources line under every answer (the model's text has "Sources:" too)


@pytest.fixture(scope="module", params=["true", "false"], ids=["streaming", "placeholder"])
def path(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def bot(servers, path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    slack, openai_fake, pages = servers
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_OPENAI_MAX_RETRIES": "0", "OILFX_STREAM": path,
           "OILFX_DB": str(tmp_path_factory.mktemp("refusals") / "oilfx.db")}
    process = start_connected(env, slack)
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def no_faults_after(slack: FakeSlack) -> Iterator[None]:
    yield
    slack.clear_faults()


def ask(slack: FakeSlack, question: str, channel: str) -> str:
    payload = slack.app_mention(question, channel=channel)
    slack.wait_ack(slack.deliver("events_api", payload))
    return payload["event"]["ts"]


def finished(slack: FakeSlack, channel: str, ts: str, contains: str) -> list[Message]:
    """The thread once a message in it contains `contains` and nothing in it is still streaming."""
    slack.wait_for(lambda: any(contains in m.all_text for m in slack.posted(channel, ts))
                   and not any(m.streaming for m in slack.posted(channel, ts)), TIMEOUT,
                   what=f"{contains!r} in thread {ts}, nothing left streaming")
    return slack.posted(channel, ts)


def sent_to(slack: FakeSlack, channel: str) -> str:
    return "\n".join(json.dumps(c.params, ensure_ascii=False) for c in slack.calls
                     if c.params.get("channel") == channel)


def wti(quote: Quote) -> str:
    return format_krw(quote.krw_per_barrel("WTI"))


@pytest.mark.parametrize("error", ["invalid_blocks", "msg_blocks_too_long"])
def test_refused_blocks_the_answer_comes_as_plain_text(bot, slack, openai_fake, quote, path, error):
    slack.refuse_blocks(error)
    channel = f"C0PLAIN{error[:3].upper()}{path[0].upper()}"
    with openai_fake.scripted(Script.misbehave("evil")):
        ts = ask(slack, "WTI in won?", channel)
        [answer] = finished(slack, channel, ts, FOOTER)
    assert wti(quote) in answer.all_text and FOOTER in answer.all_text and "Looking up" not in answer.all_text
    if path == "false" or answer.kind == "message":
        assert not answer.blocks  # the plain-text fallback
    everything = sent_to(slack, channel)
    for dangerous in ("<!channel>", "<@U123>", "<https://evil.example|click>", *EVIL.split()):
        assert dangerous not in everything
    assert any(c.response.get("error") == error for c in slack.calls if c.params.get("channel") == channel)


def test_a_long_answer_refused_as_blocks_is_split_into_plain_messages(bot, slack, openai_fake, path):
    slack.refuse_blocks("invalid_blocks")
    channel = "C0LONGPLAIN" + path[0].upper()
    with openai_fake.scripted(Script.misbehave("long")):
        ts = ask(slack, "Tell me everything about WTI", channel)
        messages = finished(slack, channel, ts, FOOTER)
    assert len(messages) >= 3 and all(len(m.text) <= 4000 for m in messages)
    assert all(not m.blocks for m in messages if m.kind == "message")
    notes = [int(n) for n in re.findall(r"Note (\d+):", "\n".join(m.text for m in messages))]
    assert notes and notes == list(range(1, len(notes) + 1))  # nothing lost between the pieces


def test_refused_as_blocks_and_as_text_the_thread_gets_an_apology(bot, slack, path):
    slack.refuse_blocks("invalid_blocks")
    slack.refuse_text("msg_too_long", longer_than=120)  # the progress line and the apology are shorter
    channel = "C0SORRY" + path[0].upper()
    ts = ask(slack, "WTI in won? (refused twice)", channel)
    messages = finished(slack, channel, ts, "Slack refused this answer")
    assert len(messages) == 1 and "Looking up" not in messages[0].all_text


@pytest.mark.parametrize("method", ["chat.appendStream", "chat.stopStream"])
def test_a_refused_stream_is_finished_or_replaced_never_left_open(bot, slack, quote, path, method):
    if path == "false":
        pytest.skip("the placeholder path does not stream")
    slack.fail(method, "msg_too_long" if method == "chat.appendStream" else "internal_error", times=None)
    channel = "C0STREAMNO" + method[5:9].upper()
    ts = ask(slack, "WTI in won? (stream refused)", channel)
    [answer] = finished(slack, channel, ts, FOOTER)
    assert wti(quote) in answer.all_text
    assert slack.calls_to(method) and not any(c.ok for c in slack.calls_to(method)
                                              if c.params.get("channel") == channel)
