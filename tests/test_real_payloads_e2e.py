"""End to end with what Slack really sends: the samples in ../shared/slack_payloads (read at test time through
tests/fakes/real_payloads.py, changed only as their PROVENANCE.md says) delivered over Socket Mode to `python bot.py`
on its default settings (streaming on), with the fake OpenAI and the fixture market pages. Each question is
answered once in its thread; edits, deletions and bots' messages are not answered.

One bot process serves the module; every test uses its own channel (the panel test uses the samples' D111).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import pytest

from oilfx.i18n import EN
from oilfx.market import Quote, format_krw
from oilfx.slack.listeners.actions.feedback import thanks
from oilfx.slack.listeners.assistant.thread_started import greeting
from oilfx.slack.listeners.assistant.user_message import status, title_for
from tests.fakes.bot_process import BotProcess, start_connected
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.pages import PagesServer
from tests.fakes.real_payloads import RealPayloads
from tests.fakes.slack_server import FakeSlack, Message

TIMEOUT = 20.0
GRACE = 1.0  # room for a wrongly accepted delivery to post before counting


@pytest.fixture(scope="module")
def bot_env(slack: FakeSlack, openai_fake: FakeOpenAI, pages: PagesServer,
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    db = tmp_path_factory.mktemp("store") / "oilfx.db"
    # OILFX_STREAM=true is the bot's default (bot_process.clean_env turns it off unless told).
    return {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_DB": str(db), "OILFX_STREAM": "true",
            "OILFX_OPENAI_MAX_RETRIES": "0", "OILFX_LOG_LEVEL": "INFO"}


@pytest.fixture(scope="module")
def bot(slack: FakeSlack, bot_env: dict[str, str]) -> Iterator[BotProcess]:
    process = start_connected(bot_env, slack)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def real(slack: FakeSlack) -> RealPayloads:
    return RealPayloads(slack.workspace)


def deliver(slack: FakeSlack, payload: dict[str, Any], kind: str = "events_api") -> str:
    envelope = slack.deliver(kind, payload)
    slack.wait_ack(envelope)
    return envelope


def answered(slack: FakeSlack, channel: str, thread_ts: str | None, quote: Quote) -> Message:
    """The one finished answer with the WTI won figure (the fake model's default benchmark) in `thread_ts`."""
    wti = format_krw(quote.krw_per_barrel("WTI"))
    return slack.wait_for_message(channel=channel, thread_ts=thread_ts, contains=wti, final=True, timeout=TIMEOUT)


def model_turns(openai_fake: FakeOpenAI, question: str) -> int:
    """How many model turns started with `question` as the user's input (one per answered delivery)."""
    return sum(1 for r in openai_fake.requests if r["path"] == "/v1/responses" and any(
        isinstance(i, dict) and i.get("content") == question for i in (r["body"] or {}).get("input") or []))


# --- @mentions --------------------------------------------------------------------------------------------------

def test_docs_mention_and_its_socket_mode_retry_are_answered_once_in_its_thread(bot, slack, real, quote):
    payload = real.mention("C0RDOCS")
    deliver(slack, payload)
    retry = real.retry_envelope(payload)
    assert retry["retry_attempt"] == 1 and retry["payload"]["event_id"] == payload["event_id"]
    slack.wait_ack(slack.deliver_envelope(retry))
    ts = payload["event"]["ts"]
    reply = answered(slack, "C0RDOCS", ts, quote)
    assert reply.thread_ts == ts
    time.sleep(GRACE)
    assert len(slack.posted("C0RDOCS")) == 1


def test_mention_with_files_is_answered(bot, slack, real, quote):
    payload = real.mention_with_files("C0RFILES")
    deliver(slack, payload)
    answered(slack, "C0RFILES", payload["event"]["ts"], quote)


def test_an_edited_mention_is_not_answered_again(bot, slack, real, openai_fake, quote):
    question = "WTI now? (edited later)"
    original, edit = real.edited_mention("C0REDIT", question)
    assert original["event_id"] != edit["event_id"] and original["event"]["ts"] == edit["event"]["ts"]
    deliver(slack, original)
    thread = original["event"]["thread_ts"]
    answered(slack, "C0REDIT", thread, quote)
    deliver(slack, edit)
    # The edit arriving while the first answer is still being worked on is not answered either.
    racing, racing_edit = real.edited_mention("C0REDIT2", question + " (racing)")
    deliver(slack, racing)
    deliver(slack, racing_edit)
    answered(slack, "C0REDIT2", racing["event"]["thread_ts"], quote)
    time.sleep(GRACE)
    assert len(slack.posted("C0REDIT")) == 1 and len(slack.posted("C0REDIT2")) == 1
    assert model_turns(openai_fake, question) == 1 and model_turns(openai_fake, question + " (racing)") == 1


@pytest.mark.parametrize("in_thread_reply", [False, True], ids=["thread_broadcast", "mention_in_thread_reply"])
def test_a_mention_in_a_thread_reply_is_answered_in_that_thread(bot, slack, real, quote, in_thread_reply):
    channel = "C0RREPLY" if in_thread_reply else "C0RBCAST"
    payload = real.broadcast_mention(channel, in_thread_reply=in_thread_reply)
    assert ("subtype" in payload["event"]) is not in_thread_reply
    deliver(slack, payload)
    thread = payload["event"]["thread_ts"]
    assert answered(slack, channel, thread, quote).thread_ts == thread
    time.sleep(GRACE)
    assert len(slack.posted(channel)) == 1


def test_another_apps_mention_is_ignored(bot, slack, real, quote):
    deliver(slack, real.mention_from_bot("C0RBOT"))
    sentinel = real.mention("C0RBOT")  # a human's mention after it, in the same channel, is answered
    deliver(slack, sentinel)
    answered(slack, "C0RBOT", sentinel["event"]["ts"], quote)
    time.sleep(GRACE)
    assert len(slack.posted("C0RBOT")) == 1


# --- DMs --------------------------------------------------------------------------------------------------------

def test_dm_questions_with_a_file_or_broadcast_are_answered_and_other_dm_events_ignored(bot, slack, real, quote):
    channel = "D0RDM01"
    plain, file_share, broadcast = (real.dm_user_message(channel), real.dm_file_share(channel),
                                    real.dm_thread_broadcast(channel))
    for payload in (plain, file_share):
        deliver(slack, payload)
        # Top-level DMs are answered in place; the answers are told apart by what follows them.
        slack.wait_for_message(channel=channel, thread_ts=None, contains="₩", count=1 + (payload is file_share),
                               final=True, timeout=TIMEOUT)
    deliver(slack, broadcast)
    thread = broadcast["event"]["thread_ts"]
    assert answered(slack, channel, thread, quote).thread_ts == thread
    for ignored in real.dm_ignored(channel).values():
        deliver(slack, ignored)
    time.sleep(GRACE)
    assert len(slack.posted(channel)) == 3, [m.all_text[:60] for m in slack.posted(channel)]


# --- the assistant panel ----------------------------------------------------------------------------------------

def test_assistant_panel_samples(bot, slack, real, openai_fake, quote):
    started = real.assistant("assistant_thread_started")
    channel, thread = (started["event"]["assistant_thread"][k] for k in ("channel_id", "thread_ts"))
    deliver(slack, started)
    slack.wait_for_message(channel=channel, thread_ts=thread, contains=greeting(EN)[:30], timeout=TIMEOUT)
    slack.wait_for_call("assistant.threads.setSuggestedPrompts", timeout=TIMEOUT)
    deliver(slack, real.assistant("assistant_thread_context_changed"))
    # A refused title (one attempt) must not cost the user the status.
    slack.fail("assistant.threads.setTitle", "invalid_arguments", times=1)
    question = "When is WTI cheapest in won?"
    deliver(slack, real.assistant_question(question))
    answered(slack, channel, thread, quote)
    set_status = slack.wait_for_call("assistant.threads.setStatus", timeout=TIMEOUT,
                                     where=lambda c: c.params.get("status") == status(EN))
    assert set_status.params["thread_ts"] == thread
    assert slack.calls_to("assistant.threads.setTitle")[0].params["title"] == title_for(question)
    with_file = real.assistant_file_share("And Brent, with this chart?")
    deliver(slack, with_file)
    slack.wait_for_message(channel=channel, thread_ts=thread, contains=format_krw(quote.krw_per_barrel("Brent")),
                           final=True, timeout=TIMEOUT)
    deliver(slack, real.assistant("assistant_message_changed"))  # Slack retitling the thread's root
    time.sleep(GRACE)
    answers = [m for m in slack.posted(channel, thread) if "₩" in m.all_text]
    assert len(answers) == 2
    assert model_turns(openai_fake, question) == 1


# --- interactivity and commands ---------------------------------------------------------------------------------

def test_feedback_click_from_the_block_actions_sample_is_recorded(bot, slack, real, bot_env, quote):
    payload = real.mention("C0RFEED")
    deliver(slack, payload)
    answer = answered(slack, "C0RFEED", payload["event"]["ts"], quote)
    click = real.feedback_click(answer.as_event(), "C0RFEED", slack.base_url)
    deliver(slack, click, "interactive")
    note = slack.wait_for(lambda: [e for e in slack.ephemerals if e["channel"] == "C0RFEED"], TIMEOUT,
                          what="the feedback acknowledgement")[0]
    assert note["text"] == thanks("good", EN) and note["user"] == click["user"]["id"]
    with sqlite3.connect(bot_env["OILFX_DB"]) as db:
        rows = db.execute("SELECT value, user FROM feedback WHERE message_ts=?", (answer.ts,)).fetchall()
    assert rows == [("good", click["user"]["id"])]


def test_the_slash_command_envelope_posts_the_table(bot, slack, real, openai_fake, quote):
    before, model_requests = len(slack.responses), len(openai_fake.requests)
    envelope = real.oilprice_envelope("C0RCMD", slack.base_url)
    slack.wait_ack(slack.deliver_envelope(envelope))
    response = slack.wait_for(lambda: len(slack.responses) > before and slack.responses[-1], TIMEOUT,
                              what="the /oilprice table")
    assert response["path"] == "/commands/T111/111/xxx"
    for name in quote.oil:
        assert format_krw(quote.krw_per_barrel(name)) in response["body"]["text"]
    assert len(openai_fake.requests) == model_requests
