"""The EventClaims contract (store/events.py) on both backends: event claims with leases, message claims, open
replies, across two instances."""
# ruff: noqa: F811  (the contract's fixtures are imported from store_contract.py and requested by name)

from __future__ import annotations

import threading
import time

from oilfx.store.base import MessageKey, OpenReply
from tests.store_contract import KEY, open_instance, store, wait_until  # noqa: F401  (fixtures)


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


def test_open_replies_are_listed_across_a_restart_and_dropped_with_their_event(open_instance):

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


def test_renew_events_renews_ours_in_one_call_and_names_the_rest(open_instance):
    a, b = open_instance(), open_instance()
    assert a.claim_event("Ev10", lease_seconds=0.3) and a.claim_event("Ev11", lease_seconds=0.3)
    assert a.renew_events(["Ev10", "Ev11", "Ev12"], 5) == ["Ev12"]  # Ev12: never claimed here
    time.sleep(0.4)
    assert not b.claim_event("Ev10") and not b.claim_event("Ev11")  # renewed past the first lease
    a.finish_event("Ev11")
    assert a.renew_events(["Ev10", "Ev11"], 5) == ["Ev11"] and a.owned.proof("Ev11") is None
