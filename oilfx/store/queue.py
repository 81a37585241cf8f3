"""Per-thread turns: one turn at a time per Slack thread, in message order. Memory (memory_turns.py) for one
process, Redis (redis_queue.py) for several."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from oilfx.store.keys import ThreadKey


@dataclass(frozen=True)
class TurnTicket:
    """A message's place in its thread's turn queue, taken at arrival (see TurnQueue.enter_turn)."""

    key: ThreadKey
    order: str
    token: str  # the backend's id of the queue entry


class TurnQueue(Protocol):
    # One turn at a time per thread, in `order` (the Slack message ts) among the turns waiting.
    # Raises TimeoutError if the turn could not start within `timeout` seconds.
    # With `ticket` (from enter_turn), the turn keeps the place in the queue taken when its message arrived.
    def thread_turn(self, key: ThreadKey, order: str, timeout: float = 600.0,
                    ticket: TurnTicket | None = None) -> AbstractContextManager[None]: ...

    # Queue a message for its thread's turn now, at arrival; the store keeps the entry alive (across processes:
    # a heartbeat) until thread_turn(ticket=...) starts it or leave_turn drops it (idempotent).
    def enter_turn(self, key: ThreadKey, order: str) -> TurnTicket: ...

    def leave_turn(self, ticket: TurnTicket) -> None: ...

    # How many turns wait for `key` (for tests and stats).
    def turns_waiting(self, key: ThreadKey) -> int: ...
