"""Market values and the money arithmetic: Decimal end to end, times with a time zone, KST on display."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from oilfx.i18n import Msg, lazy
from oilfx.i18n.joins import Join, joined

KST = ZoneInfo("Asia/Seoul")
BENCHMARKS = ("Dubai", "WTI", "Brent")
LITRES_PER_BARREL = Decimal("158.987294928")
UNITS = ("barrel", "litre")

_WON = Decimal("1")
_CENT = Decimal("0.01")


def canonical_benchmark(name: str) -> str:
    """'wti', 'BRENT', '두바이' -> the canonical benchmark name; ValueError otherwise."""
    aliases = {
        "dubai": "Dubai", "두바이": "Dubai", "두바이유": "Dubai",
        "wti": "WTI", "서부텍사스": "WTI", "서부텍사스산원유": "WTI",
        "brent": "Brent", "브렌트": "Brent", "브렌트유": "Brent",
    }
    key = name.strip().lower()
    if key not in aliases:
        raise ValueError(f"unknown benchmark {name!r}; expected one of {', '.join(BENCHMARKS)}")
    return aliases[key]


def last_trading_day(now: datetime) -> date:
    """The last weekday strictly before `now`'s date in KST (crude settles on the previous trading day).

    Exchange holidays are not modelled: on the day after one, a price is flagged stale one day early.
    """
    day = now.astimezone(KST).date() - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def is_stale(as_of: date | datetime, now: datetime) -> bool:
    """A price is stale when its date is older than the last trading day before `now` (KST)."""
    day = as_of.astimezone(KST).date() if isinstance(as_of, datetime) else as_of
    return day < last_trading_day(now)


@dataclass(frozen=True)
class OilPrice:
    """One benchmark's settlement in USD per barrel for trading day `as_of`."""

    benchmark: str
    usd: Decimal
    as_of: date
    source: str
    stale: bool = False

    def to_dict(self) -> dict:
        return {"benchmark": self.benchmark, "usd": str(self.usd), "as_of": self.as_of.isoformat(),
                "source": self.source, "stale": self.stale}

    @classmethod
    def from_dict(cls, d: Mapping) -> OilPrice:
        return cls(d["benchmark"], Decimal(d["usd"]), date.fromisoformat(d["as_of"]), d["source"],
                   bool(d.get("stale", False)))


@dataclass(frozen=True)
class FxRate:
    """KRW per 1 USD, quoted at `as_of` (timezone-aware)."""

    rate: Decimal
    as_of: datetime
    source: str
    stale: bool = False

    def to_dict(self) -> dict:
        return {"rate": str(self.rate), "as_of": self.as_of.isoformat(), "source": self.source,
                "stale": self.stale}

    @classmethod
    def from_dict(cls, d: Mapping) -> FxRate:
        return cls(Decimal(d["rate"]), datetime.fromisoformat(d["as_of"]), d["source"],
                   bool(d.get("stale", False)))


@dataclass(frozen=True)
class PumpPrice:
    """A national average retail price at the pump, KRW per litre, for day `as_of` (KST)."""

    product: str          # the page's own name: 휘발유, 자동차용경유, 자동차용부탄
    english: str          # gasoline, diesel, autogas (butane)
    krw_per_litre: Decimal
    as_of: date
    source: str

    def to_dict(self) -> dict:
        return {"product": self.product, "english": self.english, "krw_per_litre": str(self.krw_per_litre),
                "as_of": self.as_of.isoformat(), "source": self.source}

    @classmethod
    def from_dict(cls, d: Mapping) -> PumpPrice:
        return cls(d["product"], d["english"], Decimal(d["krw_per_litre"]), date.fromisoformat(d["as_of"]),
                   d["source"])


@dataclass(frozen=True)
class Quote:
    """The benchmarks that could be fetched, the rate, and why any benchmark is missing."""

    oil: Mapping[str, OilPrice]
    fx: FxRate
    fetched_at: datetime
    missing: Mapping[str, str] = field(default_factory=dict)

    def krw_per_barrel(self, benchmark: str) -> Decimal:
        return krw_per_barrel(self.oil[benchmark].usd, self.fx.rate)

    def krw_per_litre(self, benchmark: str) -> Decimal:
        return krw_per_litre(self.oil[benchmark].usd, self.fx.rate)


def krw_per_barrel(usd: Decimal, rate: Decimal) -> Decimal:
    """Exact product, unrounded: 76.41 x 1289.00 = 98492.4900."""
    return usd * rate


def krw_per_litre(usd: Decimal, rate: Decimal) -> Decimal:
    """Exact to 28 significant digits (Decimal context); round only for display."""
    return usd * rate / LITRES_PER_BARREL


def round_won(amount: Decimal) -> Decimal:
    """KRW has no minor unit: whole won, half up."""
    return amount.quantize(_WON, rounding=ROUND_HALF_UP)


def round_cents(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def format_krw(amount: Decimal) -> str:
    """Per-barrel won: `₩98,492`."""
    return f"₩{round_won(amount):,}"


def format_krw_litre(amount: Decimal) -> str:
    """Per-litre won, two decimals as Korean fuel statistics print them: `₩619.50`."""
    return f"₩{round_cents(amount):,}"


def format_usd(amount: Decimal) -> str:
    return f"${round_cents(amount):,}"


def format_rate(rate: Decimal) -> str:
    """USD/KRW with two decimals and separators: `1,289.00`."""
    return f"{round_cents(rate):,}"


def format_pump(prices: Sequence[PumpPrice]) -> Msg:
    """One line: `Pump prices (KNOC national average, 2026-04-15): 휘발유 ₩1,997.94/L · 자동차용경유 ₩1,893.27/L`,
    to render in the reader's language (products as KNOC names them)."""
    days = {p.as_of for p in prices}
    sources = ", ".join(dict.fromkeys(p.source for p in prices))
    shown = [f"{p.product} {format_krw_litre(p.krw_per_litre)}/L" for p in prices]
    if len(days) == 1:
        return lazy("Pump prices ({sources} national average, {day}): {items}", sources=sources, day=days.pop(),
                    items=" · ".join(shown))
    # each with its own day: "a (day) · b (day)", the days in the reader's form
    dated = joined([lazy("{item} ({day})", item=item, day=p.as_of) for item, p in zip(shown, prices, strict=True)],
                   Join.DOT)
    return lazy("Pump prices ({sources} national average): {items}", sources=sources, items=dated)


def format_kst(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every time in oilfx carries a time zone")
    return moment.astimezone(KST).strftime("%Y-%m-%d %H:%M KST")


def now_utc() -> datetime:
    return datetime.now(UTC)
