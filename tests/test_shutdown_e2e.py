"""Stopping `python bot.py` the way `docker stop` and systemd do (SIGTERM), with a turn in flight. Its own module:
its own fakes, so no other bot on the fake Slack can take the event."""

from __future__ import annotations

import signal

from oilfx.market import format_krw
from oilfx.store.sqlite import SqliteStore
from tests.fakes.bot_process import start_connected

QUESTION = "현재 WTI 석유 가격을 원화로 알려줄래? (shutdown)"


def test_sigterm_finishes_the_turn_in_flight_then_stops_cleanly(servers, quote, tmp_path):
    """`docker stop` and systemd send SIGTERM: the bot takes no new events, lets the turn in flight post its
    answer, stops the alert thread, closes the store and exits 0; the SQLite file is free for `store migrate`."""
    slack, openai_fake, pages = servers
    db = tmp_path / "oilfx.db"
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_DB": str(db), "OILFX_LOG_LEVEL": "INFO"}
    bot = start_connected(env, slack)
    proc = bot.proc
    assert proc is not None
    openai_fake.latency = 0.5   # three model rounds: the turn is still running when the signal comes
    try:
        payload = slack.app_mention(QUESTION, channel="C0SIGTERM")
        slack.wait_ack(slack.deliver("events_api", payload))
        slack.wait_for_message(channel="C0SIGTERM", thread_ts=payload["event"]["ts"], timeout=20)   # started
        proc.send_signal(signal.SIGTERM)
        slack.wait_for_message(channel="C0SIGTERM", thread_ts=payload["event"]["ts"], timeout=20, final=True,
                               contains=format_krw(quote.krw_per_barrel("WTI")))
        assert proc.wait(20) == 0
    finally:
        openai_fake.latency = 0.0
        bot.stop()
    log = bot.log()
    assert "oilfx stopped" in log and "Traceback" not in log and "failed" not in log
    SqliteStore(db, exclusive=True).close()   # StoreBusy if the bot still held it
