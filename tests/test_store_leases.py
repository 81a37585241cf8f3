"""store/heartbeat.py and store/leases.py: one renewal thread per process, and the one set of owned events."""

from __future__ import annotations

import threading
import time

from oilfx.store.heartbeat import Heartbeat, Renewals
from oilfx.store.leases import EventLeases, OwnedEvents


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


def test_jobs_at_different_intervals_share_one_thread_which_ends_when_no_job_is_left():
    beat = Heartbeat(name="test-heartbeat")
    fast, slow = [], []
    beat.every(0.02, lambda: fast.append(threading.current_thread().name) or len(fast) < 10)
    beat.every(0.1, lambda: slow.append(threading.current_thread().name) or len(slow) < 2)
    wait_until(lambda: len(fast) >= 10 and len(slow) >= 2)
    assert set(fast) | set(slow) == {"test-heartbeat"}
    wait_until(lambda: beat._thread is None)
    assert not [t for t in threading.enumerate() if t.name == "test-heartbeat"]


def test_a_failing_job_does_not_stop_the_others():
    beat = Heartbeat(name="test-heartbeat-fail")
    ran = []
    job = beat.every(0.01, lambda: 1 / 0)
    beat.every(0.01, lambda: ran.append(1) or len(ran) < 5)
    wait_until(lambda: len(ran) >= 5)
    beat.cancel(job)
    wait_until(lambda: beat._thread is None)


def test_an_exclusive_renewal_is_never_in_flight_after_pop_returns():
    beat = Heartbeat(name="test-heartbeat-exclusive")
    inside, renewed = threading.Event(), []

    def renew(items):
        inside.set()
        time.sleep(0.1)
        renewed.append([key for key, _ in items])

    renewals = Renewals(lambda: 0.01, renew, exclusive=True, heartbeat=beat)
    renewals.add("lock1", "value")
    inside.wait(5)
    assert renewals.pop("lock1") == "value"
    count = len(renewed)  # the renewal under way finished before pop returned
    assert count >= 1
    time.sleep(0.1)
    assert len(renewed) == count
    renewals.stop()


class FakeStore:
    def __init__(self) -> None:
        self.owned = OwnedEvents()
        self.renewed: list[tuple[str, float]] = []

    def renew_event(self, event_id: str, lease_seconds: float) -> bool:
        self.renewed.append((event_id, lease_seconds))
        return self.owned.proof(event_id) is not None

    def renew_events(self, event_ids: list[str], lease_seconds: float) -> list[str]:
        return [event_id for event_id in event_ids if not self.renew_event(event_id, lease_seconds)]


def test_event_leases_renew_held_events_only_until_released_or_finished():
    beat = Heartbeat(name="test-heartbeat-leases")
    store = FakeStore()
    leases = EventLeases(store, 0.06, heartbeat=beat)
    for event_id in ("Ev1", "Ev2", "Ev3"):
        store.owned.claimed(event_id, "lease")
    leases.hold("Ev1")
    leases.hold("Ev2")  # Ev3 is owned (e.g. a dead owner's event claimed by a test) but not held: not renewed
    wait_until(lambda: {e for e, _ in store.renewed} == {"Ev1", "Ev2"})
    assert all(lease == 0.06 for _, lease in store.renewed)
    leases.release("Ev1")
    store.owned.finished("Ev2")
    wait_until(lambda: beat._thread is None)  # nothing held: the heartbeat thread ends
    store.renewed.clear()
    time.sleep(0.05)
    assert store.renewed == [] and store.owned.proof("Ev1") == "lease" and store.owned.proof("Ev2") is None
