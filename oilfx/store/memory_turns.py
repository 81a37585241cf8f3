"""Per-thread turns in memory: one process's scheduler (the SQLite backend's; Redis has redis_queue.py).

A heap of (order, arrival) per thread and whether a turn is running; a Condition wakes the waiters. SQLite is for
ONE process, so nothing here is shared across processes.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from oilfx.store import turn_order
from oilfx.store.base import ThreadKey, TurnTicket


class _ThreadQueue:
    """Turns waiting for one thread: a heap of (order, arrival) and whether a turn is running."""

    def __init__(self, lock: threading.Lock) -> None:
        self.changed = threading.Condition(lock)
        self.waiting: list[tuple[Any, int]] = []
        self.running = False


class MemoryTurns:
    """The TurnQueue capability (oilfx.store.queue) for one process."""

    def __init__(self) -> None:
        self._turns_lock = threading.Lock()
        self._turns: dict[ThreadKey, _ThreadQueue] = {}
        self._arrivals = itertools.count()

    def _queue(self, key: ThreadKey) -> _ThreadQueue:
        queue = self._turns.get(key)
        if queue is None:
            queue = self._turns[key] = _ThreadQueue(self._turns_lock)
        return queue

    def enter_turn(self, key: ThreadKey, order: str) -> TurnTicket:
        entry = (turn_order(order), next(self._arrivals))
        with self._turns_lock:
            heapq.heappush(self._queue(key).waiting, entry)
        return TurnTicket(key, order, str(entry[1]))

    def leave_turn(self, ticket: TurnTicket) -> None:
        entry = (turn_order(ticket.order), int(ticket.token))
        with self._turns_lock:
            queue = self._turns.get(ticket.key)
            if queue is None or entry not in queue.waiting:
                return
            queue.waiting.remove(entry)
            heapq.heapify(queue.waiting)
            self._forget_if_idle(ticket.key, queue)
            queue.changed.notify_all()

    @contextmanager
    def thread_turn(self, key: ThreadKey, order: str, timeout: float = 600.0,
                    ticket: TurnTicket | None = None) -> Iterator[None]:
        deadline = time.monotonic() + timeout
        with self._turns_lock:
            queue = self._queue(key)
            entered = (turn_order(ticket.order), int(ticket.token)) if ticket is not None else None
            if entered is not None and entered in queue.waiting:
                entry = entered  # the place taken at arrival
            else:
                entry = (turn_order(order), next(self._arrivals))
                heapq.heappush(queue.waiting, entry)
            while queue.running or queue.waiting[0] != entry:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    queue.waiting.remove(entry)
                    heapq.heapify(queue.waiting)
                    self._forget_if_idle(key, queue)
                    queue.changed.notify_all()
                    raise TimeoutError(f"thread {key}: turn {order} did not start within {timeout:g} s")
                queue.changed.wait(remaining)
            heapq.heappop(queue.waiting)
            queue.running = True
        try:
            yield
        finally:
            with self._turns_lock:
                queue.running = False
                self._forget_if_idle(key, queue)
                queue.changed.notify_all()

    def _forget_if_idle(self, key: ThreadKey, queue: _ThreadQueue) -> None:
        if not queue.running and not queue.waiting and self._turns.get(key) is queue:
            del self._turns[key]

    def turns_waiting(self, key: ThreadKey) -> int:
        """How many turns wait (not counting the running one) for `key` in this process."""
        with self._turns_lock:
            queue = self._turns.get(key)
            return len(queue.waiting) if queue else 0
