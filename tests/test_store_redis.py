"""Redis store and shared quote cache against a real redis-server on 127.0.0.1 (tests/fakes/redis_server.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

from oilfx.config import Settings
from oilfx.market.errors import MarketUnavailable
from oilfx.store import StoreError, open_store
from oilfx.store.base import ThreadKey
from oilfx.store.redis import RedisStore
from oilfx.store.redis_cache import RedisQuoteCache
from tests.fakes.redis_server import free_port

pytestmark = pytest.mark.redis

KEY = ThreadKey("T024BE7LD", "C0123456789", "1700000000.000100")
ROOT = Path(__file__).resolve().parents[1]

# A second bot process: takes a turn (or waits for one) on KEY and reports on stdout, then sleeps until killed.
TURN_SCRIPT = """
import sys, time
from oilfx.store.base import ThreadKey
from oilfx.store.redis import RedisStore
store = RedisStore(sys.argv[1], lock_ttl=float(sys.argv[3]))
with store.thread_turn(ThreadKey("T024BE7LD", "C0123456789", "1700000000.000100"), sys.argv[2], timeout=30):
    print("in turn", flush=True)
    time.sleep(60)
"""


def spawn_turn(url: str, order: str, lock_ttl: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", TURN_SCRIPT, url, order, str(lock_ttl)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, text=True)


def kill9(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(5)


def test_unreachable_redis_is_a_clear_error_without_the_password():
    port = free_port()  # nothing listens here
    settings = Settings(redis_url=f"redis://oilfx:s3cretpassw0rd@127.0.0.1:{port}/2")
    started = time.monotonic()
    with pytest.raises(StoreError) as caught:
        open_store(settings)
    # One ping, no retries: the client's 6-retry backoff (~3.5 s) is kept for later operations, not start-up.
    assert time.monotonic() - started < 1.5
    message = str(caught.value)
    assert f"cannot reach Redis at REDIS_URL=redis://127.0.0.1:{port}/2" in message
    assert "s3cretpassw0rd" not in message and "oilfx:" not in message


def test_the_start_up_ping_keeps_the_clients_retry_policy_for_later_operations(redis_url):
    store = RedisStore(redis_url)
    try:
        retry = store.client.get_retry()
        assert retry is not None and retry._retries == 6  # a Redis restart while running is ridden out
        assert store.client.connection_pool.connection_kwargs["retry"] is retry
    finally:
        store.close()


def test_an_entered_turn_is_kept_alive_past_the_lock_ttl_until_it_runs(redis_url):
    """Between arrival and its turn a message may wait longer than lock_ttl (a busy pool): the store's heartbeat
    thread keeps its entry, so other processes do not drop it as dead and pass it."""
    store, other = RedisStore(redis_url, lock_ttl=0.5), RedisStore(redis_url, lock_ttl=0.5)
    try:
        ticket = store.enter_turn(KEY, "1700000000.000200")
        time.sleep(1.2)  # over two lock TTLs
        with pytest.raises(TimeoutError), other.thread_turn(KEY, "1700000000.000300", timeout=0.5):
            pass
        assert other.turns_waiting(KEY) == 1
        with store.thread_turn(KEY, "1700000000.000200", timeout=2, ticket=ticket):
            assert other.turns_waiting(KEY) == 0
        time.sleep(0.3)  # a heartbeat after the turn started does not put the entry back
        assert other.turns_waiting(KEY) == 0
    finally:
        store.close()
        other.close()


def test_lock_of_a_killed_process_expires(redis_url):
    store = RedisStore(redis_url, lock_ttl=1.0)
    holder = spawn_turn(redis_url, "1700000000.000100", lock_ttl=1.0)
    try:
        assert holder.stdout.readline().strip() == "in turn"
        # Alive, it keeps renewing: a turn here cannot start, even for longer than the lock TTL.
        with pytest.raises(TimeoutError), store.thread_turn(KEY, "1700000000.000200", timeout=1.5):
            pass
    finally:
        kill9(holder)
    started = time.monotonic()
    with store.thread_turn(KEY, "1700000000.000300", timeout=10):
        waited = time.monotonic() - started
    assert waited <= 1.0 + 0.5  # at most the lock TTL (plus polling) after the kill


def test_waiting_entry_of_a_killed_process_expires(redis_url):
    store = RedisStore(redis_url, lock_ttl=1.0)
    release = threading.Event()
    inside = threading.Event()

    def holder():
        with store.thread_turn(KEY, "1700000000.000500"):
            inside.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    inside.wait(5)
    # The other process queues an EARLIER ts than ours, then dies while waiting.
    waiter = spawn_turn(redis_url, "1700000000.000001", lock_ttl=1.0)
    deadline = time.monotonic() + 10
    while store.turns_waiting(KEY) < 1:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    kill9(waiter)
    release.set()
    t.join(5)
    with store.thread_turn(KEY, "1700000000.000900", timeout=5):
        pass
    assert store.turns_waiting(KEY) == 0


def test_slow_turn_keeps_its_lock(redis_url):
    a = RedisStore(redis_url, lock_ttl=0.3)
    b = RedisStore(redis_url, lock_ttl=0.3)
    spans = []
    inside = threading.Event()

    def slow():
        with a.thread_turn(KEY, "1"):
            inside.set()
            start = time.monotonic()
            time.sleep(1.2)  # four lock TTLs
            spans.append((start, time.monotonic()))

    t = threading.Thread(target=slow)
    t.start()
    inside.wait(5)
    with b.thread_turn(KEY, "2", timeout=10):
        spans.append((time.monotonic(), time.monotonic()))
    t.join(5)
    assert spans[0][1] <= spans[1][0]  # b started only after a's slow turn ended


def test_survives_a_redis_restart(redis_server):
    store = RedisStore(redis_server.url)
    store.set_conversation(KEY, "responses", "conv_1")
    redis_server.stop()
    with pytest.raises(StoreError) as caught:
        store.get_conversation(KEY, "responses")
    assert "REDIS_URL=redis://127.0.0.1" in str(caught.value)
    redis_server.start()
    # No new store object: the client reconnects by itself (this test server keeps no data across restarts).
    store.set_conversation(KEY, "responses", "conv_2")
    assert store.get_conversation(KEY, "responses") == "conv_2"
    assert store.claim_event("Ev9")
    with store.thread_turn(KEY, "1", timeout=5):
        pass


def test_turn_waits_through_a_redis_restart(redis_server):
    store = RedisStore(redis_server.url, lock_ttl=1.0)
    redis_server.stop()
    restarted = threading.Timer(0.5, redis_server.start)
    restarted.start()
    with store.thread_turn(KEY, "1", timeout=15):
        assert redis_server.ping()
    restarted.join()


def test_finished_events_expire_after_a_day(redis_url):
    store = RedisStore(redis_url)
    assert store.claim_event("Ev1", lease_seconds=30)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    assert 0 < client.pttl("oilfx:event:Ev1") <= 30_000
    store.finish_event("Ev1")
    assert 86_000 < client.ttl("oilfx:event:Ev1") <= 86_400


def two_caches(url: str) -> list[RedisQuoteCache]:
    # Separate clients and separate in-process flights: two bot processes as far as Redis can tell.
    return [RedisQuoteCache(redis.Redis.from_url(url, decode_responses=True)) for _ in range(2)]


def run_concurrently(caches, n, call):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def worker(cache):
        barrier.wait()
        try:
            results.append(call(cache))
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(caches[i % len(caches)],)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


def test_cold_cache_loads_once_for_fifty_callers_in_two_processes(redis_url):
    caches = two_caches(redis_url)
    loads = []
    value = {"rate": {"usd_krw": "1289.00", "source": "naver"}, "fetched_at": "2023-11-29T07:33:00+00:00"}

    def load():
        loads.append(threading.get_ident())
        time.sleep(0.2)
        return value

    results, errors = run_concurrently(caches, 50, lambda c: c.get_or_load("fx", 60, load))
    assert errors == [] and len(loads) == 1
    assert results == [value] * 50
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    assert 0 < client.pttl("oilfx:cache:fx") <= 60_000
    assert client.exists("oilfx:cache:fx:lock") == 0


def test_failed_load_reaches_every_waiter_and_is_not_cached(redis_url):
    caches = two_caches(redis_url)
    loads = []

    def failing():
        loads.append(1)
        time.sleep(0.3)
        raise MarketUnavailable("no USD/KRW rate", [("naver", "HTTP 503"), ("frankfurter", "timeout after 5 s")])

    results, errors = run_concurrently(caches, 50, lambda c: c.get_or_load("fx", 60, failing))
    assert results == [] and len(errors) == 50 and len(loads) == 1
    assert all(isinstance(e, MarketUnavailable) for e in errors)
    assert {tuple(e.failures) for e in errors} == {(("naver", "HTTP 503"), ("frankfurter", "timeout after 5 s"))}
    assert caches[0].get_or_load("fx", 60, lambda: {"ok": True}) == {"ok": True}  # nothing was cached
    assert len(loads) == 1


def test_cache_expires_after_ttl(redis_url):
    cache = two_caches(redis_url)[0]
    assert cache.get_or_load("oil", 0.2, lambda: {"n": 1}) == {"n": 1}
    assert cache.get_or_load("oil", 0.2, lambda: {"n": 2}) == {"n": 1}
    time.sleep(0.3)
    assert cache.get_or_load("oil", 0.2, lambda: {"n": 3}) == {"n": 3}


def test_cache_steps_aside_when_redis_is_down(redis_server):
    cache = two_caches(redis_server.url)[0]
    redis_server.stop()
    assert cache.get_or_load("oil", 60, lambda: {"n": 1}) == {"n": 1}
    redis_server.start()
    assert cache.get_or_load("oil", 60, lambda: {"n": 2}) == {"n": 2}
    assert cache.get_or_load("oil", 60, lambda: {"n": 3}) == {"n": 2}


def test_store_hands_out_one_shared_cache(redis_url):
    store = open_store(Settings(redis_url=redis_url))
    assert isinstance(store.quote_cache(), RedisQuoteCache)
    assert store.quote_cache() is store.quote_cache()
