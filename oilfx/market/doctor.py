"""The source check behind `python -m oilfx doctor` and the bot's start-up line: every configured source fetched
live (no cache, concurrently, each with its own retry budget), then which source would serve each quantity now."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import requests

from oilfx.config import Settings
from oilfx.i18n import Text, lazy
from oilfx.market.errors import SourceError
from oilfx.market.http import SourceHttp, new_session
from oilfx.market.quote import BENCHMARKS, now_utc
from oilfx.market.sources import FX_SOURCES, OIL_SOURCES, Context, knoc

log = logging.getLogger(__name__)

FX = "USD/KRW"
PUMP = "pump prices"
QUANTITIES = (*BENCHMARKS, FX, PUMP)


@dataclass(frozen=True)
class Figure:
    quantity: str          # "Dubai", "USD/KRW", "휘발유"
    value: Decimal
    unit: str              # "USD/bbl", "KRW/USD", "KRW/L"
    as_of: date | datetime


@dataclass(frozen=True)
class SourceCheck:
    kind: str              # "oil", "fx" or "pump": which setting lists the source
    name: str              # the name in OILFX_OIL_SOURCES / OILFX_FX_SOURCES ("knoc" for pump prices)
    label: str             # what answers name it by ("Opinet", "Naver (하나은행)")
    ms: float
    figures: tuple[Figure, ...] = ()
    reason: Text | None = None  # why it failed, or which wanted figures it lacked (the CLI translates ours)

    @property
    def ok(self) -> bool:
        return bool(self.figures)

    def serves(self, quantity: str) -> Figure | None:
        if quantity == PUMP:
            return self.figures[0] if self.kind == "pump" and self.figures else None
        return next((f for f in self.figures if f.quantity == quantity), None)


@dataclass(frozen=True)
class QuantityCheck:
    quantity: str
    source: SourceCheck | None     # the first working source in the configured order; None: nothing serves it
    figure: Figure | None


@dataclass(frozen=True)
class Report:
    sources: tuple[SourceCheck, ...]
    quantities: tuple[QuantityCheck, ...]
    checked_at: datetime = field(default_factory=now_utc)

    @property
    def ok(self) -> bool:
        return all(q.source is not None for q in self.quantities)

    def summary(self) -> str:
        """One log line: how many sources work, which failed, which quantities nothing serves."""
        working = sum(s.ok for s in self.sources)
        failed = [f"{s.kind} {s.name}: {s.reason}" for s in self.sources if not s.ok]
        unserved = [q.quantity for q in self.quantities if q.source is None]
        text = f"market sources: {working}/{len(self.sources)} working"
        if failed:
            text += " (" + "; ".join(failed) + ")"
        return text + ("; every quantity has a source" if not unserved else f"; NO SOURCE for {', '.join(unserved)}")


def _timed(kind: str, name: str, run: Callable[[], tuple[str, list[Figure], str | None]]) -> SourceCheck:
    reason: Text | None
    started = time.perf_counter()
    try:
        label, figures, reason = run()
    except SourceError as e:
        label, figures, reason = name, [], e.reason
    except Exception as e:  # a parser bug is a failed source here, as in Market
        log.exception("doctor: %s source %s crashed", kind, name)
        label, figures, reason = name, [], lazy("unexpected error ({error})", error=type(e).__name__)
    return SourceCheck(kind, name, label, (time.perf_counter() - started) * 1000, tuple(figures), reason)


def _check_oil(ctx: Context, name: str) -> SourceCheck:
    def run() -> tuple[str, list[Figure], str | None]:
        result = OIL_SOURCES[name](ctx, BENCHMARKS)
        figures = [Figure(b, p.usd, "USD/bbl", p.as_of) for b, p in result.prices.items()]
        label = next(iter(result.prices.values())).source
        reason = "; ".join(f"{b}: {r}" for b, r in result.reasons.items()) or None
        return label, figures, reason

    return _timed("oil", name, run)


def _check_fx(ctx: Context, name: str) -> SourceCheck:
    def run() -> tuple[str, list[Figure], str | None]:
        rate = FX_SOURCES[name](ctx)
        return rate.source, [Figure(FX, rate.rate, "KRW/USD", rate.as_of)], None

    return _timed("fx", name, run)


def _check_pump(ctx: Context) -> SourceCheck:
    def run() -> tuple[str, list[Figure], str | None]:
        prices = knoc.fetch(ctx)
        return knoc.NAME, [Figure(p.product, p.krw_per_litre, "KRW/L", p.as_of) for p in prices], None

    return _timed("pump", "knoc", run)


def check(settings: Settings, *, session: requests.Session | None = None,
          clock: Callable[[], datetime] = now_utc) -> Report:
    """Fetch every configured source once, live; never raises for a source's failure."""
    session = session if session is not None else new_session()
    now = clock()

    def context() -> Context:
        return Context(SourceHttp(session, settings), settings, now)

    jobs: list[Callable[[], SourceCheck]] = [lambda n=n: _check_oil(context(), n) for n in settings.oil_sources]
    jobs += [lambda n=n: _check_fx(context(), n) for n in settings.fx_sources]
    jobs.append(lambda: _check_pump(context()))
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="oilfx-doctor") as pool:
        sources = tuple(pool.map(lambda job: job(), jobs))
    quantities = []
    for quantity in QUANTITIES:
        served = next(((s, f) for s in sources if (f := s.serves(quantity)) is not None), (None, None))
        quantities.append(QuantityCheck(quantity, *served))
    return Report(sources, tuple(quantities), now)
