"""The process's one renewal thread: everything the store keeps alive by renewing it runs here.

Three jobs renew in the background: event leases (leases.py), and with Redis a waiting turn's queue entry and a
running turn's lock (redis_queue.py). Each was a thread of its own (the turn lock one per running turn); now each
is a job on this thread, at its own interval. A job says when it has nothing left to renew, and is dropped then;
the thread ends when no job is left and starts again with the next one, so an idle process runs no thread here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Job:
    """A renewal run every `interval` seconds; `run` returns False when nothing is left to renew."""

    interval: float
    run: Callable[[], bool]
    due: float = field(default=0.0)


class Heartbeat:
    def __init__(self, name: str = "oilfx-heartbeat") -> None:
        self.name = name
        self._changed = threading.Condition()
        self._jobs: list[Job] = []
        self._thread: threading.Thread | None = None

    def every(self, interval: float, run: Callable[[], bool]) -> Job:
        """Run `run` every `interval` seconds, first `interval` seconds from now, until it returns False."""
        job = Job(interval, run, time.monotonic() + interval)
        with self._changed:
            self._jobs.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._beat, name=self.name, daemon=True)
                self._thread.start()
            self._changed.notify_all()  # the new job may be due before the one the thread waits for
        return job

    def cancel(self, job: Job) -> None:
        with self._changed:
            if job in self._jobs:
                self._jobs.remove(job)
            self._changed.notify_all()

    def _beat(self) -> None:
        while True:
            with self._changed:
                if not self._jobs:
                    self._thread = None
                    return
                now = time.monotonic()
                wait = min(job.due for job in self._jobs) - now
                if wait > 0:
                    self._changed.wait(wait)
                    continue
                ready = [job for job in self._jobs if job.due <= now]
                for job in ready:
                    job.due = now + job.interval
            for job in ready:
                try:
                    more = job.run()
                except Exception:  # one failing job must not stop the others' renewals
                    log.exception("renewal job failed; trying again in %.1f s", job.interval)
                    more = True
                if not more:
                    self.cancel(job)


# One per process: every store and lease holder in the process renews on it.
HEARTBEAT = Heartbeat()


class Renewals:
    """Things of one kind this process keeps alive (key -> what renewing needs), renewed together on HEARTBEAT.

    `renew(items)` gets a snapshot. With `exclusive`, it runs holding the lock that `pop` takes, so once pop
    returns no renewal of that key is in flight (a Redis turn lock renewed after its release would be re-taken)."""

    def __init__(self, interval: Callable[[], float], renew: Callable[[list[tuple[str, object]]], None], *,
                 exclusive: bool = False, heartbeat: Heartbeat = HEARTBEAT) -> None:
        self._interval, self._renew, self._exclusive, self._heartbeat = interval, renew, exclusive, heartbeat
        self._lock = threading.RLock()
        self._items: dict[str, object] = {}
        self._job: Job | None = None

    def add(self, key: str, value: object) -> None:
        with self._lock:
            self._items[key] = value
            if self._job is None:
                self._job = self._heartbeat.every(self._interval(), self._run)

    def get(self, key: str) -> object | None:
        with self._lock:
            return self._items.get(key)

    def pop(self, key: str) -> object | None:
        with self._lock:
            return self._items.pop(key, None)

    def stop(self) -> None:
        with self._lock:
            self._items.clear()
            if self._job is not None:
                self._heartbeat.cancel(self._job)
                self._job = None

    def _run(self) -> bool:
        with self._lock:
            items = list(self._items.items())
            if not items:
                self._job = None
                return False
            if self._exclusive:
                self._renew(items)
                return True
        self._renew(items)
        return True
