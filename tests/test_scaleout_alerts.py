"""Alerts across processes, end to end: three `python bot.py` on one redis-server, the fake Slack, the pages fake.
Prices move by changing what Opinet serves; the bots check every OILFX_ALERT_INTERVAL (0.5 s here).

20 alerts crossing at once are posted 20 times, not 60; a process killed -9 while its post hangs at Slack leaves
its claim to expire (OILFX_ALERT_CLAIM_TTL, 3 s here) and another process posts it once (it finds the post Slack
had applied and updates it)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from oilfx.market import format_usd
from oilfx.store.redis import RedisStore
from tests.fakes.bot_process import BotProcess
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.opinet_prices import set_prices
from tests.fakes.pages import OPINET_PATH, REFERENCE_OIL, PagesServer
from tests.fakes.redis_server import RedisServer
from tests.fakes.slack_server import FakeSlack
from tests.store_contract import USER, brent_above, wait_until
from tests.test_scaleout_two_bots import start_bot

INTERVAL = 0.5
CLAIM_TTL = 3.0
CROSSED = Decimal(REFERENCE_OIL["Brent"]) + 10   # above every threshold below (82.0-83.9); the reference is not


@pytest.fixture(scope="module")
def bots(slack: FakeSlack, openai_fake: FakeOpenAI, pages: PagesServer, redis: RedisServer,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[BotProcess]]:
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "REDIS_URL": redis.url,
           "OILFX_DB": str(tmp_path_factory.mktemp("unused") / "never.db"), "OILFX_LOG_LEVEL": "INFO",
           "OILFX_ALERT_INTERVAL": str(INTERVAL), "OILFX_ALERT_CLAIM_TTL": str(CLAIM_TTL), "OILFX_STREAM": "false"}
    with ThreadPoolExecutor(3) as pool:
        started = list(pool.map(lambda _: start_bot(slack, env)[0], range(3)))
    yield started
    for process in started:
        process.stop()
        assert slack.bot_token not in process.log(), "the token reached a bot's log"
    pages.reset()


@pytest.fixture(scope="module")
def book(redis: RedisServer) -> Iterator[RedisStore]:
    store = RedisStore(redis.url)
    yield store
    store.close()


def checks_after(pages: PagesServer, count: int):
    """A condition: every one of three processes has checked (fetched Opinet) about `count` more times."""
    start = pages.count(OPINET_PATH)
    return lambda: pages.count(OPINET_PATH) >= start + 3 * count


def test_twenty_alerts_crossing_at_once_are_posted_twenty_times_by_three_processes(bots, book, slack, pages):
    team = slack.workspace.team_id
    channels = [f"C0ALRT{i:04d}" for i in range(4)]
    alerts = [book.add_alert(team, channels[i % 4], USER, brent_above(str(Decimal("82") + Decimal(i) / 10)), 100,
                             datetime.now(UTC)) for i in range(20)]
    wait_until(checks_after(pages, 2), 30)
    assert sum(len(slack.posted(c)) for c in channels) == 0   # 81.68 is above none of them
    # Posts take a while, so every process's checks overlap the others' posts: without the claims each would post
    # the alerts the others have not disarmed yet (seen: 30+ posts with the claim script disabled).
    slack.set_latency(0.2, "chat.postMessage")
    set_prices(pages, Brent=str(CROSSED))
    try:
        slack.wait_for(lambda: sum(len(slack.posted(c)) for c in channels) >= 20, 30, what="20 alert posts")
        wait_until(checks_after(pages, 3), 30)
    finally:
        slack.set_latency(0, "chat.postMessage")
    posted = [m for c in channels for m in slack.posted(c)]
    assert len(posted) == 20
    assert sorted(int(m.text.split("Alert #", 1)[1].split(" ", 1)[0]) for m in posted) == sorted(a.id for a in alerts)
    assert all(format_usd(CROSSED) in m.text and f"<@{USER}>" in m.text for m in posted)
    assert all(a.fired == 1 and not a.armed for a in book.list_alerts(team))
    print(f"\n20 alerts, 3 processes: {len(posted)} posts, {len(slack.calls_to('chat.postMessage'))} postMessage calls")


def test_kill_9_mid_post_is_posted_once_by_another_process_after_the_claim_expires(bots, book, slack, pages):
    team = slack.workspace.team_id
    channel = "C0KILLED01"
    # Slack applies the post at once but answers after a minute: the poster hangs mid-post.
    slack.answer_late("chat.postMessage", 60, times=1, when=lambda p: p.get("channel") == channel)
    set_prices(pages, Brent=str(CROSSED))
    alert = book.add_alert(team, channel, USER, brent_above("82"), 100, datetime.now(UTC))
    claim = book.client.get  # the claim's value names its owner: "owner:<host>:<pid>:<nonce>"
    key = f"oilfx:firing:{alert.firing_key()}"
    slack.wait_for(lambda: slack.posted(channel), 30, what="the hanging post")
    wait_until(lambda: claim(key), 10)
    owner = claim(key)
    pid = int(owner.split(":")[2])
    (victim,) = [b for b in bots if b.proc is not None and b.proc.pid == pid]
    victim.kill()
    wait_until(lambda: claim(key) == "done", 30)   # another process took the firing over
    (post,) = slack.posted(channel)
    assert post.versions[-1]["method"] == "chat.update"   # found by its tag and updated, not posted again
    assert format_usd(CROSSED) in post.text
    (after,) = book.list_alerts(team, channel)
    assert after.fired == 1 and not after.armed
