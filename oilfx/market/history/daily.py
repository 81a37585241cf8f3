"""What the history sources share: the fetch signatures, keeping a range's points in order, and the cached form.

A history source returns the points it printed for one benchmark (or USD/KRW) between two dates, oldest first, a
day listed without a value kept as a Point whose value is None. It raises SourceError with a specific reason
when it cannot answer; an answer with no valued point in the range is for the caller to judge (try the next).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal, InvalidOperation

from oilfx.market.errors import SourceError
from oilfx.market.history.series import Point
from oilfx.market.sources.base import Context

# (context, benchmark, first day, last day) -> points; (context, first day, last day) -> USD/KRW points
OilHistoryFetch = Callable[[Context, str, date, date], list[Point]]
FxHistoryFetch = Callable[[Context, date, date], list[Point]]


def parse_close(benchmark: str, text: str) -> Decimal:
    """'1,289.00' -> Decimal. A close may be negative: WTI settled at -37.63 on 2020-04-20 (FRED prints -36.98 for
    Cushing spot), so unlike a quote's plausibility check this refuses only what no close has been.
    SourceError naming the cell otherwise (a layout shift that lands on a date, a change or a KRW price)."""
    cleaned = text.strip().replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise SourceError(f"{benchmark}: not a number: {text.strip()[:20]!r} (layout changed?)") from None
    if not value.is_finite() or not Decimal(-100) <= value <= Decimal(500):
        raise SourceError(f"implausible {benchmark} close {text.strip()[:20]!r} USD/bbl (layout changed?)")
    return value


def parse_rate(text: str) -> Decimal:
    """A USD/KRW rate ('1,452.30'); SourceError for anything outside what the won has traded at (~700-2,000)."""
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise SourceError(f"USD/KRW: not a number: {text.strip()[:20]!r} (layout changed?)") from None
    if not value.is_finite() or not Decimal(500) <= value <= Decimal(5000):
        raise SourceError(f"implausible USD/KRW rate {text.strip()[:20]!r} (layout changed?)")
    return value


def clip(points: Iterable[Point], start: date, end: date) -> list[Point]:
    """The points from `start` to `end` inclusive, oldest first, one per day (a valued row beats an empty one)."""
    by_day: dict[date, Point] = {}
    for point in points:
        if start <= point.day <= end and (point.day not in by_day or by_day[point.day].value is None):
            by_day[point.day] = point
    return [by_day[day] for day in sorted(by_day)]


def to_rows(points: Iterable[Point]) -> list[list[str | None]]:
    """Points as JSON rows for the cache: [["2026-03-09", "94.65"], ["2026-02-16", null]]."""
    return [[p.day.isoformat(), None if p.value is None else str(p.value)] for p in points]


def from_rows(rows: Iterable[list[str | None]]) -> tuple[Point, ...]:
    return tuple(Point(date.fromisoformat(day), None if value is None else Decimal(value)) for day, value in rows)
