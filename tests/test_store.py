"""The Store contract, run against both backends: opening, conversations, meta, histories, feedback, the quote
cache. Event claims: test_store_events.py; turns: test_store_queue.py; fixtures: store_contract.py."""
# ruff: noqa: F811  (the contract's fixtures are imported from store_contract.py and requested by name)

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from oilfx.store.base import Feedback, ThreadKey
from oilfx.store.redis import RedisStore
from oilfx.store.sqlite import SqliteStore
from tests.store_contract import KEY, open_instance, store, wait_until  # noqa: F401  (fixtures)


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
