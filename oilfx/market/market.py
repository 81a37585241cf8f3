"""Market: resolves Dubai/WTI/Brent and USD/KRW through the configured fallback order, and KNOC's pump prices,
behind a TTL cache."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from datetime import date, datetime

import requests

from oilfx.config import Settings
from oilfx.i18n import Msg, lazy
from oilfx.market.cache import MemoryCache, QuoteCache
from oilfx.market.errors import MarketUnavailable, SourceError
from oilfx.market.history.combine import History
from oilfx.market.history.series import Period, Series, Unit
from oilfx.market.http import SourceHttp, new_session
from oilfx.market.quote import BENCHMARKS, FxRate, OilPrice, PumpPrice, Quote, format_pump, is_stale, now_utc
from oilfx.market.sources import FX_SOURCES, OIL_SOURCES, Context, OilResult, knoc
from oilfx.metrics import METRICS

log = logging.getLogger(__name__)

OIL_KEY = "oil"
FX_KEY = "fx"
PUMP_KEY = "pump"


def describe_pump(pump: list[PumpPrice] | MarketUnavailable) -> Msg:
    """The pump prices as one line, or why they are unavailable, to render in the reader's language."""
    if isinstance(pump, MarketUnavailable):
        return lazy("Pump prices unavailable ({reason})", reason=pump.text)
    return format_pump(pump)


