"""What people type to set an alert or a digest, read into typed values: "Brent > 80", "WTI krw > 100000",
"Dubai krw/l < 600", "두바이 원/l < 600", "wti above 80", "brent 80 이상" -> a `Rule`; "09:00", "0930", "9시" -> a
KST wall-clock `time`. Also the sanity check of a threshold against the current quote, and how a rule reads back.

Knows no Slack: the slash command, the model's tool and the App Home all use it. Every refusal is a `RuleError`
whose message says what was wrong (the caller adds its own usage line)."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal, InvalidOperation

from oilfx.market.history.series import Unit
from oilfx.market.quote import BENCHMARKS, Quote, canonical_benchmark, format_krw, format_krw_litre, format_usd
from oilfx.market.rule import Direction, Rule

# A threshold further than this factor from the current value (either way) is a typo or a wrong unit.
ABSURD_FACTOR = Decimal(100)

_ABOVE = {">", "above", "over", "exceeds", "이상", "초과", "넘으면", "넘을", "위"}
_BELOW = {"<", "below", "under", "이하", "미만", "아래", "밑"}
# Words that only make the sentence read well ("Brent goes above 80", "브렌트가 80 이상이면").
_FILLER = {"goes", "is", "rises", "falls", "drops", "price", "가격", "when", "if", "per", "a", "barrel", "bbl",
           "배럴", "배럴당", "="}
_UNITS = {
    "usd": Unit.USD, "$": Unit.USD, "us$": Unit.USD, "dollars": Unit.USD, "dollar": Unit.USD, "달러": Unit.USD,
    "krw": Unit.KRW_PER_BARREL, "won": Unit.KRW_PER_BARREL, "₩": Unit.KRW_PER_BARREL, "원": Unit.KRW_PER_BARREL,
    "krw/bbl": Unit.KRW_PER_BARREL, "원/배럴": Unit.KRW_PER_BARREL,
    "krw/l": Unit.KRW_PER_LITRE, "원/l": Unit.KRW_PER_LITRE, "₩/l": Unit.KRW_PER_LITRE, "won/l": Unit.KRW_PER_LITRE,
    "원/리터": Unit.KRW_PER_LITRE, "리터당": Unit.KRW_PER_LITRE, "/l": Unit.KRW_PER_LITRE,
    "krw/litre": Unit.KRW_PER_LITRE, "krw/liter": Unit.KRW_PER_LITRE,
}
_UNIT_NAMES = {Unit.USD: "USD per barrel", Unit.KRW_PER_BARREL: "KRW per barrel", Unit.KRW_PER_LITRE: "KRW per litre"}
_NUMBER = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$")
# Split markers off numbers: "$80" "80달러" "100,000원" "600원/l" ">80" "80이상".
_SPLIT = re.compile(r"(<|>|(?<![\d,.])-?\d[\d,]*(?:\.\d+)?)")
# Korean particles a benchmark may carry: "브렌트가", "두바이유가", "wti가"
_PARTICLE = re.compile(r"(가|이|는|은)$")
# ... and a comparison word its ending: "이상이면", "넘으면", "아래로"
_ENDING = re.compile(r"(이면|면|으로|로|이|가)$")


class RuleError(ValueError):
    """The text is not a rule (or a time) we can store; the message says what was wrong."""


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    for word in text.replace("≥", ">").replace("≤", "<").split():
        out += [part for part in _SPLIT.split(word) if part]
    return out


def _benchmark(token: str) -> str | None:
    for candidate in (token, _PARTICLE.sub("", token)):
        try:
            return canonical_benchmark(candidate)
        except ValueError:
            continue
    return None


def _direction(key: str) -> Direction | None:
    for word in (key, _ENDING.sub("", key)):
        if word in _ABOVE:
            return Direction.ABOVE
        if word in _BELOW:
            return Direction.BELOW
    return None


def parse_rule(text: str) -> Rule:
    """"Brent > 80" -> Rule(Brent, USD, ABOVE, 80). RuleError naming what is missing or not understood."""
    benchmarks: list[str] = []
    units: set[Unit] = set()
    directions: set[Direction] = set()
    numbers: list[str] = []
    unknown: list[str] = []
    for token in _tokens(text):
        key = token.lower()
        if (benchmark := _benchmark(token)) is not None:
            benchmarks.append(benchmark)
        elif key in _UNITS:
            units.add(_UNITS[key])
        elif (direction := _direction(key)) is not None:
            directions.add(direction)
        elif _NUMBER.match(key) or (key.startswith("-") and _NUMBER.match(key[1:])):
            numbers.append(key)
        elif key not in _FILLER:
            unknown.append(token)
    if not benchmarks:
        if unknown:
            raise RuleError(f"unknown benchmark {unknown[0]!r}; expected one of {', '.join(BENCHMARKS)}")
        raise RuleError(f"no benchmark; name one of {', '.join(BENCHMARKS)}")
    if len(set(benchmarks)) > 1:
        raise RuleError(f"one benchmark per alert, got {' and '.join(dict.fromkeys(benchmarks))}")
    if unknown:
        raise RuleError(f"did not understand {' '.join(unknown)!r}")
    if not numbers:
        raise RuleError("no threshold: give the price to compare with, e.g. 80")
    if len(numbers) > 1:
        raise RuleError(f"one threshold per alert, got {' and '.join(numbers)}")
    if not directions:
        raise RuleError("no comparison: use > or < (above/below, 이상/이하)")
    if len(directions) > 1:
        raise RuleError("both above and below: use one comparison")
    if len(units) > 1:
        raise RuleError("two units: use one of usd, krw (per barrel) or krw/l (per litre)")
    try:
        threshold = Decimal(numbers[0].replace(",", ""))
    except InvalidOperation:
        raise RuleError(f"{numbers[0]!r} is not a number") from None
    if threshold <= 0:
        raise RuleError(f"the threshold must be above zero, got {numbers[0]}")
    unit = units.pop() if units else Unit.USD
    return Rule(benchmarks[0], unit, directions.pop(), threshold)


def format_threshold(rule: Rule) -> str:
    """The threshold exactly as stored, grouped, with its currency: `$80`, `$80.5`, `₩100,000`, `₩600.25`."""
    sign = "$" if rule.unit is Unit.USD else "₩"
    return f"{sign}{rule.threshold:,}"


def format_value(unit: Unit, value: Decimal) -> str:
    """A price in a rule's unit as every table shows it: `$81.68`, `₩105,286`, `₩662.23`."""
    if unit is Unit.USD:
        return format_usd(value)
    return format_krw(value) if unit is Unit.KRW_PER_BARREL else format_krw_litre(value)


