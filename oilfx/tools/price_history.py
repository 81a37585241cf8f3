"""price_history: how a crude benchmark moved over a period (1w..5y), in USD or won per barrel or litre: the first,
last, lowest and highest daily closes with their dates, the change and the percent change, exact in Decimal, with
the sources and the date range; optionally a chart the bot draws and attaches (the model never draws)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

from oilfx.i18n import Msg, Text, benchmark_name, lazy
from oilfx.market.history import ChartRequest, Period, Point, Series, Unit, summarise
from oilfx.market.history.summary import format_percent
from oilfx.market.quote import BENCHMARKS, canonical_benchmark, format_krw, format_krw_litre, format_rate, format_usd
from oilfx.tools.common import MarketData, source_json
from oilfx.tools.declare import function_tool
from oilfx.tools.result import Figure, FigureKind, Source, ToolResult

Benchmark = Literal["Dubai", "WTI", "Brent"]

KIND = {Unit.USD: FigureKind.USD, Unit.KRW_PER_BARREL: FigureKind.KRW, Unit.KRW_PER_LITRE: FigureKind.KRW_PER_LITRE}
FORMAT: dict[Unit, Callable[[Decimal], str]] = {
    Unit.USD: format_usd, Unit.KRW_PER_BARREL: format_krw, Unit.KRW_PER_LITRE: format_krw_litre}
LABEL = {Unit.USD: "USD per barrel", Unit.KRW_PER_BARREL: "won per barrel", Unit.KRW_PER_LITRE: "won per litre"}
NOTE = ("Daily closes (previous trading days' settlements), oldest to newest; `gaps` are days the source listed "
        "without a price (holidays), left out, never filled in. Quote the `display` figures as given.")


def normalise(args: dict[str, Any]) -> dict[str, Any]:
    """Loose spellings a non-strict model may send ("wti", "1M", "1개월", "won") -> the schema's values."""
    args = dict(args)
    for key, parse in (("benchmark", canonical_benchmark), ("period", lambda t: Period.parse(t).value),
                       ("unit", lambda t: Unit.parse(t).value)):
        if isinstance(args.get(key), str):
            with contextlib.suppress(ValueError):  # unknown values stay as sent: the schema check names the choices
                args[key] = parse(args[key])
    return args


# A period as users read it ("3 months" / "3개월"); the schema's codes (3m) are for the model.
PERIOD_NAMES: dict[Period, Msg] = {
    Period.W1: lazy("1 week"), Period.M1: lazy("1 month"), Period.M3: lazy("3 months"),
    Period.M6: lazy("6 months"), Period.Y1: lazy("1 year"), Period.Y5: lazy("5 years")}


def describe(args: dict[str, Any]) -> Text:
    """The arguments only pick among known words: anything else reads as "crude" / no period."""
    known = next((b for b in BENCHMARKS if str(args.get("benchmark", "")).lower() == b.lower()), None)
    benchmark = benchmark_name(known) if known else lazy("crude")
    period = next((p for p in Period if str(args.get("period", "")).lower() == p.value), None)
    if period is None:
        return lazy("Fetching {benchmark} price history", benchmark=benchmark)
    return lazy("Fetching {benchmark} price history ({period})", benchmark=benchmark, period=PERIOD_NAMES[period])


def signed(value: Decimal, unit: Unit) -> str:
    """"+$3.15", "-₩4,521": a change with its sign before the currency mark."""
    return ("-" if value < 0 else "+") + FORMAT[unit](abs(value))


def _point(point: Point, unit: Unit) -> dict[str, str]:
    assert point.value is not None
    return {"date": point.day.isoformat(), "exact": str(point.value), "display": FORMAT[unit](point.value)}


def sources_of(series: Series) -> tuple[Source, ...]:
    span = lazy("{start}..{end} daily", start=series.start, end=series.end)
    labels: list[Text] = [benchmark_name(series.benchmark)] + ["USD/KRW"] * (len(series.sources) - 1)
    return tuple(Source(label, source, span) for label, source in zip(labels, series.sources, strict=True))


@function_tool(title=lazy("price history"), describe=describe, normalise=normalise)
def price_history(market: MarketData, benchmark: Benchmark, period: Period, unit: Unit = Unit.USD,
                  chart: bool = False) -> ToolResult:
    """How one crude benchmark moved over a period: first, last, lowest and highest daily closes with their
    dates, the change and the percent change, exact in Decimal, in USD or won per barrel or per litre (each day's
    close times that day's USD/KRW rate), with sources and the date range. Quote the `display` figures as given.

    Args:
        benchmark: Dubai, WTI or Brent.
        period: 1w, 1m, 3m, 6m, 1y or 5y, ending today.
        unit: usd (USD per barrel), krw_per_barrel or krw_per_litre.
        chart: true to have a line chart of the series attached to your answer (the bot draws it).
    """
    series = market.history(benchmark, period, unit)
    s = summarise(series)
    kind, show = KIND[unit], FORMAT[unit]
    figures = [Figure(kind, p.value, show(p.value)) for p in (s.last, s.first, s.low, s.high) if p.value is not None]
    figures.append(Figure(kind, s.change, signed(s.change, unit)))
    payload: dict[str, Any] = {
        "benchmark": series.benchmark, "period": period.value, "unit": unit.value, "unit_label": LABEL[unit],
        "from": series.start.isoformat(), "to": series.end.isoformat(), "trading_days": s.count,
        "first": _point(s.first, unit), "last": _point(s.last, unit), "min": _point(s.low, unit),
        "max": _point(s.high, unit),
        "change": {"exact": str(s.change), "display": signed(s.change, unit)},
        "percent_change": {"exact": None if s.percent is None else str(s.percent),
                           "display": format_percent(s.percent)},
        "gaps": [p.day.isoformat() for p in series.points if p.value is None],
        "sources": [source_json(src) for src in sources_of(series)], "note": NOTE,
    }
    if series.pairs:
        first, last = series.pairs[0], series.pairs[-1]
        payload["pairing_note"] = str(series.pairing_note)  # the model reads English
        payload["inputs"] = [{"date": p.day.isoformat(), "usd_per_barrel": str(p.usd), "usd_krw": str(p.rate),
                              "rate_date": p.rate_day.isoformat()} for p in (first, last)]
        figures += [Figure(FigureKind.USD, p.usd, format_usd(p.usd)) for p in (first, last)]
        figures += [Figure(FigureKind.RATE, p.rate, format_rate(p.rate)) for p in (first, last)]
    if chart:
        payload["chart"] = "a chart of this series will be attached below your answer; do not describe drawing it"
    # the days as dates: the reader sees them in their language, the model (str) in ISO
    formula = lazy("{start} {first} → {end} {last}, {change} ({percent})", start=s.first.day,
                   first=show(s.first.value), end=s.last.day, last=show(s.last.value),
                   change=signed(s.change, unit), percent=format_percent(s.percent))
    return ToolResult(payload, figures=tuple(figures), sources=sources_of(series), formula=formula,
                      chart=ChartRequest((series.benchmark,), period, unit) if chart else None)
