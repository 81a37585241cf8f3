"""What the tools share: the market they read (a Protocol, so tests pass a fixed one) and how a source is shown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Protocol

from oilfx.i18n import benchmark_name, lazy
from oilfx.market.history.series import Period, Series, Unit
from oilfx.market.quote import FxRate, OilPrice, PumpPrice, Quote, round_cents
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
    """The settlement day as a date in a Msg: "2023-11-28 settlement" / "2023년 11월 28일 정산가"."""
    return Source(benchmark_name(price.benchmark), price.source, lazy("{day} settlement", day=price.as_of))


def fx_source(fx: FxRate) -> Source:
    """The rate's time in a Msg (str() of a bare datetime is not ours): "2023-11-29 16:33 KST" /
    "2023년 11월 29일 오후 4:33 KST"."""
    return Source("USD/KRW", fx.source, lazy("{moment}", moment=fx.as_of))


def source_json(source: Source) -> dict[str, str]:
    """A source as the model reads it in a payload: English and ISO, whoever reads the answer."""
    return {"label": str(source.label), "source": source.source, "as_of": str(source.as_of)}


def number(amount: Decimal) -> str:
    """A figure in a formula: to the cent, grouped."""
    return f"{round_cents(amount):,}"
