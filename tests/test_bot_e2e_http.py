"""End to end in HTTP mode (no SLACK_APP_TOKEN): `python bot.py` serves /slack/events on a loopback port; Slack's
request signing is enforced. Also: the bot refuses to start without usable settings (exit 2, one message)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from oilfx.config import load_settings
from oilfx.market import Market, Quote, format_krw
from tests.fakes.bot_process import BotProcess, free_port
from tests.fakes.slack_server import signed_request


@pytest.fixture(scope="module")
def http_bot(servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    slack, openai_fake, pages = servers
    port = free_port()
    env = {**slack.env(socket_mode=False), **openai_fake.env(), **pages.env(), "PORT": str(port),
           "OILFX_HTTP_HOST": "127.0.0.1", "OILFX_DB": str(tmp_path_factory.mktemp("http") / "oilfx.db")}
    bot = BotProcess(env).start()
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or not bot.alive:
                bot.stop()
                pytest.fail(f"HTTP bot did not listen on {port}; its log:\n{bot.log()}")
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/slack/events"
    bot.stop()


def test_http_mode_answers_signed_events_and_refuses_bad_or_stale_signatures(http_bot, servers):
    slack, _, pages = servers
    quote: Quote = Market(load_settings(pages.env())).quote()
    bad = slack.app_mention("WTI in won? (bad signature)", channel="C0HTTPBAD")
    stale = slack.app_mention("WTI in won? (stale)", channel="C0HTTPOLD")
    good = slack.app_mention("WTI in won?", channel="C0HTTP")

    refused = signed_request(http_bot, bad, slack.signing_secret, signature="v0=" + "0" * 64)
    assert refused.status_code == 401
    six_minutes_ago = time.time() - 360
    assert signed_request(http_bot, stale, slack.signing_secret, timestamp=six_minutes_ago).status_code == 401
    assert signed_request(http_bot, good, slack.signing_secret, omit=("X-Slack-Signature",)).status_code == 401

    accepted = signed_request(http_bot, good, slack.signing_secret)
    assert accepted.status_code == 200
    reply = slack.wait_for_message(channel="C0HTTP", thread_ts=good["event"]["ts"],
                                   contains=format_krw(quote.krw_per_barrel("WTI")), timeout=20)
    assert quote.oil["WTI"].source in reply.all_text
    assert slack.posted("C0HTTPBAD") == [] and slack.posted("C0HTTPOLD") == []
    assert len(slack.posted("C0HTTP")) == 1  # the unsigned copy of `good` was not processed either


def test_http_mode_slack_retry_header_does_not_answer_twice(http_bot, servers):
    slack, _, _ = servers
    payload = slack.app_mention("Brent in won?", channel="C0HTTPRETRY")
    assert signed_request(http_bot, payload, slack.signing_secret).status_code == 200
    assert signed_request(http_bot, payload, slack.signing_secret, retry_num=1).status_code == 200
    slack.wait_for_message(channel="C0HTTPRETRY", contains="₩", timeout=20)
    time.sleep(0.5)
    assert len(slack.posted("C0HTTPRETRY")) == 1


@pytest.mark.parametrize(("env", "expected"), [
    ({}, ["SLACK_BOT_TOKEN is missing", "OAuth & Permissions", "xoxb-", "SLACK_APP_TOKEN is missing",
          "SLACK_SIGNING_SECRET", "OPENAI_API_KEY is missing"]),
    ({"SLACK_BOT_TOKEN": "xapp-1-wrong-kind", "SLACK_APP_TOKEN": "xoxb-wrong-kind", "OPENAI_API_KEY": "sk-x"},
     ["SLACK_BOT_TOKEN looks wrong", "SLACK_APP_TOKEN looks wrong", "connections:write"]),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "OPENAI_API_KEY": "sk-x", "OILFX_ENGINE": "gpt"},
     ["OILFX_ENGINE"]),
])
def test_bot_without_usable_settings_exits_2_with_one_message(env, expected):
    done = BotProcess(env).run()
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    for fragment in expected:
        assert fragment in done.stderr
    for value in env.values():  # a wrong token is named, never echoed in full
        if len(value) > 8 and value.startswith(("xoxb-", "xapp-")):
            assert value not in done.stderr


def test_bot_token_slack_rejects_exits_2(servers, tmp_path):
    slack, openai_fake, _ = servers
    env = {**slack.env(), "SLACK_BOT_TOKEN": "xoxb-revoked-token-123", **openai_fake.env(),
           "OILFX_DB": str(tmp_path / "oilfx.db")}
    done = BotProcess(env).run()
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "SLACK_BOT_TOKEN" in done.stderr and "invalid_auth" in done.stderr
    assert "xoxb-revoked-token-123" not in done.stderr
