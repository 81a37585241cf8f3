"""The day's change per benchmark for the digest: the quote's settlement against the previous close in the
market's daily history (Market.history). A benchmark whose change cannot be had gets the reason instead."""

from __future__ import annotations

import logging
from datetime import date
from typing import Protocol

from oilfx.alerts.events import DayChange
from oilfx.i18n import Text, lazy
from oilfx.market.errors import MarketUnavailable
from oilfx.market.history.series import Period, Series, Unit
from oilfx.market.quote import BENCHMARKS, Quote

log = logging.getLogger(__name__)

NO_HISTORY = lazy("no price history to compare with")


class DailyHistory(Protocol):
    def history(self, benchmark: str, period: Period, unit: Unit, end: date | None = None) -> Series: ...


def day_changes(quote: Quote, history: DailyHistory | None) -> dict[str, DayChange | Text]:
    """Benchmark -> its change since the close before the quote's (a week of history covers weekends and
    holidays), or why there is none."""
    changes: dict[str, DayChange | Text] = {}
    for benchmark in BENCHMARKS:
        price = quote.oil.get(benchmark)
        if price is None:
            changes[benchmark] = quote.missing.get(benchmark, "no source had it")
            continue
        if history is None:
            changes[benchmark] = NO_HISTORY
            continue
        try:
            series = history.history(benchmark, Period.W1, Unit.USD, end=price.as_of)
        except MarketUnavailable as e:
            log.warning("digest: no history for %s (%s)", benchmark, e)
            changes[benchmark] = lazy("history unavailable ({error})", error=str(e))
            continue
        earlier = [p for p in series.values() if p.day < price.as_of]
        if not earlier:
            changes[benchmark] = lazy("no close before {day} in the history", day=price.as_of)
            continue
        previous = earlier[-1]
        assert previous.value is not None  # values() holds valued points only
        changes[benchmark] = DayChange(benchmark, price.usd, price.as_of, previous.value, previous.day)
    return changes
