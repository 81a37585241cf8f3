"""History: a benchmark's daily closes (and USD/KRW) over a period, from the configured sources in order, cached.

Each range is fetched from the first source in settings.history_oil_sources (or history_fx_sources) that answers
with at least one value in it; every failure names its source and reason and the next source is tried; when all
fail, MarketUnavailable names each. A range is cached under its dates for settings.history_ttl seconds in the
same QuoteCache the quotes use (Redis shares it between processes), so a range asked twice is fetched once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta

import requests

from oilfx.config import Settings
from oilfx.i18n import Text, benchmark_name, lazy
from oilfx.market.cache import QuoteCache
from oilfx.market.errors import MarketUnavailable, SourceError
from oilfx.market.history import frankfurter, fred, naver, opinet
from oilfx.market.history.daily import FxHistoryFetch, OilHistoryFetch, from_rows, to_rows
from oilfx.market.history.pairing import pair
from oilfx.market.history.series import Period, Point, Series, Unit
from oilfx.market.http import SourceHttp
from oilfx.market.quote import KST, canonical_benchmark
from oilfx.market.sources.base import Context
from oilfx.metrics import METRICS

log = logging.getLogger(__name__)

FX_LABEL = "USD/KRW"
OIL_HISTORY_KEY, FX_HISTORY_KEY = "oil_history", "fx_history"   # the `quantity` label of the source metrics
# (display name, fetch) by the names OILFX_HISTORY_OIL_SOURCES / OILFX_HISTORY_FX_SOURCES use
OIL_HISTORY: dict[str, tuple[str, OilHistoryFetch]] = {
    "opinet": (opinet.NAME, opinet.fetch), "fred": (fred.NAME, fred.fetch), "naver": (naver.NAME, naver.fetch_oil),
}
FX_HISTORY: dict[str, tuple[str, FxHistoryFetch]] = {
    "frankfurter": (frankfurter.NAME, frankfurter.fetch), "naver": (naver.NAME, naver.fetch_fx),
}
# Rates are fetched from this many days before the oil range, so its first close has a rate on or before it
# (the longest run of days without a Korean bank rate, Chuseok or Seollal with a weekend, is under a week).
RATE_LOOKBACK_DAYS = 10


class History:
    def __init__(self, settings: Settings, cache: QuoteCache, session: requests.Session,
                 clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.cache = cache
        self.session = session
        self.clock = clock

    def series(self, benchmark: str, period: Period, unit: Unit, end: date | None = None) -> Series:
        """`benchmark`'s daily closes over `period` ending on `end` (default: today in KST), in `unit`.
        MarketUnavailable (naming each source) when no source has a value in the range."""
        benchmark = canonical_benchmark(benchmark)
        end = end if end is not None else self.clock().astimezone(KST).date()
        start = period.start(end)
        oil = self.oil(benchmark, start, end)
        if unit is Unit.USD:
            return oil
        return pair(oil, self.fx(start - timedelta(days=RATE_LOOKBACK_DAYS), end), unit)

    def oil(self, benchmark: str, start: date, end: date) -> Series:
        """`benchmark`'s closes (USD/bbl) from `start` to `end` inclusive."""
        def load() -> dict:
            return self._load(OIL_HISTORY_KEY, lazy("no {benchmark} closes between {start} and {end}",
                                                    benchmark=benchmark_name(benchmark), start=start, end=end),
                              self.settings.history_oil_sources,
                              {n: (d, lambda ctx, f=f: f(ctx, benchmark, start, end)) for n, (d, f) in
                               OIL_HISTORY.items()})

        key = f"history:oil:{benchmark}:{start}:{end}:{','.join(self.settings.history_oil_sources)}"
        return self._series(benchmark, start, end, self.cache.get_or_load(key, self.settings.history_ttl, load))

    def fx(self, start: date, end: date) -> Series:
        """USD/KRW (won per dollar; unit USD) from `start` to `end` inclusive."""
        def load() -> dict:
            return self._load(FX_HISTORY_KEY, lazy("no USD/KRW rates between {start} and {end}", start=start, end=end),
                              self.settings.history_fx_sources,
                              {n: (d, lambda ctx, f=f: f(ctx, start, end)) for n, (d, f) in FX_HISTORY.items()})

        key = f"history:fx:{start}:{end}:{','.join(self.settings.history_fx_sources)}"
        return self._series(FX_LABEL, start, end, self.cache.get_or_load(key, self.settings.history_ttl, load))

    @staticmethod
    def _series(label: str, start: date, end: date, cached: dict) -> Series:
        return Series(label, Unit.USD, from_rows(cached["points"]), (cached["source"],), start, end,
                      datetime.fromisoformat(cached["fetched_at"]))

    def _load(self, quantity: str, what: Text, order: tuple[str, ...],
              sources: dict[str, tuple[str, Callable[[Context], list[Point]]]]) -> dict:
        now = self.clock()
        failures: list[tuple[str, str]] = []
        for name in order:
            display, fetch = sources[name]
            try:
                points = fetch(Context(SourceHttp(self.session, self.settings), self.settings, now))
            except SourceError as e:
                failures.append((name, e.reason))
            except Exception as e:  # a parser bug must not hide the next source
                log.exception("history source %s crashed", name)
                failures.append((name, f"unexpected error ({type(e).__name__})"))
            else:
                if any(p.value is not None for p in points):
                    METRICS.source_fetch(quantity, name, failed=False)
                    log.debug("history source %s gave %d rows for %s", name, len(points), what)
                    return {"points": to_rows(points), "source": display, "fetched_at": now.isoformat()}
                failures.append((name, "no rows in that range"))
            METRICS.source_fetch(quantity, name, failed=True)   # counted as the quote sources are (market.py)
            log.warning("history source %s: %s (%s)", name, failures[-1][1], what)
        raise MarketUnavailable(what, failures)
