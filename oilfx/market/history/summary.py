"""What a series did over its range: first, last, lowest and highest values with their dates, the change and the
percent change, exact in Decimal (the tool, the CLI and the chart's caption all say the same)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from oilfx.market.history.series import Point, Series


@dataclass(frozen=True)
class Summary:
    first: Point
    last: Point
    low: Point          # the earliest day with the lowest value
    high: Point         # the earliest day with the highest value
    change: Decimal     # last - first, exact
    # change / first x 100, to the Decimal context's precision (round only to show it); None when the first value is
    # not positive (WTI closed below zero on 2020-04-20: a percent change from it means nothing)
    percent: Decimal | None
    count: int          # points with a value


def summarise(series: Series) -> Summary:
    """ValueError if the series has no valued point (the market raises before that can happen)."""
    valued = series.values()
    if not valued:
        raise ValueError(f"no {series.benchmark} values between {series.start} and {series.end}")
    first, last = valued[0], valued[-1]
    low = min(valued, key=lambda p: p.value)   # min/max keep the first of equal values: the earliest day
    high = max(valued, key=lambda p: p.value)
    assert first.value is not None and last.value is not None
    change = last.value - first.value
    percent = change / first.value * 100 if first.value > 0 else None
    return Summary(first, last, low, high, change, percent, len(valued))


def format_percent(percent: Decimal | None) -> str:
    """`+3.14%`, `-0.50%`: rounded half up to 2 places, the sign always shown (`-0.00%` for a tiny fall); `n/a`
    where there is none (summarise gives None after a first value that is not positive)."""
    if percent is None:
        return "n/a"
    return f"{percent.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):+}%"
