"""The history half of `python -m oilfx doctor --history`: each configured history source asked live (no cache,
concurrently) for the days before a date, WTI for the oil sources (every one of them has it) and USD/KRW for the
rate sources, and whether each kind has at least one source that works.

Not part of the bot's start-up line or /healthz: those run every hour, and history is asked for far less often
than quotes; an operator runs this when charts or `price_history` fail."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import requests

from oilfx.config import Settings
from oilfx.i18n import Text, lazy
from oilfx.market.errors import SourceError
from oilfx.market.history.combine import FX_HISTORY, FX_LABEL, OIL_HISTORY
from oilfx.market.history.series import Point
from oilfx.market.http import SourceHttp, new_session
from oilfx.market.quote import KST, now_utc
from oilfx.market.sources.base import Context

log = logging.getLogger(__name__)

PROBE = "WTI"          # every oil history source (Opinet, FRED, Naver) has WTI
WINDOW_DAYS = 14       # two weeks always hold trading days, holidays included


@dataclass(frozen=True)
class HistoryCheck:
    kind: str                  # "oil" or "fx": which setting lists it (OILFX_HISTORY_OIL_SOURCES / _FX_SOURCES)
    name: str                  # its name in that setting
    label: str                 # what answers name it by
    ms: float
    quantity: str              # "WTI" or "USD/KRW"
    closes: int = 0            # days with a value in the window
    last_day: date | None = None
    last_value: Decimal | None = None
    reason: Text | None = None  # why it failed (the CLI translates ours)

    @property
    def ok(self) -> bool:
        return self.closes > 0


@dataclass(frozen=True)
class HistoryReport:
    start: date
    end: date
    sources: tuple[HistoryCheck, ...]
    checked_at: datetime

    @property
    def unserved(self) -> tuple[str, ...]:
        """The kinds ("oil", "fx") with no working source."""
        return tuple(kind for kind in ("oil", "fx") if not any(s.ok for s in self.sources if s.kind == kind))

    @property
    def ok(self) -> bool:
        """A working source for the oil closes and one for the rates (a won series needs both)."""
        return not self.unserved


def check_history(settings: Settings, *, end: date | None = None, session: requests.Session | None = None,
                  clock: Callable[[], datetime] = now_utc) -> HistoryReport:
    """Ask every configured history source once, live, for the WINDOW_DAYS up to `end` (default: today in KST);
    never raises for a source's failure."""
    session = session if session is not None else new_session()
    now = clock()
    end = end if end is not None else now.astimezone(KST).date()
    start = end - timedelta(days=WINDOW_DAYS)

    def context() -> Context:
        return Context(SourceHttp(session, settings), settings, now)

    jobs: list[Callable[[], HistoryCheck]] = []
    for name in settings.history_oil_sources:
        label, oil = OIL_HISTORY[name]
        jobs.append(lambda n=name, lb=label, f=oil: _timed("oil", n, lb, PROBE,
                                                           lambda: f(context(), PROBE, start, end)))
    for name in settings.history_fx_sources:
        label, fx = FX_HISTORY[name]
        jobs.append(lambda n=name, lb=label, f=fx: _timed("fx", n, lb, FX_LABEL, lambda: f(context(), start, end)))
    with ThreadPoolExecutor(max_workers=max(1, len(jobs)), thread_name_prefix="oilfx-doctor-history") as pool:
        sources = tuple(pool.map(lambda job: job(), jobs))
    return HistoryReport(start, end, sources, now)


def _timed(kind: str, name: str, label: str, quantity: str, fetch: Callable[[], list[Point]]) -> HistoryCheck:
    started = time.perf_counter()

    def done(closes: int = 0, last: Point | None = None, reason: Text | None = None) -> HistoryCheck:
        return HistoryCheck(kind, name, label, (time.perf_counter() - started) * 1000, quantity, closes,
                            last.day if last else None, last.value if last else None, reason)

    try:
        valued = [p for p in fetch() if p.value is not None]
    except SourceError as e:
        return done(reason=e.reason)
    except Exception as e:  # a parser bug is a failed source here, as in History
        log.exception("doctor: %s history source %s crashed", kind, name)
        return done(reason=lazy("unexpected error ({error})", error=type(e).__name__))
    if not valued:
        return done(reason=lazy("no values in that range"))
    return done(closes=len(valued), last=max(valued, key=lambda p: p.day))
