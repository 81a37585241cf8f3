"""Orphans on Redis: one `python bot.py` killed (-9) mid-turn, Slack does not redeliver, and two new ones start
at once on the same Redis. Both scan the open replies; the dead turn's event is claimed by exactly one of them
(SET NX), which finishes the placeholder / stream in place: one answer, one message, never two."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from redis import Redis

from oilfx.market import format_krw
from oilfx.store.open_replies import REDIS_REPLIES
from oilfx.store.redis import PREFIX
from tests.fakes.bot_process import BotProcess, kill_mid_turn, user_turns

LEASE = 2.0
TIMEOUT = 20.0
START_SLACK = 12.0  # two bot.py start-ups at once and one turn: 3-4 s alone, more with the suite loading 2 cores


@pytest.mark.parametrize("stream", ["true", "false"], ids=["streaming", "placeholder"])
def test_two_new_bots_finish_a_killed_bots_reply_exactly_once(servers, quote, redis, tmp_path, stream):
    slack, openai_fake, pages = servers
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "REDIS_URL": redis.url,
           "OILFX_DB": str(tmp_path / "never.db"), "OILFX_OPENAI_MAX_RETRIES": "0", "OILFX_LOG_LEVEL": "INFO",
           "OILFX_EVENT_LEASE": str(LEASE), "OILFX_LOCK_TTL": "3", "OILFX_STREAM": stream}
    client = Redis.from_url(redis.url, decode_responses=True)
    question = f"Brent in won? (orphan on Redis, stream={stream})"
    channel = "C0RORPH" + stream[0].upper()
    payload = kill_mid_turn(slack, openai_fake, env, question, channel,
                            lambda: client.hlen(PREFIX + REDIS_REPLIES))
    ts = payload["event"]["ts"]
    [left] = slack.posted(channel, ts)
    assert "₩" not in left.all_text and left.streaming == (stream == "true")
    started = time.time()
    with ThreadPoolExecutor(2) as pool:
        bots = list(pool.map(lambda _: BotProcess(env).start(), range(2)))
    try:
        brent = format_krw(quote.krw_per_barrel("Brent"))
        try:
            answer = slack.wait_for_message(channel=channel, thread_ts=ts, contains=brent, final=True,
                                            timeout=TIMEOUT)
        except AssertionError:
            pytest.fail("the orphan was not finished; the new bots' logs:\n" + "\n---\n".join(b.log() for b in bots))
        finished = answer.versions[-1]["time"]
        time.sleep(LEASE + 0.5)  # past the scan window: a second finisher would have shown
        logs = [bot.log() for bot in bots]
    finally:
        for bot in bots:
            bot.stop()
    assert answer.ts == left.ts and not answer.streaming
    assert [m.ts for m in slack.posted(channel, ts)] == [left.ts]
    assert sum(brent in v["text"] or brent in json.dumps(v["blocks"] or [], ensure_ascii=False)
               for v in answer.versions) == 1
    assert sum("answering event " + payload["event_id"] in log for log in logs) == 1  # one finisher
    assert user_turns(openai_fake, question) == 2
    print(f"\norphan ({stream}): finished {finished - started:.1f} s after the new process(es) started")
    assert finished - started <= LEASE + START_SLACK, f"finished {finished - started:.1f} s after the start"
    assert not client.hlen(PREFIX + REDIS_REPLIES)
