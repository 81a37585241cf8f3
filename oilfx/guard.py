"""No invented figures: every won amount in a model's answer must be one a tool produced in this turn.

A model that answers without (or despite) tool data may still write "₩98,000" or "98,436원". A finance tool must
not show a number it cannot trace to a source, so `guard_answer` removes each won amount that no successful tool
step produced (its figures, or the exact result of its formula, rounded the way we display it) and appends a
warning line saying so. Engine- and Slack-independent: it reads only the Answer.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from oilfx.engines.base import Answer

REMOVED = "[unverified figure removed]"
WARNING = ("⚠️ oilfx removed {n} won amount(s) from this answer that did not come from its market data; "
           "ask again for a sourced figure.")

UNAVAILABLE = "⚠️ Market data unavailable: "

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
# ₩98,492 · KRW 98,492 · 98,492원 · 98,492 원 · 98,492 KRW (the won sign may also be the fullwidth ￦)
WON_AMOUNT = re.compile(
    rf"(?:[₩￦]|\bKRW)\s?(?P<pre>{_NUMBER})|(?<![\d,.])(?P<post>{_NUMBER})\s?(?:원|KRW\b)", re.IGNORECASE)
_ANY_NUMBER = re.compile(_NUMBER)


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _variants(value: Decimal) -> set[Decimal]:
    """The value and its displayed roundings (whole won per barrel, two decimals per litre and for rates)."""
    return {value, value.quantize(Decimal(1), rounding=ROUND_HALF_UP),
            value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)}


def sourced_amounts(answer: Answer) -> set[Decimal]:
    """Every number the turn's successful tool steps reported as a figure or a formula result."""
    allowed: set[Decimal] = set()
    for step in answer.tool_steps:
        if not step.ok:
            continue
        texts = [str(f) for f in step.data.get("figures", []) or []]
        formula = step.data.get("formula")
        if isinstance(formula, str) and "=" in formula:
            texts.append(formula.rsplit("=", 1)[1])
        for text in texts:
            for match in _ANY_NUMBER.finditer(text):
                if (value := _decimal(match.group(0))) is not None:
                    allowed |= _variants(value)
    return allowed


def unsourced_won(answer: Answer) -> list[str]:
    """The won amounts in the answer text that no tool produced, as written."""
    allowed = sourced_amounts(answer)
    found = []
    for match in WON_AMOUNT.finditer(answer.text):
        value = _decimal(match.group("pre") or match.group("post"))
        if value is None or value not in allowed:
            found.append(match.group(0))
    return found


def data_failures(answer: Answer) -> list[str]:
    """The market-data errors of a turn in which no tool call succeeded (each names the sources tried)."""
    if any(step.ok for step in answer.tool_steps):
        return []
    errors = [str(step.data.get("error", "")) for step in answer.tool_steps
              if str(step.data.get("error", "")).startswith(f"{step.name} failed:")]
    return list(dict.fromkeys(errors))


def guard_answer(answer: Answer) -> tuple[Answer, list[str]]:
    """(the answer with unsourced won amounts removed and a warning appended, the amounts removed). When no data
    could be fetched at all, the sources' errors are appended too unless the model already quoted them, so the
    user always learns that the data is unavailable and which sources were tried."""
    removed = unsourced_won(answer)
    allowed = sourced_amounts(answer)

    def scrub(match: re.Match[str]) -> str:
        value = _decimal(match.group("pre") or match.group("post"))
        return match.group(0) if value is not None and value in allowed else REMOVED

    notes = [UNAVAILABLE + error for error in data_failures(answer) if error not in answer.text]
    if removed:
        notes.append(WARNING.format(n=len(removed)))
    if not notes:
        return answer, []
    text = (WON_AMOUNT.sub(scrub, answer.text) if removed else answer.text).rstrip()
    return replace(answer, text=text + "\n\n" + "\n".join(notes)), removed