def unit_name(unit: Unit) -> str:
    return _UNIT_NAMES[unit]


def describe_rule(rule: Rule) -> str:
    """`Brent above $80 (USD per barrel)`: how every surface repeats a rule back."""
    word = "above" if rule.direction is Direction.ABOVE else "below"
    return f"{rule.benchmark} {word} {format_threshold(rule)} ({unit_name(rule.unit)})"


def check_threshold(rule: Rule, quote: Quote) -> Decimal:
    """The current value in the rule's unit; RuleError when the threshold is more than 100x it, or less than a
    hundredth of it (a typo or the wrong unit), or when the quote has no price for the benchmark."""
    try:
        value = rule.value(quote)
    except KeyError:
        reason = quote.missing.get(rule.benchmark, "no source had it")
        raise RuleError(f"no current {rule.benchmark} price to check the threshold against ({reason})") from None
    if value <= 0:
        return value
    if rule.threshold > value * ABSURD_FACTOR or rule.threshold < value / ABSURD_FACTOR:
        side = "more than 100×" if rule.threshold > value else "less than 1/100 of"
        raise RuleError(f"{format_threshold(rule)} is {side} {rule.benchmark}'s current "
                        f"{format_value(rule.unit, value)} ({unit_name(rule.unit)}); check the number and the unit")
    return value


_KST = re.compile(r"\s*kst$", re.I)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$|^(\d{2})(\d{2})$|^(\d{1,2})시(?:\s*(\d{1,2})분)?$|^(\d{1,2})$")


def parse_clock(text: str) -> time:
    """"09:00", "9:30", "0930", "9시", "9시 30분", "9" -> a wall-clock time (KST for digests); RuleError otherwise."""
    match = _CLOCK.match(_KST.sub("", text.strip()))   # digests are in KST: saying so is allowed
    if match is None:
        raise RuleError(f"{text.strip()!r} is not a time; write it as HH:MM, e.g. 09:00")
    groups = [g for g in match.groups() if g is not None]
    hour, minute = int(groups[0]), int(groups[1]) if len(groups) > 1 else 0
    if hour > 23:
        raise RuleError(f"{text.strip()!r} is not a time: hours go from 00 to 23")
    if minute > 59:
        raise RuleError(f"{text.strip()!r} is not a time: minutes go from 00 to 59")
    return time(hour, minute)
