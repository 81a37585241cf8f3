"""Redis outages with a real `python bot.py`: unreachable at start -> exit 2 naming REDIS_URL without its password;
restarted while the bot runs -> the next mention is answered without restarting the bot."""

from __future__ import annotations

import time

from oilfx.config import load_settings
from oilfx.market import Market, format_krw
from tests.fakes.bot_process import BotProcess, free_port
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.pages import PagesServer
from tests.fakes.redis_server import RedisServer
from tests.fakes.slack_server import FakeSlack


def test_redis_down_at_start_exits_2_naming_redis_url_without_the_password(slack_server: FakeSlack,
                                                                            fake_openai: FakeOpenAI):
    port = free_port()  # nothing listens here
    env = {**slack_server.env(), **fake_openai.env(), "REDIS_URL": f"redis://:s3cret-pw@127.0.0.1:{port}/0"}
    started = time.monotonic()
    result = BotProcess(env).run(timeout=30)
    took = time.monotonic() - started
    print(f"\nbot with Redis down exited {result.returncode} after {took:.1f} s: {result.stderr.strip()[:200]}")
    assert result.returncode == 2
    assert took < 10  # loose (interpreter start-up on a loaded machine); Redis itself is pinged once, no retries
    assert f"REDIS_URL=redis://127.0.0.1:{port}/0" in result.stderr
    assert "s3cret-pw" not in result.stderr + result.stdout


def test_redis_restarted_while_running_the_next_mention_is_answered(slack_server: FakeSlack, fake_openai: FakeOpenAI,
                                                                   pages_server: PagesServer,
                                                                   redis_server: RedisServer):
    env = {**slack_server.env(), **fake_openai.env(), **pages_server.env(), "REDIS_URL": redis_server.url,
           "OILFX_OPENAI_MAX_RETRIES": "0"}
    wti = format_krw(Market(load_settings(pages_server.env())).quote().krw_per_barrel("WTI"))
    bot = BotProcess(env).start()
    try:
        slack_server.wait_connections(1, timeout=30)
        first = slack_server.app_mention("WTI in won?", channel="C0REDIS")
        slack_server.wait_ack(slack_server.deliver("events_api", first))
        slack_server.wait_for_message(thread_ts=first["event"]["ts"], contains=wti, timeout=20)
        redis_server.stop()
        redis_server.start()
        second = slack_server.app_mention("WTI in won, after the Redis restart?", channel="C0REDIS")
        slack_server.wait_ack(slack_server.deliver("events_api", second))
        slack_server.wait_for_message(thread_ts=second["event"]["ts"], contains=wti, timeout=20)
        assert bot.alive
    finally:
        bot.stop()
