"""The tools the model may call, in the order it sees them, and what a call of each is doing: known without a
market, so Slack can title a task the moment it starts (`describe`) and a progress line (`title`)."""

from __future__ import annotations

from oilfx.i18n import Text
from oilfx.tools.common import MarketData
from oilfx.tools.context import AlertDesk
from oilfx.tools.create_alert import create_alert
from oilfx.tools.declare import FunctionTool, describe_call
from oilfx.tools.domestic_fuel_price import domestic_fuel_price
from oilfx.tools.oil_price import oil_price
from oilfx.tools.oil_price_krw import oil_price_krw
from oilfx.tools.price_history import price_history
from oilfx.tools.registry import ToolRegistry
from oilfx.tools.usd_krw import usd_krw

TOOLS: tuple[FunctionTool, ...] = (oil_price, usd_krw, oil_price_krw, domestic_fuel_price, price_history)
# Tools that act through the alert desk (services.py wires it), offered when there is one.
DESK_TOOLS: tuple[FunctionTool, ...] = (create_alert,)
_BY_NAME = {tool.name: tool for tool in (*TOOLS, *DESK_TOOLS)}


def default_registry(market: MarketData, desk: AlertDesk | None = None) -> ToolRegistry:
    """oil_price, usd_krw (the seed's names), oil_price_krw, domestic_fuel_price and price_history, all reading
    `market`; with a desk, create_alert too."""
    desk_tools = [tool.bind(desk) for tool in DESK_TOOLS] if desk is not None else []
    return ToolRegistry([*(tool.bind(market) for tool in TOOLS), *desk_tools])


def describe(name: str, arguments: str) -> Text:
    """What a call is doing, in our words, a Msg to render in the reader's language (an unknown, model-invented
    name inside it unescaped: see describe_call)."""
    return describe_call(_BY_NAME.get(name), name, arguments)


def title(name: str) -> Text:
    """What a tool fetches, as a noun (a Msg: "the USD/KRW rate" / "USD/KRW 환율"); an unknown name as given, a
    str (data: escape it to show it)."""
    tool = _BY_NAME.get(name)
    return tool.title if tool is not None else name
