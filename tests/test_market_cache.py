"""MemoryCache: TTL, single-flight, and errors shared by a flight but never cached."""

from __future__ import annotations

import threading

import pytest

from oilfx.market import MemoryCache


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_fresh_value_is_reused_until_ttl_expires():
    clock = FakeMonotonic()
    cache = MemoryCache(clock=clock)
    loads = []

    def load() -> dict:
        loads.append(1)
        return {"n": len(loads)}

    assert cache.get_or_load("fx", 60, load) == {"n": 1}
    clock.now += 59.9
    assert cache.get_or_load("fx", 60, load) == {"n": 1}
    clock.now += 0.2
    assert cache.get_or_load("fx", 60, load) == {"n": 2}
    assert cache.get_or_load("oil", 60, load) == {"n": 3}  # keys are independent


def test_concurrent_callers_share_one_load():
    cache = MemoryCache()
    release = threading.Event()
    calls = []

    def load() -> dict:
        calls.append(threading.current_thread().name)
        release.wait(5)
        return {"value": "1289.00"}

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_load("fx", 60, load)))
               for _ in range(50)]
    for t in threads:
        t.start()
    while not calls:
        threading.Event().wait(0.001)
    release.set()
    for t in threads:
        t.join(5)
    assert len(calls) == 1
    assert results == [{"value": "1289.00"}] * 50


def test_a_failed_flight_raises_for_all_its_callers_and_caches_nothing():
    cache = MemoryCache()
    release = threading.Event()
    started = threading.Event()
    calls = []

    def failing() -> dict:
        calls.append(1)
        started.set()
        release.wait(5)
        raise RuntimeError("HTTP 503")

    errors = []

    def call() -> None:
        try:
            cache.get_or_load("oil", 60, failing)
        except RuntimeError as e:
            errors.append(str(e))

    leader = threading.Thread(target=call)
    leader.start()
    started.wait(5)
    followers = [threading.Thread(target=call) for _ in range(5)]
    for t in followers:
        t.start()
    threading.Event().wait(0.2)  # let the followers join the flight
    release.set()
    for t in [leader, *followers]:
        t.join(5)
    assert calls == [1]
    assert errors == ["HTTP 503"] * 6
    assert cache.get_or_load("oil", 60, lambda: {"ok": True}) == {"ok": True}


def test_zero_ttl_never_caches():
    cache = MemoryCache()
    values = iter([{"n": 1}, {"n": 2}])
    assert cache.get_or_load("fx", 0, lambda: next(values)) == {"n": 1}
    assert cache.get_or_load("fx", 0, lambda: next(values)) == {"n": 2}


def test_a_load_that_raises_base_exception_releases_waiters():
    cache = MemoryCache()

    def interrupted() -> dict:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.get_or_load("fx", 60, interrupted)
    assert cache.get_or_load("fx", 60, lambda: {"n": 1}) == {"n": 1}
