"""The loop that runs the checks: alerts every OILFX_ALERT_INTERVAL seconds, digests at least every
DIGEST_TICK seconds (so a 09:00 digest goes out within that of 09:00), on one daemon thread stopped cleanly.

A small loop rather than a scheduler library: there are two periodic jobs, and the exactly-once part lives in the
store either way. A failing check is logged and the loop goes on.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

from oilfx.alerts.checker import Checker
from oilfx.store import StoreError

log = logging.getLogger(__name__)

DIGEST_TICK = 20.0  # seconds


def process_owner() -> str:
    """This process, as written in its claims (for operators reading the store)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Scheduler:
    def __init__(self, checker: Checker, interval: float, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.checker = checker
        self.interval = interval
        self.tick = min(interval, DIGEST_TICK)
        self._monotonic = monotonic
        self._next_alerts = 0.0  # the first tick checks alerts at once: a crossing while no bot ran is not lost
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> None:
        """One tick: the alerts if their interval has passed, and the digests."""
        now = self._monotonic()
        if now >= self._next_alerts:
            self._next_alerts = now + self.interval
            self._guarded(self.checker.check_alerts, "alert check")
        self._guarded(self.checker.check_digests, "digest check")

    def _guarded(self, job: Callable[[], None], name: str) -> None:
        try:
            job()
        except StoreError as e:  # Redis or the file is away: one line per tick, not a traceback every 20 s
            log.error("%s failed: %s; trying again at the next tick", name, e)
        except Exception:  # a Slack or market failure must not end the loop: the next tick tries again
            log.exception("%s failed; trying again at the next tick", name)

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = self._monotonic()
            self.run_once()
            self._stop.wait(max(0.0, self.tick - (self._monotonic() - started)))

    def start(self) -> Scheduler:
        log.info("alerts and digests: checking alerts every %g s, digests every %g s (owner %s)", self.interval,
                 self.tick, self.checker.owner)
        self._thread = threading.Thread(target=self._loop, name="oilfx-alerts", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ends the loop after the check in progress (a post under way finishes or times out)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the alerts thread did not stop within %g s", timeout)
