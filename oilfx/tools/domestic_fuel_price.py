"""domestic_fuel_price: KNOC's national average pump prices, retail won per litre, tax included, not crude."""

from __future__ import annotations

from typing import Any

from oilfx.i18n import lazy
from oilfx.market.quote import format_krw_litre
from oilfx.tools.common import MarketData
from oilfx.tools.declare import function_tool
from oilfx.tools.result import Figure, FigureKind, Source, ToolResult


@function_tool(title=lazy("Korea's pump prices"))
def domestic_fuel_price(market: MarketData) -> ToolResult:
    """Today's national average pump prices in Korea (휘발유 gasoline, 자동차용경유 diesel, 자동차용부탄
    autogas) in won per litre, from KNOC, with their date. Retail prices, not crude."""
    prices = market.pump()
    payload: dict[str, Any] = {
        p.english: {"product": p.product, "krw_per_litre": str(p.krw_per_litre),
                    "display": f"{format_krw_litre(p.krw_per_litre)}/L", "as_of": p.as_of.isoformat(),
                    "source": p.source} for p in prices}
    payload["note"] = ("National average retail prices at Korean filling stations (taxes included), "
                       "not crude oil; quote the `display` figures as given.")
    return ToolResult(payload,
                      figures=tuple(Figure(FigureKind.KRW_PER_LITRE, p.krw_per_litre,
                                           format_krw_litre(p.krw_per_litre)) for p in prices),
                      # the product as KNOC publishes it (data); the day as a date, rendered per reader
                      sources=tuple(Source(p.product, p.source, lazy("{day}", day=p.as_of)) for p in prices))
