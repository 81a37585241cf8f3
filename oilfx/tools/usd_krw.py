"""usd_krw: the seed's tool, the USD/KRW rate (won per dollar) with its time in KST."""

from __future__ import annotations

from typing import Any

from oilfx.i18n import lazy
from oilfx.market.quote import format_kst, format_rate
from oilfx.tools.common import MarketData, fx_source
from oilfx.tools.declare import function_tool
from oilfx.tools.result import Figure, FigureKind, ToolResult


@function_tool(title=lazy("the USD/KRW rate"))
def usd_krw(market: MarketData) -> ToolResult:
    """Latest USD/KRW exchange rate (won per dollar) with as-of time (KST) and source."""
    fx = market.fx()
    payload: dict[str, Any] = {"usd_krw": str(fx.rate), "display": format_rate(fx.rate),
                               "as_of": format_kst(fx.as_of), "source": fx.source}
    if fx.stale:
        payload["stale"] = True
    return ToolResult(payload, figures=(Figure(FigureKind.RATE, fx.rate, format_rate(fx.rate)),),
                      sources=(fx_source(fx),))
