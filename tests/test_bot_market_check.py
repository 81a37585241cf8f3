"""`python bot.py` checks every market source in the background at start and logs one line; a slow source never
delays the connection to Slack."""

from __future__ import annotations

import time

from tests.fakes.bot_process import start_connected
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.pages import FRED_PATH, OPINET_PATH, PagesServer
from tests.fakes.slack_server import FakeSlack

SLOW = 6.0


def test_start_logs_the_source_check_without_waiting_for_it(tmp_path):
    pages, slack, openai_fake = PagesServer().start(), FakeSlack().start(), FakeOpenAI().start()
    pages.set(OPINET_PATH, status=503)
    pages.set(FRED_PATH, delay=SLOW)  # the check cannot finish before this answers
    env = {**slack.env(), **openai_fake.env(), **pages.env(OILFX_HTTP_READ_TIMEOUT=str(SLOW + 2)),
           "OILFX_DB": str(tmp_path / "oilfx.db")}
    started = time.monotonic()
    bot = start_connected(env, slack)
    try:
        connected_after = time.monotonic() - started
        deadline = time.monotonic() + 30
        while "market sources:" not in bot.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        logged_after = time.monotonic() - started
        [line] = [ln for ln in bot.log().splitlines() if "market sources:" in ln]
        assert "market sources: 6/7 working (oil opinet: HTTP 503); every quantity has a source" in line
        assert pages.count(FRED_PATH) == 2  # the check asked even the last fallback, live
        # Connected while FRED was still holding the check's request open; the line came once FRED answered.
        assert connected_after < SLOW <= logged_after
    finally:
        bot.stop()
        for server in (pages, slack, openai_fake):
            server.stop()
