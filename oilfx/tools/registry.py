"""The tool registry: every tool the model may call, declared once, validated, dispatched by name lookup only.

A tool returns a ToolResult: `payload` becomes the compact JSON the model reads, `data` is the structured
result the Slack renderer uses ("sources", "figures") and the guard checks ("values": exact typed figures).
Nothing a tool does can raise out of `call`.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import jsonschema

from oilfx.market.quote import (
    BENCHMARKS,
    LITRES_PER_BARREL,
    UNITS,
    FxRate,
    OilPrice,
    PumpPrice,
    Quote,
    canonical_benchmark,
    format_krw,
    format_krw_litre,
    format_kst,
    format_rate,
    format_usd,
    krw_per_barrel,
    krw_per_litre,
    round_cents,
)
from oilfx.tool_types import KRW, KRW_PER_LITRE, RATE, USD, ToolListener, ToolStep

log = logging.getLogger(__name__)

SETTLEMENT_NOTE = ("Crude prices are the previous trading day's settlement (USD per barrel), "
                   "not a live intraday quote.")


@dataclass(frozen=True)
class ToolResult:
    payload: dict[str, Any]
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]          # strict JSON schema: every property required, no extras
    function: Callable[..., ToolResult]
    # Optional: maps loose spellings a non-strict model may send ("wti", "liter") to the schema's values.
    normalise: Callable[[dict[str, Any]], dict[str, Any]] | None = None


class MarketData(Protocol):
    def oil(self) -> dict[str, OilPrice]: ...

    def fx(self) -> FxRate: ...

    def quote(self) -> Quote: ...

    def pump(self) -> list[PumpPrice]: ...


def _compact(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            if tool.name in self._tools:
                raise ValueError(f"duplicate tool name {tool.name!r}")
            jsonschema.Draft202012Validator.check_schema(tool.parameters)
            self._tools[tool.name] = tool
        self._validators = {n: jsonschema.Draft202012Validator(t.parameters) for n, t in self._tools.items()}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._tools)

    def responses_tools(self) -> list[dict[str, Any]]:
        return [{"type": "function", "name": t.name, "description": t.description,
                 "parameters": t.parameters, "strict": True} for t in self._tools.values()]

    def chat_tools(self) -> list[dict[str, Any]]:
        return [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                  "parameters": t.parameters, "strict": True}}
                for t in self._tools.values()]

    def _run(self, name: str, arguments: str) -> ToolResult:
        tool = self._tools.get(name)
        if tool is None:
            raise _ToolError(f"unknown tool {name!r}; available tools: {', '.join(self._tools)}")
        try:
            args = json.loads(arguments or "{}")
        except json.JSONDecodeError as e:
            raise _ToolError(f"arguments for {name} are not valid JSON ({e.msg} at position {e.pos})") from None
        if not isinstance(args, dict):
            raise _ToolError(f"arguments for {name} must be a JSON object")
        if tool.normalise is not None:
            args = tool.normalise(args)
        # Servers without strict mode may omit optional arguments: fill in the function's defaults first.
        for pname, param in inspect.signature(tool.function).parameters.items():
            if pname not in args and param.default is not inspect.Parameter.empty:
                args[pname] = param.default
        errors = sorted(self._validators[name].iter_errors(args), key=lambda e: list(e.path))
        if errors:
            where = "/".join(str(p) for p in errors[0].path) or "arguments"
            raise _ToolError(f"invalid arguments for {name}: {where}: {errors[0].message}")
        return tool.function(**args)

    def call(self, call_id: str, name: str, arguments: str, round: int = 0) -> ToolStep:
        """Run one tool call. Never raises: failures become an {"error": ...} output with ok=False."""
        started = time.perf_counter()
        try:
            result = self._run(name, arguments)
            ok, output, data = True, _compact(result.payload), result.data
        except _ToolError as e:
            ok, output, data = False, _compact({"error": str(e)}), {"error": str(e), "sources": []}
        except Exception as e:  # a data failure (MarketUnavailable, timeouts...) is the model's to report
            message = f"{name} failed: {e}" if str(e) else f"{name} failed: {type(e).__name__}"
            log.warning("tool %s failed: %s", name, message)
            ok, output, data = False, _compact({"error": message}), {"error": message, "sources": []}
        duration_ms = (time.perf_counter() - started) * 1000
        return ToolStep(round=round, call_id=call_id, name=name, arguments=arguments, output=output, ok=ok,
                        duration_ms=duration_ms, data=data)

    def call_all(self, calls: list[tuple[str, str, str]], round: int,
                 listener: ToolListener | None = None) -> list[ToolStep]:
        """Run (call_id, name, arguments) calls concurrently; results in call order."""
        if not calls:
            return []

        def one(call: tuple[str, str, str]) -> ToolStep:
            call_id, name, arguments = call
            if listener is not None:
                _safely(listener.tool_started, call_id, name, arguments)
            step = self.call(call_id, name, arguments, round)
            if listener is not None:
                _safely(listener.tool_finished, step)
            return step

        if len(calls) == 1:
            return [one(calls[0])]
        with ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="oilfx-tool") as pool:
            return list(pool.map(one, calls))


class _ToolError(Exception):
    """The model's call was wrong (unknown tool, bad arguments); the message goes back to it."""


