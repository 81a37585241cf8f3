"""create_alert: the model sets a price alert for the person it is talking to, in the channel it is talking in
("tell me when Brent goes above 80"). The desk (services.py: the store plus the threshold checks) stores it; the
result repeats the rule as stored, so the model confirms exactly what will fire."""

from __future__ import annotations

import contextlib
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from oilfx.i18n import Msg, benchmark_name, lazy
from oilfx.market.history.series import Unit
from oilfx.market.quote import BENCHMARKS, canonical_benchmark
from oilfx.market.rule import Direction, Rule
from oilfx.market.rule_parse import describe_rule, format_threshold, format_value
from oilfx.tools.common import source_json
from oilfx.tools.context import AlertDesk, AlertRefused, ToolContext
from oilfx.tools.declare import function_tool
from oilfx.tools.result import FailureKind, Figure, FigureKind, ToolResult

Benchmark = Literal["Dubai", "WTI", "Brent"]
Side = Literal["above", "below"]

USAGE = ("create_alert(benchmark: Dubai|WTI|Brent, unit: usd|krw_per_barrel|krw_per_litre, direction: above|below, "
         'threshold: a positive number as text, e.g. "80")')
_KINDS = {Unit.USD: FigureKind.USD, Unit.KRW_PER_BARREL: FigureKind.KRW, Unit.KRW_PER_LITRE: FigureKind.KRW_PER_LITRE}
_SIDES = {">": "above", "above": "above", "over": "above", "이상": "above", "<": "below", "below": "below",
          "under": "below", "이하": "below"}


def normalise(args: dict[str, Any]) -> dict[str, Any]:
    """Loose spellings a non-strict model may send ("brent", "krw", ">") -> the schema's values."""
    args = dict(args)
    if isinstance(args.get("benchmark"), str):
        with contextlib.suppress(ValueError):
            args["benchmark"] = canonical_benchmark(args["benchmark"])
    if isinstance(args.get("unit"), str):
        with contextlib.suppress(ValueError):
            args["unit"] = Unit.parse(args["unit"]).value
    if isinstance(args.get("direction"), str):
        args["direction"] = _SIDES.get(args["direction"].strip().lower(), args["direction"])
    if isinstance(args.get("threshold"), int | float) and not isinstance(args.get("threshold"), bool):
        args["threshold"] = str(args["threshold"])
    return args


def describe(args: dict[str, Any]) -> Msg:
    benchmark = next((b for b in BENCHMARKS if str(args.get("benchmark", "")).lower() == b.lower()), None)
    if benchmark is None:
        return lazy("Setting an alert")
    return lazy("Setting an alert on {benchmark}", benchmark=benchmark_name(benchmark))


def _figure(rule: Rule, value: Decimal) -> Figure:
    return Figure(_KINDS[rule.unit], value, format_value(rule.unit, value))


@function_tool(title=lazy("an alert"), describe=describe, normalise=normalise, deps=AlertDesk)
def create_alert(desk: AlertDesk, context: ToolContext, benchmark: Benchmark, unit: Unit, direction: Side,
                 threshold: str) -> ToolResult:
    """Set a price alert for the user in this Slack channel: oilfx posts there, mentioning them, when the
    benchmark crosses the threshold (once per crossing). Use it when the user asks to be told when a price goes
    above or below a level. Confirm the alert with its id and rule exactly as returned.

    Args:
        benchmark: the crude benchmark to watch
        unit: usd (USD per barrel), krw_per_barrel (won per barrel) or krw_per_litre (won per litre)
        direction: above or below the threshold
        threshold: the price level as a plain decimal number in that unit, e.g. "80" or "100000"
    """
    try:
        level = Decimal(threshold.replace(",", "").strip())
    except InvalidOperation:
        level = Decimal("NaN")
    if not level.is_finite() or level <= 0:
        return ToolResult.failed(FailureKind.CALL, lazy(
            "threshold {threshold} is not a positive number. Usage: {usage}", threshold=repr(threshold), usage=USAGE))
    rule = Rule(benchmark, unit, Direction.ABOVE if direction == "above" else Direction.BELOW, level)
    outcome = desk.add(context, rule)
    if isinstance(outcome, AlertRefused):
        kind = FailureKind.DATA if outcome.market_down else FailureKind.CALL
        # the model reads the refusal in English (str of the Msg) and tells the user in the user's language
        refusal = (lazy("No alert was set: {reason}", reason=outcome.reason) if outcome.market_down
                   else lazy("No alert was set: {reason} Usage: {usage}", reason=outcome.reason, usage=USAGE))
        return ToolResult.failed(kind, refusal)
    stated = str(describe_rule(rule))   # the model's JSON is English; the headline below is translated
    payload = {"alert_id": outcome.id, "rule": stated, "benchmark": rule.benchmark, "unit": rule.unit.value,
               "direction": direction, "threshold": str(rule.threshold), "threshold_display": format_threshold(rule),
               "current": _figure(rule, outcome.current).display,
               "sources": [source_json(s) for s in outcome.sources],
               "already_true": rule.holds(outcome.current),   # then it fires at the next check
               "note": "oilfx posts in this channel, mentioning the user, each time the price crosses the threshold; "
                       "`/oilprice alerts` lists alerts, `/oilprice alert delete <id>` removes one."}
    # the threshold first: the guard lets the model repeat it; the current value as the rule's unit shows it
    figures = (Figure(_KINDS[rule.unit], rule.threshold, format_threshold(rule)), _figure(rule, outcome.current))
    return ToolResult(payload, figures=figures, sources=outcome.sources,
                      headline=lazy("Alert #{id} set: {rule}", id=outcome.id, rule=describe_rule(rule)))
