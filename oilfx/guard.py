"""No invented figures: every amount of money in a model's answer must be one a tool produced in this turn.

A model that answers without (or despite) tool data may still write "₩98,000", "9만 8천원" or "$77.00". A finance
tool must not show a number it cannot trace to a source, so `guard_answer` removes each currency amount that no
successful tool step produced, judged by kind (won against the tools' won figures, USD against their USD prices,
a rate against the rate: figures.py), and appends a warning line saying so. Engine- and Slack-independent: it
reads only the Answer.
"""

from __future__ import annotations

from dataclasses import replace

from oilfx.engines.base import Answer
from oilfx.figures import REMOVED, REMOVED_MARK, Allowed, allowed, scrub
from oilfx.i18n import Msg, Text, Texts, lazy, lazy_n
from oilfx.tools.result import FailureKind

__all__ = ["REMOVED", "data_failures", "guard_answer", "removed_warning", "sourced_figures", "unavailable",
           "unsourced"]


def removed_warning(count: int) -> Msg:
    """The line appended when amounts were removed (a count: each language's plural forms)."""
    return lazy_n("⚠️ oilfx removed {count} figure from this answer that did not come from its market data; ask "
                  "again for a sourced figure.",
                  "⚠️ oilfx removed {count} figures from this answer that did not come from its market data; ask "
                  "again for a sourced figure.", count)


def unavailable(error: Text) -> Msg:
    """The line appended when no market data could be fetched: the sources' error (data) quoted."""
    return lazy("⚠️ Market data unavailable: {error}", error=error)


def sourced_figures(answer: Answer) -> Allowed:
    """The exact typed figures of the turn's successful tool steps: nothing when no call succeeded."""
    return allowed(figure for step in answer.tool_steps if step.ok for figure in step.result.figures)


def unsourced(answer: Answer) -> list[str]:
    """The amounts in the answer text that no tool produced, as written."""
    return scrub(answer.text, sourced_figures(answer))[1]


def data_failures(answer: Answer) -> list[Text]:
    """The market-data failures of a turn in which no tool call succeeded (each names the sources tried); a
    wrong call (unknown tool, bad arguments) is the model's, not the market's."""
    if any(step.ok for step in answer.tool_steps):
        return []
    errors = [failure.message for step in answer.tool_steps
              if (failure := step.result.failure) is not None and failure.kind is FailureKind.DATA]
    return list(dict.fromkeys(errors))


def guard_answer(answer: Answer, texts: Texts) -> tuple[Answer, list[str]]:
    """(the answer with unsourced amounts removed and a warning appended, the amounts removed). When no data
    could be fetched at all, the sources' errors are appended too unless the model already quoted them (it reads
    them in English), so the user always learns that the data is unavailable and which sources were tried. The
    appended lines are in the reader's language (`texts`)."""
    text, removed = scrub(answer.text, sourced_figures(answer), marker=texts.render(REMOVED_MARK))
    notes = [texts.render(unavailable(error)) for error in data_failures(answer)
             if str(error) not in answer.text and texts.render(error) not in answer.text]
    if removed:
        notes.append(texts.render(removed_warning(len(removed))))
    if not notes:
        return answer, []
    return replace(answer, text=text.rstrip() + "\n\n" + "\n".join(notes)), removed
