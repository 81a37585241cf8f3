"""oil_price: the seed's tool, Dubai, WTI and Brent in USD per barrel (previous trading day's settlement)."""

from __future__ import annotations

from typing import Any

from oilfx.i18n import benchmark_name, lazy
from oilfx.market.quote import BENCHMARKS, format_usd
from oilfx.tools.common import SETTLEMENT_NOTE, MarketData, oil_source
from oilfx.tools.declare import function_tool
from oilfx.tools.result import Figure, FigureKind, ToolResult


@function_tool(title=lazy("{dubai}, {wti} and {brent} prices", dubai=benchmark_name("Dubai"),
                          wti=benchmark_name("WTI"), brent=benchmark_name("Brent")))
def oil_price(market: MarketData) -> ToolResult:
    """Latest Dubai, WTI and Brent crude prices in USD per barrel (previous trading day's settlement),
    with as-of date and source."""
    prices = market.oil()
    payload: dict[str, Any] = {}
    for name, p in prices.items():
        payload[name] = {"usd_per_barrel": str(p.usd), "as_of": p.as_of.isoformat(), "source": p.source}
        if p.stale:
            payload[name]["stale"] = True
    missing = [b for b in BENCHMARKS if b not in prices]
    if missing:
        payload["unavailable"] = missing
    payload["note"] = SETTLEMENT_NOTE
    return ToolResult(payload,
                      figures=tuple(Figure(FigureKind.USD, p.usd, format_usd(p.usd)) for p in prices.values()),
                      sources=tuple(oil_source(p) for p in prices.values()))
