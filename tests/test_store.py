"""The Store contract, run against both backends: SQLite on a temp file and a real redis-server.

"Two processes" are two store instances with their own connections (SQLite: same file; Redis: same server).
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from oilfx.config import Settings
from oilfx.store import open_store
from oilfx.store.base import Feedback, MessageKey, ThreadKey
from oilfx.store.redis import RedisStore
from oilfx.store.sqlite import SqliteStore

KEY = ThreadKey("T024BE7LD", "C0123456789", "1700000000.000100")


@pytest.fixture(params=["sqlite", "redis"])
def open_instance(request, tmp_path):
    """Returns a factory: each call opens another instance of the same store (a restart, or another process)."""
    opened = []
    if request.param == "sqlite":
        settings = Settings(db_path=str(tmp_path / "oilfx.db"))
    else:
        settings = Settings(redis_url=request.getfixturevalue("redis_url"))

    def factory():
        store = open_store(settings)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(open_instance):
    return open_instance()


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


def test_open_store_picks_the_backend(open_instance, request):
    store = open_instance()
    expected = SqliteStore if "sqlite" in request.node.callspec.id else RedisStore
    assert isinstance(store, expected)


def test_conversation_mapping_is_per_engine_and_survives_a_restart(open_instance):
    first = open_instance()
    assert first.get_conversation(KEY, "responses") is None
    first.set_conversation(KEY, "responses", "conv_abc")
    first.set_conversation(KEY, "chat", "chat-1")
    first.set_conversation(KEY, "responses", "conv_def")  # replaced, not duplicated
    first.close()
    second = open_instance()
    assert second.get_conversation(KEY, "responses") == "conv_def"
    assert second.get_conversation(KEY, "chat") == "chat-1"
    assert second.get_conversation(ThreadKey(KEY.team, KEY.channel, "dm"), "responses") is None
    assert sorted(second.export_conversations(), key=lambda row: row[1]) == [
        (KEY, "chat", "chat-1"), (KEY, "responses", "conv_def")]


def test_claim_event_once_across_two_instances(open_instance):
    a, b = open_instance(), open_instance()
    results: list[bool] = []
    barrier = threading.Barrier(20)

    def claim(store):
        barrier.wait()
        results.append(store.claim_event("Ev01", lease_seconds=60))

    threads = [threading.Thread(target=claim, args=(a if i % 2 else b,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1 and len(results) == 20


def test_claim_message_once_across_two_instances_by_its_first_event(open_instance):
    """An edited mention arrives as a new event (new event_id) for the same message (channel + ts): whichever event
    claims the message first keeps it, on every instance at once; that event's own retries still pass."""
    a, b = open_instance(), open_instance()
    message = MessageKey("T024BE7LD", "C0123456789", "1706785424.099119")
    winners: list[str] = []
    barrier = threading.Barrier(20)

    def claim(store, event_id: str) -> None:
        barrier.wait()
        if store.claim_message(message, event_id):
            winners.append(event_id)

    threads = [threading.Thread(target=claim, args=(a if i % 2 else b, f"Ev{i:02d}")) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert a.claim_message(message, winners[0]) and b.claim_message(message, winners[0])  # its retries
    other = "Ev99"
    assert not a.claim_message(message, other) and not b.claim_message(message, other)
    # Another message (other ts, or the same ts in another channel) is its own.
    assert a.claim_message(MessageKey(message.team, message.channel, "1706785424.099120"), other)
    assert b.claim_message(MessageKey(message.team, "C0OTHER", message.ts), other)


def test_a_message_claim_expires_after_its_keep_time(open_instance):
    store = open_instance()
    message = MessageKey("T1", "D1", "1700000000.000100")
    assert store.claim_message(message, "EvA", keep_seconds=0.2)
    assert not store.claim_message(message, "EvB", keep_seconds=0.2)
    time.sleep(0.3)
    assert store.claim_message(message, "EvB")


def test_claim_event_lease_takeover_and_finish(open_instance):
    a, b = open_instance(), open_instance()
    assert a.claim_event("Ev02", lease_seconds=0.2)
    assert not b.claim_event("Ev02", lease_seconds=0.2)
    time.sleep(0.3)  # a was "killed": its lease runs out without finish_event
    assert b.claim_event("Ev02", lease_seconds=0.2)
    b.finish_event("Ev02")
    time.sleep(0.3)
    assert not a.claim_event("Ev02")  # finished stays finished after the lease time
    assert not open_instance().claim_event("Ev02")


def test_a_renewed_event_lease_is_not_taken_over(open_instance):
    a, b = open_instance(), open_instance()
    assert a.claim_event("Ev03", lease_seconds=0.3)
    for _ in range(6):  # 0.9 s: three leases long
        time.sleep(0.15)
        assert a.renew_event("Ev03", 0.3)
        assert not b.claim_event("Ev03", lease_seconds=0.3)  # a Slack retry elsewhere: still in progress
    time.sleep(0.45)  # a stops renewing (killed): the event is taken over, and a's renewal says it is lost
    assert b.claim_event("Ev03", lease_seconds=0.3)
    assert not a.renew_event("Ev03", 0.3)
    assert b.renew_event("Ev03", 0.3)
    b.finish_event("Ev03")
    assert not b.renew_event("Ev03", 0.3)  # finished: nothing to renew
    assert not a.renew_event("never-claimed", 0.3)


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


def test_meta_history_and_feedback(open_instance):
    store = open_instance()
    assert store.get_meta("assistant_id") is None
    store.set_meta("assistant_id", "asst_1")
    store.set_meta("assistant_id", "asst_2")
    history = [{"role": "user", "content": "WTI 원화로?"}, {"role": "assistant", "content": "₩98,492"}]
    assert store.load_history("chat-1") == []
    store.save_history("chat-1", history)
    now = datetime.now(UTC)
    old = Feedback(KEY, "1700000001.000200", "U1", "bad", "q0", "a0", "chat", now - timedelta(days=3))
    new = Feedback(KEY, "1700000002.000300", "U2", "good", "WTI?", "₩98,492", "responses", now)
    store.add_feedback(old)
    store.add_feedback(new)
    reopened = open_instance()
    assert reopened.get_meta("assistant_id") == "asst_2"
    assert reopened.load_history("chat-1") == history
    assert list(reopened.list_feedback(now - timedelta(days=1))) == [new]
    assert list(reopened.list_feedback(now - timedelta(days=7))) == [old, new]
    counts = reopened.stats()
    assert (counts["meta"], counts["histories"], counts["feedback"]) == (1, 1, 2)


def test_meta_with_a_ttl_expires_and_without_one_stays(open_instance):
    store = open_instance()
    store.set_meta("answer:k1", "kept a moment", ttl=0.3)
    store.set_meta("assistant_id", "asst_1")
    store.set_meta("steps:k2", "made permanent", ttl=0.3)
    store.set_meta("steps:k2", "made permanent")  # a later write without ttl drops the expiry
    assert open_instance().get_meta("answer:k1") == "kept a moment"
    assert dict(store.export_meta()) == {"answer:k1": "kept a moment", "assistant_id": "asst_1",
                                         "steps:k2": "made permanent"}
    time.sleep(0.45)
    store.set_meta("reply:Ev1", "1700000000.000900", ttl=60)  # a write prunes what expired
    reopened = open_instance()
    assert reopened.get_meta("answer:k1") is None
    assert reopened.get_meta("assistant_id") == "asst_1" and reopened.get_meta("steps:k2") == "made permanent"
    assert dict(reopened.export_meta()) == {"assistant_id": "asst_1", "reply:Ev1": "1700000000.000900",
                                            "steps:k2": "made permanent"}
    assert reopened.stats()["meta"] == 3


# Slack ts values whose string order differs from their numeric order (9- vs 10-digit seconds, short fractions).
ORDERS = ["999999999.900000", "1000000000.000001", "1700000000.000100", "1700000000.0002", "1700000000.1",
          "1700000000.09", "1700000001", "1700000010.000000", "999999999.1", "1800000000.5"]


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


def test_quote_cache_single_flight(store):
    cache = store.quote_cache()
    calls: list[int] = []
    barrier = threading.Barrier(10)
    results: list[dict] = []

    def load():
        calls.append(1)
        time.sleep(0.1)
        return {"rate": "1289.00"}

    def get():
        barrier.wait()
        results.append(cache.get_or_load("fx", 60, load))

    threads = [threading.Thread(target=get) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(calls) == 1
    assert results == [{"rate": "1289.00"}] * 10


def test_open_replies_are_listed_across_a_restart_and_dropped_with_their_event(open_instance):
    from oilfx.store.base import OpenReply

    first = open_instance()
    now = time.time()
    placeholder = OpenReply("Ev0ORPH1", "C1", "1700000000.000200", "1700000000.000100", False, '{"text": "WTI?"}',
                            now)
    stream = OpenReply("Ev0ORPH2", "D1", "1700000000.000400", "1700000000.000300", True, '{"text": "두바이유?"}',
                       now + 1)
    for reply in (placeholder, stream):
        assert first.claim_event(reply.event_id, 60)
        first.open_reply(reply)
    first.finish_event("Ev0OTHER")  # another event finishing drops nothing
    again = open_instance()  # a restarted process (or a second one) sees what the first left
    assert again.open_replies() == [placeholder, stream]
    assert again.get_open_reply("Ev0ORPH2") == stream and again.get_open_reply("Ev0NONE") is None
    first.finish_event("Ev0ORPH1")
    assert again.open_replies() == [stream]


def test_a_dead_owners_open_reply_is_claimed_by_exactly_one_of_many(open_instance):
    from oilfx.store.base import OpenReply

    dead = open_instance()
    assert dead.claim_event("Ev0DEAD", 0.3)
    dead.open_reply(OpenReply("Ev0DEAD", "C1", "1.000002", "1.000001", False, "{}", time.time()))
    others = [open_instance() for _ in range(4)]
    assert not any(o.claim_event("Ev0DEAD", 5) for o in others)  # the lease still holds
    time.sleep(0.4)
    barrier = threading.Barrier(len(others))

    def claim(store):
        barrier.wait()
        return store.claim_event("Ev0DEAD", 5)

    results = []
    threads = [threading.Thread(target=lambda s=s: results.append(claim(s))) for s in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
