"""/healthz: can this bot process answer? Three checks, each with its own deadline, run together:

- store: one cheap read (SQLite query / Redis GET) through the store's own interface;
- slack: the Slack connection state (given by the Slack layer: oilfx/slack/api_watch.py);
- market: the last source check (market/doctor.py, which bot.py runs at start and every MARKET_RECHECK seconds)
  found a source for every crude benchmark and the rate, and is not older than it should be.

Healthy: HTTP 200 and a JSON body naming each check; otherwise 503 and `failed` lists the checks that failed. The
body carries states, ages and source names only: no token, URL password, user text or answer.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

from oilfx.market.doctor import PUMP, Report
from oilfx.market.quote import format_kst
from oilfx.store.base import Store

# Seconds a check may take before it counts as failed: past the Redis client's own reconnect attempts (~3.5 s
# against a refused connection), so an outage reports Redis's error rather than a timeout; below the compose
# health check's 10 s.
CHECK_TIMEOUT = 5.0
MARKET_RECHECK = 3600.0      # seconds between source checks: a live, uncached fetch of every configured source
HEALTH_META = "health:ping"  # the meta key the store check reads (never written: absent is the answer)

Detail = str | int | float | bool | None


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str                                         # one line for people
    facts: dict[str, Detail] = field(default_factory=dict)  # for machines (ages, states)


Check = Callable[[], CheckResult]


@dataclass(frozen=True)
class HealthReport:
    results: dict[str, CheckResult]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results.values())

    @property
    def failed(self) -> list[str]:
        return [name for name, r in self.results.items() if not r.ok]

    @property
    def status(self) -> int:
        return 200 if self.ok else 503

    def body(self) -> bytes:
        checks = {name: {"ok": r.ok, "detail": r.detail, **r.facts} for name, r in self.results.items()}
        return json.dumps({"status": "ok" if self.ok else "unhealthy", "failed": self.failed, "checks": checks},
                          ensure_ascii=False).encode()


class Health:
    """The checks by name; run() runs them at once, each bounded by `timeout`."""

    def __init__(self, checks: dict[str, Check], timeout: float = CHECK_TIMEOUT) -> None:
        self.checks, self.timeout = checks, timeout
        # A check stuck past its deadline keeps its thread; the pool bounds how many can pile up.
        self._pool = ThreadPoolExecutor(max_workers=4 * max(1, len(checks)), thread_name_prefix="oilfx-health")

    def run(self) -> HealthReport:
        futures = {name: self._pool.submit(_guarded, check) for name, check in self.checks.items()}
        deadline = time.monotonic() + self.timeout
        results = {}
        for name, future in futures.items():
            try:
                results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                results[name] = CheckResult(False, f"no answer within {self.timeout:g} s")
        return HealthReport(results)


def _guarded(check: Check) -> CheckResult:
    try:
        return check()
    except Exception as e:  # the store's errors say what failed, without the URL's password
        return CheckResult(False, f"{type(e).__name__}: {e}")


def store_check(store: Store) -> Check:
    def check() -> CheckResult:
        started = time.perf_counter()
        store.get_meta(HEALTH_META)
        ms = (time.perf_counter() - started) * 1000
        return CheckResult(True, f"{type(store).__name__} answered in {ms:.1f} ms", {"ms": round(ms, 1)})

    return check


class MarketCheck:
    """The latest source check's report, as bot.py's checker thread records it."""

    def __init__(self, recheck: float = MARKET_RECHECK, clock: Callable[[], float] = time.time) -> None:
        self.recheck, self.clock = recheck, clock
        self._lock = threading.Lock()
        self._report: Report | None = None
        self._at: float | None = None
        self._error: str | None = None

    def record(self, report: Report) -> None:
        with self._lock:
            self._report, self._at, self._error = report, self.clock(), None

    def failed(self, error: str) -> None:
        with self._lock:
            self._at, self._error = self.clock(), error

    def __call__(self) -> CheckResult:
        with self._lock:
            report, at, error = self._report, self._at, self._error
        if at is None:
            return CheckResult(True, "pending: the first source check is still running", {"age_seconds": None})
        age = round(self.clock() - at, 1)
        facts: dict[str, Detail] = {"age_seconds": age}
        if error is not None:
            return CheckResult(False, f"the source check failed: {error}", facts)
        assert report is not None
        facts["checked_at"] = format_kst(report.checked_at)
        # Pump prices missing degrade one tool; without a benchmark or the rate the bot cannot answer its question.
        unserved = [q.quantity for q in report.quantities if q.source is None and q.quantity != PUMP]
        if unserved:
            return CheckResult(False, f"no working source for {', '.join(unserved)}: {report.summary()}", facts)
        if age > 2 * self.recheck:
            return CheckResult(False, f"the last source check is {age:.0f} s old (one runs every "
                                      f"{self.recheck:.0f} s): the checker has stopped", facts)
        return CheckResult(True, report.summary(), facts)
