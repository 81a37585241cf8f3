"""What every source module shares: the fetch context, the oil result, number and date parsing."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from oilfx.config import Settings
from oilfx.market.errors import SourceError
from oilfx.market.http import SourceHttp
from oilfx.market.quote import BENCHMARKS, OilPrice

_DATE = re.compile(r"(\d{4})\s*[.\-/]\s*(\d{1,2})\s*[.\-/]\s*(\d{1,2})")


@dataclass(frozen=True)
class Context:
    """What a fetch needs: HTTP with this source's retry budget, the URLs, and the time of the fetch."""

    http: SourceHttp
    settings: Settings
    now: datetime


@dataclass(frozen=True)
class OilResult:
    """The wanted benchmarks a source had, and why it lacked the others."""

    prices: dict[str, OilPrice]
    reasons: dict[str, str] = field(default_factory=dict)


def fetch_each(wanted: Collection[str], fetch_one: Callable[[str], OilPrice],
               reasons: dict[str, str] | None = None) -> OilResult:
    """One page per benchmark (Naver's daily quotes, FRED's series): each wanted benchmark in BENCHMARKS order,
    stopping at the first timeout or connection failure, since the host's other pages would only add the same wait.
    `reasons` starts with benchmarks the source cannot have; SourceError if no benchmark was found."""
    prices: dict[str, OilPrice] = {}
    reasons = dict(reasons or {})
    for benchmark in (b for b in BENCHMARKS if b in wanted and b not in reasons):
        try:
            prices[benchmark] = fetch_one(benchmark)
        except SourceError as e:
            reasons[benchmark] = e.reason
            if e.reason.startswith(("timeout", "connect", "connection")):
                reasons.update({b: e.reason for b in wanted if b not in prices})
                break
    if not prices:
        raise SourceError("; ".join(dict.fromkeys(reasons.values())) or "no benchmarks requested")
    return OilResult(prices, reasons)


def parse_decimal(text: str) -> Decimal:
    """'1,289.00' -> Decimal('1289.00'); ValueError for anything that is not a positive finite number."""
    cleaned = text.strip().replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not a number: {text.strip()[:20]!r}") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"not a positive price: {text.strip()[:20]!r}")
    return value


def parse_date(text: str) -> date | None:
    """The first 'YYYY.MM.DD' / 'YYYY-MM-DD' in `text`, or None."""
    match = _DATE.search(text)
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def check_oil_price(benchmark: str, usd: Decimal) -> Decimal:
    """Guard against a layout shift that lands on another number (a change, a KRW price, a year)."""
    if not Decimal("1") <= usd <= Decimal("500"):
        raise SourceError(f"implausible {benchmark} price {usd} USD/bbl (layout changed?)")
    return usd
