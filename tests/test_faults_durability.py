"""Durability: `python bot.py` killed (-9) mid-turn and restarted. The store survives, Slack's redeliveries of an
answered event are never answered again, and an interrupted event is answered once, in the placeholder the killed
process left (OILFX_EVENT_LEASE is short here so the takeover happens within the test)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator

import pytest

from oilfx.market import format_krw
from tests.fakes.bot_process import BotProcess, start_connected, user_turns
from tests.fakes.slack_server import FakeSlack

LEASE = 2.0
ANSWER_TIMEOUT = 20.0


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("durable") / "oilfx.db")


@pytest.fixture(scope="module")
def bot(servers, db) -> Iterator[BotProcess]:
    slack, openai_fake, pages = servers
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_OPENAI_MAX_RETRIES": "0", "OILFX_DB": db,
           "OILFX_EVENT_LEASE": str(LEASE)}  # the defaults: the killed turn leaves an open stream
    process = start_connected(env, slack)
    yield process
    process.stop()


def restart(bot: BotProcess, slack: FakeSlack) -> None:
    old = slack.connections()
    bot.kill()
    slack.wait_for(lambda: not set(old) & set(slack.connections()), 10, what="the killed bot's connection closed")
    bot.start()
    slack.wait_new_connection(max(old), timeout=30)


def wait_turn_ended(db: str, event_id: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            row = con.execute("SELECT finished_at FROM events WHERE event_id=?", (event_id,)).fetchone()
        if row and row[0] is not None:
            return
        time.sleep(0.02)
    raise AssertionError(f"event {event_id} never finished")


def test_four_deliveries_of_one_event_across_a_restart_get_one_answer(bot, servers, quote, db):
    slack, openai_fake, _ = servers
    question = "WTI in won? (four deliveries)"
    payload = slack.app_mention(question, channel="C0FOUR")
    first = slack.deliver("events_api", payload)
    slack.wait_ack(first)
    slack.wait_ack(slack.redeliver(first, retry_attempt=1, retry_reason="http_timeout"))
    ts = payload["event"]["ts"]
    slack.wait_for_message(channel="C0FOUR", thread_ts=ts, contains=format_krw(quote.krw_per_barrel("WTI")),
                           timeout=ANSWER_TIMEOUT)
    wait_turn_ended(db, payload["event_id"])  # killed between the answer and finish_event, a restart re-answers
    restart(bot, slack)
    for attempt in (2, 3):
        slack.wait_ack(slack.redeliver(first, retry_attempt=attempt, retry_reason="http_timeout"))
    time.sleep(LEASE + 0.5)  # long enough for a wrongly accepted retry to have posted
    assert len(slack.posted("C0FOUR", ts)) == 1
    assert user_turns(openai_fake, question) == 1


def test_killed_mid_turn_the_redelivered_event_is_answered_once_in_the_left_placeholder(bot, servers, quote, db):
    slack, openai_fake, _ = servers
    question = "Brent in won? (killed mid-turn)"
    openai_fake.latency = 1.0  # three model rounds: ~3 s, the kill lands inside
    try:
        payload = slack.app_mention(question, channel="C0KILL")
        first = slack.deliver("events_api", payload)
        slack.wait_ack(first)
        placeholder = slack.wait_for_message(channel="C0KILL", timeout=ANSWER_TIMEOUT)  # the turn's reply
        deadline = time.monotonic() + ANSWER_TIMEOUT  # the turn has reached the model: kill it there
        while user_turns(openai_fake, question) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        restart(bot, slack)
    finally:
        openai_fake.latency = 0.0
    ts = payload["event"]["ts"]
    assert "₩" not in slack.message("C0KILL", placeholder.ts).all_text  # it really was interrupted
    # The store is intact after the kill: WAL recovered, integrity ok, the event still leased, not finished.
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT finished_at FROM events WHERE event_id=?",
                           (payload["event_id"],)).fetchone() == (None,)
    time.sleep(LEASE)  # the killed owner's lease runs out; Slack's retry then takes the event over
    slack.wait_ack(slack.redeliver(first, retry_attempt=1, retry_reason="timeout"))
    brent = format_krw(quote.krw_per_barrel("Brent"))
    answer = slack.wait_for_message(channel="C0KILL", thread_ts=ts, contains=brent, timeout=ANSWER_TIMEOUT)
    assert answer.ts == placeholder.ts  # the placeholder became the answer: no second message
    slack.wait_ack(slack.redeliver(first, retry_attempt=2, retry_reason="timeout"))
    time.sleep(1.0)
    assert len(slack.posted("C0KILL", ts)) == 1
    assert sum(brent in t for t in slack.thread_texts("C0KILL", ts)) == 1
