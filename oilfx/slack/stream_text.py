"""What a stream shows, from untrusted model text and tool steps: `SafeText` (deltas -> safe markdown pieces) and
the tasks' titles and one-line results. Pure functions and one small class; no Slack client (streaming.py sends).
"""

from __future__ import annotations

import re

from oilfx.engines.base import ToolStep
from oilfx.figures import (  # streamed text is scrubbed as the answer is, by one function
    REMOVED,
    Allowed,
    hold_from,
    scrub,
)
from oilfx.i18n import Texts
from oilfx.slack.render import safe_name, unlink
from oilfx.tools import describe

RESULT_LIMIT = 200           # characters of a task's one-line result

CONTEXT = 80                 # characters of released text a piece's amounts are read against ("USD/KRW " + rate)
# A tail that may still grow into a mention ("@cha") or a Markdown link ("[KNOC](https://ev").
_AT_TAIL = re.compile(r"@\w*\Z")
_LINK_TAIL = re.compile(r"!?\[[^\]\n]{0,300}(?:\]\([^()\s]{0,500})?\Z|!?\[[^\]\n]{0,300}\]\Z")


def safe_cut(text: str) -> int:
    """How much of `text` can be released now without splitting a Slack control sequence, an amount of money
    (figures.hold_from), a Markdown link or an @word across two deltas."""
    cut = len(text)
    start = text.rfind("<")
    if start != -1 and ">" not in text[start:] and "\n" not in text[start:] and cut - start <= 502:
        cut = start
    cut = min(cut, hold_from(text[:cut]))
    if (m := _LINK_TAIL.search(text, 0, cut)) and m.start() < cut:
        cut = m.start()
    if (m := _AT_TAIL.search(text, 0, cut)) and m.start() < cut:
        cut = m.start()
    return cut


def make_safe(text: str) -> str:
    """Untrusted text as streamed markdown: render.safe_name (neutralised, @channel/@here/@everyone broken) and
    every Markdown link shown as `label (url)`, since markdown_text would render it as a labelled link."""
    return unlink(safe_name(text))


class SafeText:
    """Model text deltas -> safe markdown pieces. `shown` is the scrubbed text released so far (before escaping)."""

    def __init__(self, marker: str = REMOVED) -> None:
        self.marker = marker              # what replaces an unsourced amount: the final answer's (guard_answer)
        self._pending = ""
        self.shown = ""
        self.released = ""                # the tail of the raw text released so far (context for the next piece)
        self.allowed = Allowed()          # the turn's tool figures so far (guard.sourced_figures)

    def feed(self, delta: str) -> str:
        self.add(delta)
        return self.take()

    def add(self, delta: str) -> None:
        """Keep `delta` for the next take: a stream releases text once per write, not once per delta."""
        self._pending += delta

    def take(self) -> str:
        """What of the text so far can be released now, made safe (see feed)."""
        cut = safe_cut(self._pending)
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return self._release(ready)

    def end(self) -> str:
        ready, self._pending = self._pending, ""
        return self._release(ready)

    def _release(self, ready: str) -> str:
        if not ready:
            return ""
        scrubbed, _ = scrub(ready, self.allowed, before=self.released[-CONTEXT:], after=self._pending,
                            marker=self.marker)
        self.released = (self.released + ready)[-CONTEXT:]
        self.shown += scrubbed
        return make_safe(scrubbed)


# --- tasks ------------------------------------------------------------------------------------------------------

def task_title(name: str, arguments: str, texts: Texts) -> str:
    """What a tool call is doing, in the tool's own words (tools.describe) and the reader's language; escaped after
    rendering, since an unknown name is the model's."""
    return safe_name(texts.render(describe(name, arguments)))


def task_result(step: ToolStep, texts: Texts) -> str:
    """One line from the step's typed result: the figures with their sources, or the reason it failed, in the
    reader's language where the tool gave words to translate (the raw output of a failed call is shown as is)."""
    line = texts.render(step.result.summary) if step.ok or step.result.failure is not None else step.output
    line = " ".join(line.split())
    return make_safe(line if len(line) <= RESULT_LIMIT else line[: RESULT_LIMIT - 1] + "…")
