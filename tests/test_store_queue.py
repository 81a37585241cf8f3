"""The TurnQueue contract (store/queue.py) on both backends: one turn at a time per thread, in ts order."""
# ruff: noqa: F811  (the contract's fixtures are imported from store_contract.py and requested by name)

from __future__ import annotations

import itertools
import random
import threading
import time
from decimal import Decimal

import pytest

from oilfx.store.base import ThreadKey
from oilfx.store.redis import RedisStore
from tests.store_contract import KEY, open_instance, store, wait_until  # noqa: F401  (fixtures)

ORDERS = ["999999999.900000", "1000000000.000001", "1700000000.000100", "1700000000.0002", "1700000000.1",
          "1700000000.09", "1700000001", "1700000010.000000", "999999999.1", "1800000000.5"]


def test_an_entered_turn_keeps_its_place_from_arrival(open_instance, request):
    """A message queued at arrival (enter_turn) goes first even if a later message asks for its turn earlier."""
    store = open_instance()
    other = open_instance() if "redis" in request.node.callspec.id else store  # SQLite: one process
    started: list[str] = []
    ticket = store.enter_turn(KEY, "1700000000.000200")

    def later() -> None:
        with other.thread_turn(KEY, "1700000000.000300", timeout=10):
            started.append("300")

    thread = threading.Thread(target=later)
    thread.start()
    time.sleep(0.3)
    assert started == []  # waits for the entered message
    with store.thread_turn(KEY, "1700000000.000200", timeout=5, ticket=ticket):
        started.append("200")
    thread.join(10)
    assert started == ["200", "300"]
    store.leave_turn(ticket)  # after its turn: a no-op
    with other.thread_turn(KEY, "1700000000.000100", timeout=2):
        pass  # nothing left waiting


def test_a_left_turn_frees_its_place(open_instance, request):
    store = open_instance()
    other = open_instance() if "redis" in request.node.callspec.id else store
    ticket = store.enter_turn(KEY, "1700000000.000200")
    with pytest.raises(TimeoutError), other.thread_turn(KEY, "1700000000.000300", timeout=0.3):
        pass
    store.leave_turn(ticket)  # e.g. its event was a duplicate
    store.leave_turn(ticket)  # idempotent
    with other.thread_turn(KEY, "1700000000.000300", timeout=2):
        pass


def test_waiting_turns_start_in_numeric_ts_order(open_instance):
    first = open_instance()
    # SQLite turns are coordinated inside one process (documented), so only Redis gets a second instance.
    stores = [first, open_instance() if isinstance(first, RedisStore) else first]
    started: list[str] = []
    release = threading.Event()
    holding = threading.Event()

    def blocker():
        with stores[0].thread_turn(KEY, "1"):
            holding.set()
            release.wait(10)

    def turn(store, order):
        with store.thread_turn(KEY, order, timeout=20):
            started.append(order)

    threading.Thread(target=blocker).start()
    holding.wait(5)
    arrival = random.Random(7).sample(ORDERS, len(ORDERS))
    threads = [threading.Thread(target=turn, args=(stores[i % 2], order)) for i, order in enumerate(arrival)]
    for t in threads:
        t.start()
    wait_until(lambda: first.turns_waiting(KEY) == len(ORDERS))
    release.set()
    for t in threads:
        t.join(20)
    assert started == sorted(ORDERS, key=Decimal)
    assert started != sorted(ORDERS)  # the fixture really tells numeric from string order


def test_turns_on_one_thread_never_overlap_and_other_threads_run_alongside(store):
    spans: list[tuple[float, float]] = []

    def turn(i):
        with store.thread_turn(KEY, f"1700000000.{i:06d}", timeout=30):
            start = time.monotonic()
            time.sleep(0.01)
            spans.append((start, time.monotonic()))

    threads = [threading.Thread(target=turn, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(spans) == 16
    spans.sort()
    assert all(prev_end <= next_start for (_, prev_end), (next_start, _) in itertools.pairwise(spans))

    # Two different threads: both turns are inside at once (the barrier needs both), so no global lock.
    barrier = threading.Barrier(2, timeout=5)
    other = ThreadKey(KEY.team, KEY.channel, "1700000099.000001")
    errors: list[BaseException] = []

    def meet(key):
        try:
            with store.thread_turn(key, "1700000100.000000", timeout=5):
                barrier.wait()
        except BaseException as e:
            errors.append(e)

    pair = [threading.Thread(target=meet, args=(k,)) for k in (KEY, other)]
    for t in pair:
        t.start()
    for t in pair:
        t.join(10)
    assert errors == []


def test_turn_times_out_and_leaves_no_trace(store):
    inside = threading.Event()
    release = threading.Event()

    def holder():
        with store.thread_turn(KEY, "5"):
            inside.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    inside.wait(5)
    with pytest.raises(TimeoutError), store.thread_turn(KEY, "1", timeout=0.2):
        pass
    assert store.turns_waiting(KEY) == 0
    release.set()
    t.join(5)
    with store.thread_turn(KEY, "9", timeout=2):  # the timed-out turn does not block later ones
        pass


def test_failing_turn_releases_the_thread(store):
    with pytest.raises(RuntimeError), store.thread_turn(KEY, "1"):
        raise RuntimeError("engine failed")
    with store.thread_turn(KEY, "2", timeout=2):
        pass


def test_turn_order_must_be_a_ts(store):
    with pytest.raises(ValueError), store.thread_turn(KEY, "not-a-ts"):
        pass
