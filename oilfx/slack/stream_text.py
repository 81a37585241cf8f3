"""What a stream shows, from untrusted model text and tool steps: `SafeText` (deltas -> safe markdown pieces) and
the tasks' titles and one-line results. Pure functions and one small class; no Slack client (streaming.py sends).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

from oilfx.engines.base import ToolStep
from oilfx.guard import REMOVED, WON_AMOUNT  # streamed text is scrubbed as the answer is
from oilfx.market.quote import BENCHMARKS, UNITS
from oilfx.slack.render import escape, neutralise

RESULT_LIMIT = 200           # characters of a task's one-line result

_BARE_MENTION = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.I)
# A tail that may still grow into a won amount ("₩98,4", "KRW ", "98,492 " before "원") or a mention ("@cha").
_NUMBER_TAIL = re.compile(r"(?:(?:[₩￦]|\bKRW|\bKR|\bK)\s?)?(?:\d[\d,.]*\s?)?$")
_AT_TAIL = re.compile(r"@\w*$")


def safe_cut(text: str) -> int:
    """How much of `text` can be released now without splitting a Slack control sequence, a won amount or an
    @word across two deltas."""
    cut = len(text)
    start = text.rfind("<")
    if start != -1 and ">" not in text[start:] and "\n" not in text[start:] and cut - start <= 502:
        cut = start
    if (m := _NUMBER_TAIL.search(text, 0, cut)) and m.start() < cut:
        cut = m.start()
    if (m := _AT_TAIL.search(text, 0, cut)) and m.start() < cut:
        cut = m.start()
    return cut


def make_safe(text: str) -> str:
    """Untrusted text as streamed markdown: render.neutralise, and @channel/@here/@everyone broken too."""
    return _BARE_MENTION.sub("@\u200b", neutralise(text))


class SafeText:
    """Model text deltas -> safe markdown pieces. `shown` is the scrubbed text released so far (before escaping)."""

    def __init__(self) -> None:
        self._pending = ""
        self.shown = ""
        self.allowed: set[Decimal] = set()

    def feed(self, delta: str) -> str:
        self._pending += delta
        cut = safe_cut(self._pending)
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return self._release(ready)

    def end(self) -> str:
        ready, self._pending = self._pending, ""
        return self._release(ready)

    def _release(self, ready: str) -> str:
        if not ready:
            return ""

        def scrub(match: re.Match[str]) -> str:
            number = (match.group("pre") or match.group("post") or "").replace(",", "")
            try:
                ok = Decimal(number) in self.allowed
            except ArithmeticError:
                ok = False
            return match.group(0) if ok else REMOVED

        scrubbed = WON_AMOUNT.sub(scrub, ready)
        self.shown += scrubbed
        return make_safe(scrubbed)


# --- tasks ------------------------------------------------------------------------------------------------------

def task_title(name: str, arguments: str) -> str:
    """What a tool call is doing, from our own words; the model's arguments only pick among known values."""
    if name == "oil_price":
        return "Fetching Dubai, WTI and Brent prices"
    if name == "usd_krw":
        return "Fetching the USD/KRW rate"
    if name == "oil_price_krw":
        try:
            args = json.loads(arguments or "{}")
        except ValueError:
            args = {}
        args = args if isinstance(args, dict) else {}
        benchmark = next((b for b in BENCHMARKS if str(args.get("benchmark", "")).lower() == b.lower()), "crude")
        unit = "litre" if str(args.get("unit", "")).lower() in {"litre", "liter", "l", "리터"} else UNITS[0]
        return f"Converting {benchmark} to won per {unit}"
    return f"Calling {escape(name[:40])}"


def task_result(step: ToolStep) -> str:
    """One line from the step's structured data: the figures with their sources, or the reason it failed."""
    data = step.data or {}
    if not step.ok:
        line = str(data.get("error") or step.output)
    elif data.get("formula"):
        figures = data.get("figures") or []
        line = f"{figures[0]} ({data['formula']})" if figures else str(data["formula"])
    else:
        sources = data.get("sources") or []
        figures = data.get("figures") or []
        if len(figures) == len(sources) and sources:
            line = "; ".join(f"{s.get('label', '')} {f} ({s.get('source', '')}, {s.get('as_of', '')})".strip()
                             for s, f in zip(sources, figures, strict=True))
        else:
            line = "; ".join(f"{s.get('source', '')} ({s.get('as_of', '')})" for s in sources) or "done"
    line = " ".join(line.split())
    return make_safe(line if len(line) <= RESULT_LIMIT else line[: RESULT_LIMIT - 1] + "…")
