"""oil_price_krw: one benchmark in won per barrel or per litre, computed in Decimal from the latest USD price and
USD/KRW rate, with its formula and sources."""

from __future__ import annotations

import contextlib
from typing import Any, Literal

from oilfx.i18n import Msg, Text, benchmark_name, lazy
from oilfx.market.quote import (
    BENCHMARKS,
    LITRES_PER_BARREL,
    canonical_benchmark,
    format_krw,
    format_krw_litre,
    format_rate,
    format_usd,
    krw_per_barrel,
    krw_per_litre,
)
from oilfx.tools.common import SETTLEMENT_NOTE, MarketData, fx_source, number, oil_source, source_json
from oilfx.tools.declare import function_tool
from oilfx.tools.result import Figure, FigureKind, ToolResult

# The schema's choices: the market's own tuples (a test holds them equal).
Benchmark = Literal["Dubai", "WTI", "Brent"]
Unit = Literal["barrel", "litre"]

_UNIT_ALIASES = {"barrel": "barrel", "bbl": "barrel", "배럴": "barrel", "litre": "litre", "liter": "litre",
                 "l": "litre", "리터": "litre"}
_LITRE_WORDS = {"litre", "liter", "l", "리터"}


class NoPrice(LookupError):
    """The benchmark has no price now: a data failure the registry reports, in the reader's words (`text`)."""

    def __init__(self, text: Msg) -> None:
        super().__init__(str(text))
        self.text = text


def normalise(args: dict[str, Any]) -> dict[str, Any]:
    """Loose spellings a non-strict model may send ("wti", "liter") -> the schema's values."""
    args = dict(args)
    if isinstance(args.get("benchmark"), str):
        with contextlib.suppress(ValueError):  # unknown names stay as sent: the schema check names the choices
            args["benchmark"] = canonical_benchmark(args["benchmark"])
    if isinstance(args.get("unit"), str):
        args["unit"] = _UNIT_ALIASES.get(args["unit"].strip().lower(), args["unit"])
    return args


def describe(args: dict[str, Any]) -> Text:
    """The arguments only pick among known words: anything else reads as "crude" / the default unit (barrel).
    One whole sentence per unit; the benchmark's name is a noun the reader's language renders (두바이유)."""
    known = next((b for b in BENCHMARKS if str(args.get("benchmark", "")).lower() == b.lower()), None)
    benchmark = benchmark_name(known) if known else lazy("crude")
    if str(args.get("unit", "")).lower() in _LITRE_WORDS:
        return lazy("Converting {benchmark} to won per litre", benchmark=benchmark)
    return lazy("Converting {benchmark} to won per barrel", benchmark=benchmark)


@function_tool(title=lazy("the won conversion"), describe=describe, normalise=normalise)
def oil_price_krw(market: MarketData, benchmark: Benchmark, unit: Unit = "barrel") -> ToolResult:
    """Exact price of one crude benchmark in Korean won per barrel or per litre, computed in Decimal
    from the latest USD price and USD/KRW rate. Quote its `display` figure as given."""
    quote = market.quote()  # oil and fx fetched concurrently when the cache is cold
    if benchmark not in quote.oil:
        reason = quote.missing.get(benchmark) or lazy("no source had it")
        raise NoPrice(lazy("no {benchmark} price available right now ({reason})",
                           benchmark=benchmark_name(benchmark), reason=reason))
    price, fx = quote.oil[benchmark], quote.fx
    barrel, litre = krw_per_barrel(price.usd, fx.rate), krw_per_litre(price.usd, fx.rate)
    per_barrel = Figure(FigureKind.KRW, barrel, format_krw(barrel))
    per_litre = Figure(FigureKind.KRW_PER_LITRE, litre, format_krw_litre(litre))
    usd_text, rate_text = number(price.usd), format_rate(fx.rate)
    if unit == "litre":
        shown, other = per_litre, per_barrel
        formula = f"{usd_text} × {rate_text} ÷ {LITRES_PER_BARREL} = {number(per_litre.value)}"
    else:
        shown, other = per_barrel, per_litre
        formula = f"{usd_text} × {rate_text} = {number(per_barrel.value)}"
    sources = (oil_source(price), fx_source(fx))
    payload: dict[str, Any] = {
        "benchmark": benchmark, "unit": unit, "krw_exact": str(shown.value), "display": shown.display,
        "formula": formula, "krw_per_barrel": per_barrel.display, "krw_per_litre": per_litre.display,
        "usd_per_barrel": str(price.usd), "usd_krw": str(fx.rate), "sources": [source_json(s) for s in sources],
        "note": SETTLEMENT_NOTE,
    }
    if price.stale or fx.stale:
        payload["stale"] = True
    # the headline first (the one-line summary shows it with the formula); the guard reads them all by kind
    figures = (shown, other, Figure(FigureKind.USD, price.usd, format_usd(price.usd)),
               Figure(FigureKind.RATE, fx.rate, rate_text))
    return ToolResult(payload, figures=figures, sources=sources, formula=formula)
