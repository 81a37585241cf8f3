"""Orphans: `python bot.py` killed (-9) mid-turn and Slack does NOT redeliver (Socket Mode acked the event at
once). The next bot to start finishes the placeholder or stream the dead one left, exactly once, within
OILFX_EVENT_LEASE of its start (plus the answer's own turn): it answers the stored question in that message, or,
for a question too old to answer late, says it was interrupted. Redis with several new bots:
tests/test_scaleout_orphans.py."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import asdict

import pytest

from oilfx.config import load_settings
from oilfx.i18n import EN, KO, Texts
from oilfx.market import format_krw
from oilfx.services import build_services
from oilfx.slack.app import make_client
from oilfx.slack.clients import SingleWorkspace
from oilfx.slack.orphans import ANSWER_MAX_AGE, OrphanFinisher, interrupted
from oilfx.slack.turns import TurnRequest, TurnRunner
from oilfx.store.base import OpenReply
from tests.fakes.bot_process import BotProcess, kill_mid_turn, user_turns

LEASE = 2.0
TIMEOUT = 20.0
START_SLACK = 12.0  # bot.py start-up and one turn: 2-4 s alone, up to 9.5 s seen with the suite loading 2 cores


def open_replies(db: str) -> list[tuple]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            return con.execute("SELECT event_id, ts, streamed FROM replies").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []


@pytest.mark.parametrize("stream", ["true", "false"], ids=["streaming", "placeholder"])
def test_killed_mid_turn_without_redelivery_the_next_bot_answers_in_the_left_reply(
        servers, quote, tmp_path, stream):
    slack, openai_fake, pages = servers
    db = str(tmp_path / "oilfx.db")
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_OPENAI_MAX_RETRIES": "0", "OILFX_DB": db,
           "OILFX_EVENT_LEASE": str(LEASE), "OILFX_STREAM": stream, "OILFX_LOG_LEVEL": "INFO"}
    question = f"Dubai in won? (orphan, stream={stream})"
    channel = "C0ORPH" + stream[0].upper()
    payload = kill_mid_turn(slack, openai_fake, env, question, channel, lambda: open_replies(db))
    ts = payload["event"]["ts"]
    [left] = slack.posted(channel, ts)
    assert "₩" not in left.all_text and left.streaming == (stream == "true")  # really left unfinished
    started = time.time()
    bot = BotProcess(env).start()
    try:
        dubai = format_krw(quote.krw_per_barrel("Dubai"))
        answer = slack.wait_for_message(channel=channel, thread_ts=ts, contains=dubai, final=True, timeout=TIMEOUT)
        finished = answer.versions[-1]["time"]
        time.sleep(1.0)  # long enough for a second finisher to have shown
        log = bot.log()
    finally:
        bot.stop()
    assert answer.ts == left.ts and not answer.streaming  # the left reply became the answer
    assert [m.ts for m in slack.posted(channel, ts)] == [left.ts]  # one message, nothing posted besides
    assert sum(dubai in v["text"] or dubai in json.dumps(v["blocks"] or [], ensure_ascii=False)
               for v in answer.versions) == 1  # finished once
    print(f"\norphan ({stream}): finished {finished - started:.1f} s after the new process(es) started")
    assert finished - started <= LEASE + START_SLACK, f"finished {finished - started:.1f} s after the start"
    assert user_turns(openai_fake, question) == 2  # the dead process's turn and the finisher's
    assert slack.envelopes and not any(e.retry_attempt for e in slack.envelopes.values())  # Slack never retried
    assert "answering event " + payload["event_id"] in log
    assert open_replies(db) == []


@pytest.mark.parametrize("streamed, lang, texts", [(False, "en", EN), (True, "en", EN), (False, "ko", KO),
                                                   (False, "", EN)],
                         ids=["placeholder", "streaming", "korean-reader", "older-request-workspace-language"])
def test_a_question_too_old_to_answer_late_is_said_interrupted(slack_server, openai_fake, pages, tmp_path,
                                                               streamed, lang: str, texts: Texts):
    """What a restarted bot does with an orphan older than ANSWER_MAX_AGE, run in-process against the fakes with
    the real WebClient (the kill itself is the test above): told in the saved request's language (a request saved
    by an older oilfx has none: the workspace's)."""
    settings = load_settings({**slack_server.env(), **openai_fake.env(), **pages.env(), "OILFX_LANG": "en",
                              "OILFX_DB": str(tmp_path / "oilfx.db"), "OILFX_EVENT_LEASE": "1"})
    client = make_client(settings)
    asked_before = len(openai_fake.requests)
    thread = slack_server.next_ts()
    if streamed:
        left = client.chat_startStream(channel="C0OLD", thread_ts=thread, recipient_team_id="T1",
                                       recipient_user_id="U1")["ts"]
    else:
        left = client.chat_postMessage(channel="C0OLD", thread_ts=thread, text="Looking up crude prices…")["ts"]
    request = TurnRequest("T1", "C0OLD", "U1", "WTI in won?", "Ev0OLD", thread, thread, thread, lang=lang)
    services = build_services(settings)
    try:
        assert services.store.claim_event("Ev0OLD", 0.05)  # the dead owner's lease, long run out
        services.store.open_reply(OpenReply("Ev0OLD", "C0OLD", left, thread, streamed, json.dumps(asdict(request)),
                                            time.time() - ANSWER_MAX_AGE - 60))
        time.sleep(0.1)
        clients = SingleWorkspace(client)
        finisher = OrphanFinisher(services, clients, TurnRunner(services, clients, executor=None))  # type: ignore
        assert finisher.run() == 1
        assert services.store.open_replies() == [] and not services.store.claim_event("Ev0OLD", 1)
    finally:
        services.close()
    [message] = slack_server.posted("C0OLD", thread)
    assert message.ts == left and not message.streaming and interrupted(texts) in message.all_text
    assert len(openai_fake.requests) == asked_before  # nothing was asked
