"""Slack faults whose outcome is unknown, against `python bot.py` on both paths (streaming, the default, and the
placeholder, OILFX_STREAM=false): a 5xx on the first post, a post Slack applied but answered after the client gave
up, a progress update that hangs and is applied late, an update applied but answered with a 5xx. Whatever Slack
does, the thread ends with the answer exactly once and no "Looking up crude prices…" left behind.

The fake answers a 5xx as Slack does (its HTML "Server Error | Slack" page, tests/fakes/slack_faults.py). The bot's
Slack timeout is short here (OILFX_SLACK_TIMEOUT) so that "answered too late" takes seconds, not 30."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from oilfx.i18n import EN
from oilfx.market import Quote, format_krw
from oilfx.slack.render import progress_text
from tests.fakes.bot_process import BotProcess, start_connected
from tests.fakes.slack_server import FakeSlack, Message

TIMEOUT = 25.0
SLACK_TIMEOUT = 1.5   # OILFX_SLACK_TIMEOUT: progress updates get at most this too
LATE = SLACK_TIMEOUT + 1.5  # past the client's timeout
FOOTER = "oilfx responses"  # the end of the sources line under every answer

PROGRESS_TEXT = progress_text(EN)  # the bot process's users read English (clean_env)


@pytest.fixture(scope="module", params=["true", "false"], ids=["streaming", "placeholder"])
def path(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def bot(servers, path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    slack, openai_fake, pages = servers
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_OPENAI_MAX_RETRIES": "0", "OILFX_STREAM": path,
           "OILFX_SLACK_TIMEOUT": str(SLACK_TIMEOUT),
           "OILFX_DB": str(tmp_path_factory.mktemp("ambiguous") / "oilfx.db")}
    process = start_connected(env, slack)
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def no_faults_after(slack: FakeSlack, openai_fake) -> Iterator[None]:
    yield
    slack.clear_faults()
    openai_fake.latency = 0.0


def ask(slack: FakeSlack, question: str, channel: str) -> str:
    payload = slack.app_mention(question, channel=channel)
    slack.wait_ack(slack.deliver("events_api", payload))
    return payload["event"]["ts"]


def in_channel(channel: str):
    return lambda p: p.get("channel") == channel


def wti(quote: Quote) -> str:
    return format_krw(quote.krw_per_barrel("WTI"))


def settled(slack: FakeSlack, channel: str, ts: str, figure: str) -> list[Message]:
    """The thread once the answer is in it and nothing is streaming or still says "Looking up"."""
    def done() -> bool:
        msgs = slack.posted(channel, ts)
        return (any(figure in m.all_text and FOOTER in m.all_text for m in msgs)
                and not any(m.streaming or PROGRESS_TEXT in m.all_text for m in msgs))
    slack.wait_for(done, TIMEOUT, what=f"the answer alone in thread {ts}; log so far in the bot")
    return slack.posted(channel, ts)


def turn_over(bot: BotProcess, channel: str) -> None:
    """Wait for the bot to log the end of the turn in `channel` (its last Slack call may follow the answer's)."""
    deadline = time.monotonic() + TIMEOUT
    while not any(f"channel={channel} " in line and ("turn answered" in line or "not delivered" in line)
                  for line in bot.log().splitlines()):
        assert time.monotonic() < deadline, f"the turn in {channel} did not end; log:\n{bot.log()[-4000:]}"
        time.sleep(0.1)


def assert_answered_once(bot: BotProcess, slack: FakeSlack, channel: str, ts: str, figure: str) -> Message:
    turn_over(bot, channel)
    messages = settled(slack, channel, ts, figure)
    assert len(messages) == 1, [m.all_text[:120] for m in messages]
    assert figure in messages[0].all_text and PROGRESS_TEXT not in messages[0].all_text
    return messages[0]


@pytest.mark.parametrize("failures", [1, 3], ids=["one_500", "500_until_the_answer"])
def test_a_5xx_on_the_first_post_never_costs_the_answer(bot, slack, quote, path, failures):
    """One 5xx: the post is retried (after looking for it). Three (every attempt at the placeholder): the turn goes
    on and the answer is posted when ready. Streaming: chat.startStream's 5xx falls back to the placeholder."""
    channel = f"C0FIVE{failures}{path[0].upper()}"
    if path == "true":
        slack.server_error("chat.startStream", times=1, when=in_channel(channel))
    slack.server_error("chat.postMessage", times=failures, when=in_channel(channel))
    ts = ask(slack, "WTI in won? (5xx on the first post)", channel)
    assert_answered_once(bot, slack, channel, ts, wti(quote))
    failed = [c for c in slack.calls_to("chat.postMessage") if c.params.get("channel") == channel and c.status == 500]
    assert len(failed) == failures


@pytest.mark.parametrize("fault", ["answer_late", "apply_late"])
def test_a_first_post_applied_after_the_timeout_leaves_one_answer(bot, slack, quote, path, fault):
    """The first post (placeholder, or chat.startStream) times out. answer_late: Slack had applied it; the bot finds
    it (our metadata; for a stream, the thread's newest empty bot message) and answers there. apply_late: Slack
    applies it only after the bot looked and posted again; the bot deletes the late copy once answered. Either way
    no second message, no "Looking up crude prices…" and no empty open stream is left."""
    channel = f"C0LATE{fault[6:].upper()}{path[0].upper()}"
    method = "chat.startStream" if path == "true" else "chat.postMessage"
    getattr(slack, fault)(method, LATE, times=1, when=in_channel(channel))
    ts = ask(slack, f"WTI in won? (first post, {fault})", channel)
    slack.wait_for_call(method, timeout=TIMEOUT, where=lambda c: c.params.get("channel") == channel
                        and getattr(c, "hitch", "") == fault)  # recorded once Slack applied it
    answer = assert_answered_once(bot, slack, channel, ts, wti(quote))
    if path == "true" and fault == "answer_late":
        assert answer.kind == "stream"  # the late stream carried the answer
    else:
        assert answer.kind == "message" and answer.versions[0]["text"].startswith(PROGRESS_TEXT)
    assert any(c.method == "conversations.replies" and c.params.get("channel") == channel for c in slack.calls)


def test_a_hung_progress_update_neither_stalls_nor_overwrites_the_answer(bot, slack, openai_fake, quote, path):
    """Placeholder: a progress chat.update hangs past the timeout and Slack applies it after the answer: the turn
    does not wait for it, and the answer is applied again over it, so the thread ends with the answer. Streaming
    (its progress is appendStream's task updates): a hung append breaks the stream, which the answer replaces."""
    channel = "C0HUNGUPD" + path[0].upper()
    openai_fake.latency = 0.7  # rounds long enough for a progress update (at most one per second)
    if path == "true":
        slack.apply_late("chat.appendStream", LATE, times=1, when=in_channel(channel))
        ts = ask(slack, "WTI in won? (hung stream append)", channel)
        slack.wait_for_call("chat.appendStream", timeout=TIMEOUT,
                            where=lambda c: c.params.get("channel") == channel and getattr(c, "hitch", ""))
        assert_answered_once(bot, slack, channel, ts, wti(quote))
        return
    slack.apply_late("chat.update", LATE, times=1,
                     when=lambda p: p.get("channel") == channel and PROGRESS_TEXT in (p.get("text") or ""))
    ts = ask(slack, "WTI in won? (hung progress update)", channel)
    hung = slack.wait_for_call("chat.update", timeout=TIMEOUT,
                               where=lambda c: c.params.get("channel") == channel and getattr(c, "hitch", ""))
    answer = slack.wait_for_message(channel=channel, thread_ts=ts, contains=FOOTER, timeout=TIMEOUT)
    first_answer = next(v["time"] for v in answer.versions if FOOTER in v["text"])
    assert first_answer < hung.time  # answered before Slack applied the hung update: the turn did not wait
    overwritten = slack.wait_for(lambda: any(v["time"] >= hung.time and FOOTER in v["text"]
                                             for v in answer.versions), TIMEOUT,
                                 what="the answer applied again after the late progress update")
    assert overwritten
    assert_answered_once(bot, slack, channel, ts, wti(quote))


def test_an_update_applied_but_reported_failed_shows_the_answer_once(bot, slack, quote, path):
    """The update that puts the answer in place is applied, then answered with Slack's 5xx page: the bot repeats
    the update (same content), never posts the answer a second time. Streaming: the same for chat.stopStream."""
    channel = "C0APPLIED" + path[0].upper()
    method = "chat.stopStream" if path == "true" else "chat.update"
    slack.apply_then_fail(method, times=1,
                          when=lambda p: p.get("channel") == channel and PROGRESS_TEXT not in (p.get("text") or ""))
    ts = ask(slack, "WTI in won? (update applied, reported failed)", channel)
    assert_answered_once(bot, slack, channel, ts, wti(quote))
    assert any(getattr(c, "hitch", "") == "apply_then_fail" for c in slack.calls_to(method)
               if c.params.get("channel") == channel)
