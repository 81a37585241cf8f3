"""Which events this process owns, and the renewal of their leases.

`OwnedEvents` is the one place that knows: a backend records its proof of ownership at claim_event (Redis: the
lease value it wrote; SQLite: the lease_until it wrote), updates it at renew_event and drops it at finish_event.
`EventLeases` renews the leases of the owned events a turn works on, on the process's heartbeat (heartbeat.py),
from the claim until the turn ends, so a Slack retry landing on another process cannot take over a turn that is
still waiting for its thread or running. A killed process stops renewing: its events are taken over after the
lease. Nothing here knows Slack: it gets the store and the lease length.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from oilfx.store.heartbeat import HEARTBEAT, Heartbeat, Job

if TYPE_CHECKING:
    from oilfx.store.events import EventClaims

log = logging.getLogger(__name__)


class OwnedEvents:
    """Event id -> the backend's proof of ownership, for events claimed here and not finished; and which of
    them are held (their leases renewed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proof: dict[str, object] = {}
        self._held: set[str] = set()

    def claimed(self, event_id: str, proof: object) -> None:
        with self._lock:
            self._proof[event_id] = proof

    def proof(self, event_id: str) -> object | None:
        with self._lock:
            return self._proof.get(event_id)

    def finished(self, event_id: str) -> None:
        """Not ours any more (finished, or lost): first, so a renewal racing the finish does not report it lost."""
        with self._lock:
            self._proof.pop(event_id, None)
            self._held.discard(event_id)

    def hold(self, event_id: str) -> None:
        with self._lock:
            self._held.add(event_id)

    def release(self, event_id: str) -> None:
        with self._lock:
            self._held.discard(event_id)

    def held(self) -> list[str]:
        with self._lock:
            return list(self._held)

    def is_held(self, event_id: str) -> bool:
        with self._lock:
            return event_id in self._held


class EventLeases:
    """Renews every held event's lease every lease/3 seconds, on the heartbeat (no thread of its own), all in one
    store call: a slow renewal would delay the other jobs on the heartbeat."""

    def __init__(self, store: EventClaims, lease_seconds: float, *, heartbeat: Heartbeat = HEARTBEAT) -> None:
        self.store, self.lease_seconds, self._heartbeat = store, lease_seconds, heartbeat
        self._lock = threading.Lock()
        self._job: Job | None = None

    def hold(self, event_id: str) -> None:
        """Renew `event_id`'s lease (claimed by this process) until release() or finish_event."""
        self.store.owned.hold(event_id)
        with self._lock:
            if self._job is None:
                self._job = self._heartbeat.every(self.lease_seconds / 3, self._renew)

    def release(self, event_id: str) -> None:
        self.store.owned.release(event_id)

    def _renew(self) -> bool:
        owned = self.store.owned
        with self._lock:
            held = owned.held()
            if not held:
                self._job = None
                return False
        try:
            lost = self.store.renew_events(held, self.lease_seconds)
        except Exception as e:  # the store is down: keep trying, the leases may still hold
            log.warning("could not renew %d event lease(s): %s", len(held), e)
            return True
        for event_id in lost:
            if owned.is_held(event_id):  # not released meanwhile (a finish racing this renewal is no loss)
                log.error("event %s: lease lost to another process; it may be answered twice", event_id)
        return True