class Market:
    def __init__(self, settings: Settings, *, cache: QuoteCache | None = None,
                 session: requests.Session | None = None, clock: Callable[[], datetime] = now_utc) -> None:
        self.settings = settings
        self.cache: QuoteCache = cache if cache is not None else MemoryCache()
        self.session = session if session is not None else new_session()
        self.clock = clock
        self.histories = History(settings, self.cache, self.session, clock)

    # --- public API -------------------------------------------------------------------------------------------

    def oil(self) -> dict[str, OilPrice]:
        """Benchmark -> price, each from the first source in settings.oil_sources that has it."""
        prices, _missing, _fetched = self._oil()
        return prices

    def fx(self) -> FxRate:
        """USD/KRW from the first working source in settings.fx_sources."""
        rate, _fetched = self._fx()
        return rate

    def pump(self) -> list[PumpPrice]:
        """KNOC's national average pump prices (휘발유, 자동차용경유, 자동차용부탄).

        MarketUnavailable if the page fails."""
        cached = self.cache.get_or_load(PUMP_KEY, self.settings.cache_ttl, self._load_pump)
        return [PumpPrice.from_dict(d) for d in cached["prices"]]

    def pump_line(self) -> Msg:
        """The pump prices as one display line, or why they are unavailable: never raises MarketUnavailable."""
        try:
            return describe_pump(self.pump())
        except MarketUnavailable as e:
            return describe_pump(e)

    def history(self, benchmark: str, period: Period, unit: Unit, end: date | None = None) -> Series:
        """Daily closes of Dubai, WTI or Brent over `period` ending `end` (today in KST), in USD or won per barrel
        or litre (each close paired with that day's USD/KRW or the latest before). MarketUnavailable if none."""
        return self.histories.series(benchmark, period, unit, end)

    def quote(self) -> Quote:
        """Oil and FX fetched concurrently. MarketUnavailable if there is no oil price at all or no rate."""
        oil_box: list = []

        def load_oil() -> None:
            try:
                oil_box.append(self._oil())
            except BaseException as e:  # handed to the caller's thread below
                oil_box.append(e)

        worker = threading.Thread(target=load_oil, name="oilfx-market-oil", daemon=True)
        worker.start()
        fx_error: MarketUnavailable | None = None
        try:
            rate, fx_fetched = self._fx()
        except MarketUnavailable as e:
            fx_error = e
        worker.join()
        oil_result = oil_box[0]
        if isinstance(oil_result, MarketUnavailable) and fx_error is not None:
            raise MarketUnavailable.combine(oil_result, fx_error)
        if isinstance(oil_result, BaseException):
            raise oil_result
        if fx_error is not None:
            raise fx_error
        prices, missing, oil_fetched = oil_result
        return Quote(oil=prices, fx=rate, fetched_at=min(oil_fetched, fx_fetched), missing=missing)

    # --- resolution behind the cache ---------------------------------------------------------------------------

    def _oil(self) -> tuple[dict[str, OilPrice], dict[str, str], datetime]:
        cached = self.cache.get_or_load(OIL_KEY, self.settings.cache_ttl, self._load_oil)
        now = self.clock()
        prices = {}
        for benchmark, d in cached["prices"].items():
            price = OilPrice.from_dict(d)
            prices[benchmark] = dataclasses.replace(price, stale=is_stale(price.as_of, now))
        return prices, dict(cached["missing"]), datetime.fromisoformat(cached["fetched_at"])

    def _fx(self) -> tuple[FxRate, datetime]:
        cached = self.cache.get_or_load(FX_KEY, self.settings.cache_ttl, self._load_fx)
        rate = FxRate.from_dict(cached["rate"])
        rate = dataclasses.replace(rate, stale=is_stale(rate.as_of, self.clock()))
        return rate, datetime.fromisoformat(cached["fetched_at"])

    def _context(self, now: datetime) -> Context:
        return Context(SourceHttp(self.session, self.settings), self.settings, now)

    def _load_oil(self) -> dict:
        now = self.clock()
        found: dict[str, OilPrice] = {}
        reasons: dict[str, list[str]] = {b: [] for b in BENCHMARKS}
        failures: list[tuple[str, str]] = []
        for name in self.settings.oil_sources:
            wanted = [b for b in BENCHMARKS if b not in found]
            if not wanted:
                break
            try:
                result = OIL_SOURCES[name](self._context(now), wanted)
            except SourceError as e:
                result = OilResult({}, {b: e.reason for b in wanted})
                failures.append((name, e.reason))
            except Exception as e:  # a parser bug must not hide the next source
                log.exception("oil source %s crashed", name)
                reason = f"unexpected error ({type(e).__name__})"
                result = OilResult({}, {b: reason for b in wanted})
                failures.append((name, reason))
            METRICS.source_fetch(OIL_KEY, name, failed=bool(failures) and failures[-1][0] == name)
            for benchmark in wanted:
                if benchmark in result.prices:
                    found[benchmark] = result.prices[benchmark]
                else:
                    reasons[benchmark].append(f"{name}: {result.reasons.get(benchmark, 'not found')}")
            if failures and failures[-1][0] == name:
                log.warning("oil source %s failed: %s", name, failures[-1][1])
            else:
                log.debug("oil source %s gave %s", name, ", ".join(result.prices) or "nothing wanted")
        if not found:
            raise MarketUnavailable("no crude prices", failures)
        missing = {b: "; ".join(reasons[b]) or "no oil source configured" for b in BENCHMARKS if b not in found}
        return {
            "prices": {b: found[b].to_dict() for b in BENCHMARKS if b in found},
            "missing": missing,
            "fetched_at": now.isoformat(),
        }

    def _load_pump(self) -> dict:
        try:
            prices = knoc.fetch(self._context(self.clock()))
            METRICS.source_fetch(PUMP_KEY, "knoc", failed=False)
        except SourceError as e:
            METRICS.source_fetch(PUMP_KEY, "knoc", failed=True)
            log.warning("pump price source knoc failed: %s", e.reason)
            raise MarketUnavailable("no pump prices", [("knoc", e.reason)]) from None
        except Exception as e:
            METRICS.source_fetch(PUMP_KEY, "knoc", failed=True)
            log.exception("pump price source knoc crashed")
            raise MarketUnavailable("no pump prices", [("knoc", f"unexpected error ({type(e).__name__})")]) from None
        return {"prices": [p.to_dict() for p in prices]}

    def _load_fx(self) -> dict:
        now = self.clock()
        failures: list[tuple[str, str]] = []
        for name in self.settings.fx_sources:
            try:
                rate = FX_SOURCES[name](self._context(now))
            except SourceError as e:
                failures.append((name, e.reason))
            except Exception as e:
                log.exception("FX source %s crashed", name)
                failures.append((name, f"unexpected error ({type(e).__name__})"))
            else:
                METRICS.source_fetch(FX_KEY, name, failed=False)
                log.debug("FX source %s gave %s (%s)", name, rate.rate, rate.source)
                return {"rate": rate.to_dict(), "fetched_at": now.isoformat()}
            METRICS.source_fetch(FX_KEY, name, failed=True)
            log.warning("FX source %s failed: %s", name, failures[-1][1])
        raise MarketUnavailable("no USD/KRW rate", failures)
