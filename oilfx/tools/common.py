"""What the tools share: the market they read (a Protocol, so tests pass a fixed one) and how a source is shown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Protocol

from oilfx.market.history.series import Period, Series, Unit
from oilfx.market.quote import FxRate, OilPrice, PumpPrice, Quote, format_kst, round_cents
from oilfx.tools.result import Source

SETTLEMENT_NOTE = ("Crude prices are the previous trading day's settlement (USD per barrel), "
                   "not a live intraday quote.")


class MarketData(Protocol):
    def oil(self) -> dict[str, OilPrice]: ...

    def fx(self) -> FxRate: ...

    def quote(self) -> Quote: ...

    def pump(self) -> list[PumpPrice]: ...

    def history(self, benchmark: str, period: Period, unit: Unit, end: date | None = None) -> Series: ...


def oil_source(price: OilPrice) -> Source:
    return Source(price.benchmark, price.source, f"{price.as_of.isoformat()} settlement")


def fx_source(fx: FxRate) -> Source:
    return Source("USD/KRW", fx.source, format_kst(fx.as_of))


def source_json(source: Source) -> dict[str, str]:
    """A source as the model reads it in a payload."""
    return {"label": source.label, "source": source.source, "as_of": source.as_of}


def number(amount: Decimal) -> str:
    """A figure in a formula: to the cent, grouped."""
    return f"{round_cents(amount):,}"