def _safely(callback: Callable[..., None], *args: Any) -> None:
    try:
        callback(*args)
    except Exception:
        log.exception("turn listener callback failed")


def _oil_source(price: OilPrice) -> dict[str, str]:
    return {"label": price.benchmark, "source": price.source, "as_of": f"{price.as_of.isoformat()} settlement"}


def _fx_source(fx: FxRate) -> dict[str, str]:
    return {"label": "USD/KRW", "source": fx.source, "as_of": format_kst(fx.as_of)}


def _number(amount: Decimal) -> str:
    return f"{round_cents(amount):,}"


def _no_args() -> dict[str, Any]:
    return {"type": "object", "properties": {}, "required": [], "additionalProperties": False}


_UNIT_ALIASES = {"barrel": "barrel", "bbl": "barrel", "배럴": "barrel", "litre": "litre", "liter": "litre",
                 "l": "litre", "리터": "litre"}


def _normalise_krw_args(args: dict[str, Any]) -> dict[str, Any]:
    args = dict(args)
    if isinstance(args.get("benchmark"), str):
        with contextlib.suppress(ValueError):  # unknown names stay as sent: the schema check names the choices
            args["benchmark"] = canonical_benchmark(args["benchmark"])
    if isinstance(args.get("unit"), str):
        args["unit"] = _UNIT_ALIASES.get(args["unit"].strip().lower(), args["unit"])
    return args


def domestic_fuel_price_tool(market: MarketData) -> Tool:
    """KNOC's national average pump prices: retail KRW per litre, tax included, not crude."""

    def domestic_fuel_price() -> ToolResult:
        prices = market.pump()
        payload: dict[str, Any] = {
            p.english: {"product": p.product, "krw_per_litre": str(p.krw_per_litre),
                        "display": f"{format_krw_litre(p.krw_per_litre)}/L", "as_of": p.as_of.isoformat(),
                        "source": p.source} for p in prices}
        payload["note"] = ("National average retail prices at Korean filling stations (taxes included), "
                           "not crude oil; quote the `display` figures as given.")
        data = {"sources": [{"label": p.product, "source": p.source, "as_of": p.as_of.isoformat()} for p in prices],
                "figures": [format_krw_litre(p.krw_per_litre) for p in prices],
                "values": [(KRW_PER_LITRE, p.krw_per_litre) for p in prices]}
        return ToolResult(payload, data)

    return Tool("domestic_fuel_price",
                "Today's national average pump prices in Korea (휘발유 gasoline, 자동차용경유 diesel, 자동차용부탄 "
                "autogas) in won per litre, from KNOC, with their date. Retail prices, not crude.",
                _no_args(), domestic_fuel_price)


