"""The history contract: a period asked for, the unit a series is in, and a daily series with its sources.

A series holds one point per trading day a source printed a row for. A day a source lists without a value (FRED's
empty cell on a holiday) is a point whose value is None: charts break the line there; nothing is invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum

from oilfx.i18n import Text


class Period(Enum):
    W1 = "1w"
    M1 = "1m"
    M3 = "3m"
    M6 = "6m"
    Y1 = "1y"
    Y5 = "5y"

    @property
    def days(self) -> int:
        return {"1w": 7, "1m": 31, "3m": 92, "6m": 183, "1y": 366, "5y": 1827}[self.value]

    def start(self, end: date) -> date:
        """The first calendar day of the period that ends on `end` (inclusive)."""
        return end - timedelta(days=self.days - 1)

    @classmethod
    def parse(cls, text: str) -> Period:
        """'1m', '1M', '1개월', '1년' -> the period; ValueError naming the accepted ones otherwise."""
        key = text.strip().lower()
        korean = {"1주": "1w", "1주일": "1w", "1개월": "1m", "한달": "1m", "3개월": "3m", "6개월": "6m",
                  "1년": "1y", "5년": "5y"}
        key = korean.get(key, key)
        for period in cls:
            if period.value == key:
                return period
        raise ValueError(f"unknown period {text!r}; expected one of {', '.join(p.value for p in cls)}")


class Unit(Enum):
    USD = "usd"                        # USD per barrel
    KRW_PER_BARREL = "krw_per_barrel"  # won per barrel: close x that day's USD/KRW
    KRW_PER_LITRE = "krw_per_litre"    # won per litre: the above / 158.987294928

    @classmethod
    def parse(cls, text: str) -> Unit:
        aliases = {"usd": "usd", "$": "usd", "krw": "krw_per_barrel", "won": "krw_per_barrel", "원": "krw_per_barrel",
                   "krw/bbl": "krw_per_barrel", "krw/l": "krw_per_litre", "원/l": "krw_per_litre",
                   "리터": "krw_per_litre", "litre": "krw_per_litre", "liter": "krw_per_litre"}
        key = text.strip().lower()
        key = aliases.get(key, key)
        for unit in cls:
            if unit.value == key:
                return unit
        raise ValueError(f"unknown unit {text!r}; expected one of {', '.join(u.value for u in cls)}")


@dataclass(frozen=True)
class Point:
    day: date               # the trading day, as the source dates it (KST for Opinet and Naver, US for FRED)
    value: Decimal | None   # None: the source lists the day without a value (a holiday); never interpolated


@dataclass(frozen=True)
class Pairing:
    """How one point of a won series was computed: the oil close of `day` times the USD/KRW rate of `rate_day`
    (that day's, or the latest before it when the rate source has none that day)."""

    day: date
    usd: Decimal
    rate: Decimal
    rate_day: date


@dataclass(frozen=True)
class Series:
    """One benchmark's (or USD/KRW's: benchmark "USD/KRW", unit USD meaning won per dollar) daily values."""

    benchmark: str                 # "Dubai", "WTI", "Brent", or "USD/KRW"
    unit: Unit
    points: tuple[Point, ...]      # oldest first
    sources: tuple[str, ...]       # display names of every source a value came from
    start: date                    # the range asked for (inclusive)
    end: date
    fetched_at: datetime           # timezone-aware
    # for won series: how oil dates were paired with rates ("or the latest before"); str() of it is the English
    pairing_note: Text | None = None
    pairs: tuple[Pairing, ...] = ()  # for won series: the close and rate behind each valued point, oldest first

    def values(self) -> list[Point]:
        """The points that carry a value."""
        return [p for p in self.points if p.value is not None]


@dataclass(frozen=True)
class ChartRequest:
    """A chart the bot should draw and attach (the model asks; the bot draws it from the market, not the model)."""

    benchmarks: tuple[str, ...]    # canonical names, one line each
    period: Period
    unit: Unit
