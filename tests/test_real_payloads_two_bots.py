"""An edited @mention racing its original across two `python bot.py` processes on one real redis-server: Slack's
edit (slack-go's sample from ../shared/slack_payloads: same ts, `edited`, a new event_id) reaches one process while
the original reaches the other, at the same moment. The message is answered once, by whichever claims it first.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from oilfx.market import format_krw
from tests.fakes.bot_process import BotProcess, start_connected
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.pages import PagesServer
from tests.fakes.real_payloads import RealPayloads
from tests.fakes.redis_server import RedisServer, require_redis_server
from tests.fakes.slack_server import FakeSlack
from tests.test_real_payloads_e2e import GRACE, TIMEOUT, model_turns

PAIRS = 6


@pytest.fixture(scope="module")
def two_bots(slack: FakeSlack, openai_fake: FakeOpenAI, pages: PagesServer,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    require_redis_server()
    redis = RedisServer(tmp_path_factory.mktemp("redis"))
    redis.start()
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "REDIS_URL": redis.url, "OILFX_STREAM": "true",
           "OILFX_DB": str(tmp_path_factory.mktemp("unused") / "never.db"), "OILFX_OPENAI_MAX_RETRIES": "0"}
    processes: list[BotProcess] = []
    try:
        for n in (1, 2):
            processes.append(start_connected(env, slack, connections=n))
        conns = []
        for process in processes:
            assert process.proc is not None
            conns.append(slack.wait_for(lambda p=process: slack.connections_of(p.proc.pid), 10,
                                        what="the bot's connection")[0])
        yield conns[0], conns[1]
    finally:
        for process in processes:
            process.stop()
        redis.stop()


def test_an_edit_racing_its_original_on_two_processes_is_answered_once(two_bots, slack, openai_fake, quote):
    conn_a, conn_b = two_bots
    real = RealPayloads(slack.workspace)
    pairs = [real.edited_mention(f"C0RACE{n:02d}", f"WTI now? (race {n})") for n in range(PAIRS)]
    with ThreadPoolExecutor(2) as pool:
        for n, (original, edit) in enumerate(pairs):
            # Alternate which process gets the original, so either can be the one that must stand back.
            first, second = (conn_a, conn_b) if n % 2 else (conn_b, conn_a)
            envelopes = list(pool.map(lambda job: slack.deliver("events_api", job[0], connection=job[1]),
                                      [(original, first), (edit, second)]))
            for envelope in envelopes:
                slack.wait_ack(envelope)
    wti = format_krw(quote.krw_per_barrel("WTI"))
    for n, (original, _) in enumerate(pairs):
        slack.wait_for_message(channel=f"C0RACE{n:02d}", thread_ts=original["event"]["thread_ts"], contains=wti,
                               final=True, timeout=TIMEOUT)
    time.sleep(GRACE)
    for n, _ in enumerate(pairs):
        assert len(slack.posted(f"C0RACE{n:02d}")) == 1
        assert model_turns(openai_fake, f"WTI now? (race {n})") == 1