def default_registry(market: MarketData) -> ToolRegistry:
    """oil_price, usd_krw (the seed's names), oil_price_krw and domestic_fuel_price, all reading `market`."""

    def oil_price() -> ToolResult:
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
        data = {"sources": [_oil_source(p) for p in prices.values()],
                "figures": [format_usd(p.usd) for p in prices.values()],
                "values": [(USD, p.usd) for p in prices.values()]}
        return ToolResult(payload, data)

    def usd_krw() -> ToolResult:
        fx = market.fx()
        payload: dict[str, Any] = {"usd_krw": str(fx.rate), "display": format_rate(fx.rate),
                                   "as_of": format_kst(fx.as_of), "source": fx.source}
        if fx.stale:
            payload["stale"] = True
        return ToolResult(payload, {"sources": [_fx_source(fx)], "figures": [format_rate(fx.rate)],
                                    "values": [(RATE, fx.rate)]})

    def oil_price_krw(benchmark: str, unit: str = "barrel") -> ToolResult:
        quote = market.quote()  # oil and fx fetched concurrently when the cache is cold
        if benchmark not in quote.oil:
            reason = quote.missing.get(benchmark, "no source had it")
            raise LookupError(f"no {benchmark} price available right now ({reason})")
        price, fx = quote.oil[benchmark], quote.fx
        per_barrel = krw_per_barrel(price.usd, fx.rate)
        per_litre = krw_per_litre(price.usd, fx.rate)
        usd_text, rate_text = _number(price.usd), format_rate(fx.rate)
        if unit == "litre":
            exact, display = per_litre, format_krw_litre(per_litre)
            formula = f"{usd_text} × {rate_text} ÷ {LITRES_PER_BARREL} = {_number(per_litre)}"
        else:
            exact, display = per_barrel, format_krw(per_barrel)
            formula = f"{usd_text} × {rate_text} = {_number(per_barrel)}"
        sources = [_oil_source(price), _fx_source(fx)]
        payload: dict[str, Any] = {
            "benchmark": benchmark, "unit": unit, "krw_exact": str(exact), "display": display,
            "formula": formula, "krw_per_barrel": format_krw(per_barrel),
            "krw_per_litre": format_krw_litre(per_litre), "usd_per_barrel": str(price.usd),
            "usd_krw": str(fx.rate), "sources": sources, "note": SETTLEMENT_NOTE,
        }
        if price.stale or fx.stale:
            payload["stale"] = True
        other = format_krw(per_barrel) if unit == "litre" else format_krw_litre(per_litre)
        figures = [display, other, format_usd(price.usd), rate_text]
        values = [(KRW, per_barrel), (KRW_PER_LITRE, per_litre), (USD, price.usd), (RATE, fx.rate)]
        return ToolResult(payload, {"sources": sources, "figures": figures, "formula": formula, "values": values})

    return ToolRegistry([
        Tool("oil_price",
             "Latest Dubai, WTI and Brent crude prices in USD per barrel (previous trading day's settlement), "
             "with as-of date and source.", _no_args(), oil_price),
        Tool("usd_krw", "Latest USD/KRW exchange rate (won per dollar) with as-of time (KST) and source.",
             _no_args(), usd_krw),
        Tool("oil_price_krw",
             "Exact price of one crude benchmark in Korean won per barrel or per litre, computed in Decimal "
             "from the latest USD price and USD/KRW rate. Quote its `display` figure as given.",
             {"type": "object",
              "properties": {"benchmark": {"type": "string", "enum": list(BENCHMARKS)},
                             "unit": {"type": "string", "enum": list(UNITS)}},
              "required": ["benchmark", "unit"], "additionalProperties": False},
             oil_price_krw, normalise=_normalise_krw_args),
        domestic_fuel_price_tool(market),
    ])
