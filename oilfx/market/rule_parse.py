"""What people type to set an alert or a digest, read into typed values: "Brent > 80", "WTI krw > 100000",
"Dubai krw/l < 600", "두바이 원/l < 600", "wti above 80", "brent 80 이상" -> a `Rule`; "09:00", "0930", "9시" -> a
KST wall-clock `time`. Also the sanity check of a threshold against the current quote, and how a rule reads back.

Knows no Slack: the slash command, the model's tool and the App Home all use it. Every refusal is a `RuleError`
whose `text` (a Msg, translated by whoever knows the reader) says what was wrong; str() is the English sentence for
logs and the model (the caller adds its own usage line). The threshold checks' sentences end with a full stop
(the desk shows them as they are); the parser's do not (the command puts them inside its own sentence). A rule
reads back as a Msg too (`describe_rule`), in one wording for every surface."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal, InvalidOperation

from oilfx.i18n import Msg, benchmark_name, lazy
from oilfx.market.history.series import Unit
from oilfx.market.quote import Quote, canonical_benchmark, format_krw, format_krw_litre, format_usd
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
_UNIT_NAMES = {Unit.USD: lazy("USD per barrel"), Unit.KRW_PER_BARREL: lazy("KRW per barrel"),
               Unit.KRW_PER_LITRE: lazy("KRW per litre")}
_NUMBER = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$")
# Split markers off numbers: "$80" "80달러" "100,000원" "600원/l" ">80" "80이상".
_SPLIT = re.compile(r"(<|>|(?<![\d,.])-?\d[\d,]*(?:\.\d+)?)")
# Korean particles a benchmark may carry: "브렌트가", "두바이유가", "wti가"
_PARTICLE = re.compile(r"(가|이|는|은)$")
# ... and a comparison word its ending: "이상이면", "넘으면", "아래로"
_ENDING = re.compile(r"(이면|면|으로|로|이|가)$")


class RuleError(ValueError):
    """The text is not a rule (or a time) we can store; `text` says what was wrong in the reader's language."""

    def __init__(self, text: Msg) -> None:
        super().__init__(str(text))
        self.text = text


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
            raise RuleError(lazy("unknown benchmark {word}; expected one of Dubai, WTI, Brent", word=repr(unknown[0])))
        raise RuleError(lazy("no benchmark; name one of Dubai, WTI, Brent"))
    if len(set(benchmarks)) > 1:
        first, second = list(dict.fromkeys(benchmarks))[:2]
        raise RuleError(lazy("one benchmark per alert, got {first} and {second}", first=benchmark_name(first),
                             second=benchmark_name(second)))
    if unknown:
        raise RuleError(lazy("did not understand {words}", words=repr(" ".join(unknown))))
    if not numbers:
        raise RuleError(lazy("no threshold: give the price to compare with, e.g. 80"))
    if len(numbers) > 1:
        raise RuleError(lazy("one threshold per alert, got {numbers}", numbers=", ".join(numbers)))
    if not directions:
        raise RuleError(lazy("no comparison: use > or < (above/below, 이상/이하)"))
    if len(directions) > 1:
        raise RuleError(lazy("both above and below: use one comparison"))
    if len(units) > 1:
        raise RuleError(lazy("two units: use one of usd, krw (per barrel) or krw/l (per litre)"))
    try:
        threshold = Decimal(numbers[0].replace(",", ""))
    except InvalidOperation:
        raise RuleError(lazy("{number} is not a number", number=repr(numbers[0]))) from None
    if threshold <= 0:
        raise RuleError(lazy("the threshold must be above zero, got {number}", number=numbers[0]))
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


def unit_name(unit: Unit) -> Msg:
    return _UNIT_NAMES[unit]


def describe_rule(rule: Rule) -> Msg:
    """`Brent above $80 (USD per barrel)`: how every surface (alert posts, /oilprice alerts, the App Home, the
    model's tool) repeats a rule back, so a user sees one wording wherever the alert appears. str() is English."""
    args = {"benchmark": benchmark_name(rule.benchmark), "threshold": format_threshold(rule),
            "unit": unit_name(rule.unit)}
    if rule.direction is Direction.ABOVE:
        return lazy("{benchmark} above {threshold} ({unit})", **args)
    return lazy("{benchmark} below {threshold} ({unit})", **args)


def check_threshold(rule: Rule, quote: Quote) -> Decimal:
    """The current value in the rule's unit; RuleError when the threshold is more than 100x it, or less than a
    hundredth of it (a typo or the wrong unit), or when the quote has no price for the benchmark."""
    try:
        value = rule.value(quote)
    except KeyError:
        reason = quote.missing.get(rule.benchmark, "no source had it")
        raise RuleError(lazy("no current {benchmark} price to check the threshold against ({reason}).",
                             benchmark=benchmark_name(rule.benchmark), reason=reason)) from None
    if value <= 0:
        return value
    if rule.threshold > value * ABSURD_FACTOR or rule.threshold < value / ABSURD_FACTOR:
        args = {"threshold": format_threshold(rule), "benchmark": benchmark_name(rule.benchmark),
                "current": format_value(rule.unit, value), "unit": unit_name(rule.unit)}
        if rule.threshold > value:
            raise RuleError(lazy("{threshold} is more than 100× {benchmark}'s current {current} ({unit}); check "
                                 "the number and the unit.", **args))
        raise RuleError(lazy("{threshold} is less than 1/100 of {benchmark}'s current {current} ({unit}); check "
                             "the number and the unit.", **args))
    return value


_KST = re.compile(r"\s*kst$", re.I)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$|^(\d{2})(\d{2})$|^(\d{1,2})시(?:\s*(\d{1,2})분)?$|^(\d{1,2})$")


def parse_clock(text: str) -> time:
    """"09:00", "9:30", "0930", "9시", "9시 30분", "9" -> a wall-clock time (KST for digests); RuleError otherwise."""
    match = _CLOCK.match(_KST.sub("", text.strip()))   # digests are in KST: saying so is allowed
    if match is None:
        raise RuleError(lazy("{text} is not a time; write it as HH:MM, e.g. 09:00", text=repr(text.strip())))
    groups = [g for g in match.groups() if g is not None]
    hour, minute = int(groups[0]), int(groups[1]) if len(groups) > 1 else 0
    if hour > 23:
        raise RuleError(lazy("{text} is not a time: hours go from 00 to 23", text=repr(text.strip())))
    if minute > 59:
        raise RuleError(lazy("{text} is not a time: minutes go from 00 to 59", text=repr(text.strip())))
    return time(hour, minute)
