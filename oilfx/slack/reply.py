"""The reply: where one turn's progress and answer go, and the engine's listener for that turn.

Every reply (a placeholder updated in place, Slack's native stream, a slash command's response_url) takes the same
calls in the same order: start, then the engine's events (tool started/finished, text delta) while the model
works, then finish with the answer or fail with a reason. The orchestration (turns.py) knows nothing else about it;
each reply renders the answer the way it delivers it (FinalAnswer), once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from oilfx.engines.base import Answer, ToolStep
from oilfx.i18n import Texts
from oilfx.slack.render import SlackMessage, answer_footer, render_answer, render_steps, steps_breakdown


@dataclass(frozen=True)
class FinalAnswer:
    """The guarded answer and what its buttons refer to; rendered by the reply that delivers it."""

    answer: Answer
    texts: Texts                     # the reader's language: everything around the model's text
    steps_key: str | None = None     # the "Show steps" button's record (None: no button)
    feedback_key: str | None = None  # the feedback buttons' record
    show_steps: bool = False         # the breakdown follows the answer (asked for, or OILFX_SHOW_STEPS)
    header: str = ""                 # trusted mrkdwn above the answer (e.g. who asked, for /oilprice)

    def messages(self) -> list[SlackMessage]:
        """The whole answer as messages, breakdown included: what a placeholder or a response_url delivers."""
        return render_answer(self.answer, self.texts, steps_key=self.steps_key, show_steps=self.show_steps,
                             header=self.header, feedback_key=self.feedback_key)

    def footer(self) -> list[dict[str, Any]]:
        """The blocks a completed stream stops with: sources and feedback under the streamed text."""
        return answer_footer(self.answer, self.texts, self.feedback_key)

    def replacement(self) -> list[SlackMessage]:
        """What replaces a stream that cannot be completed (its task timeline stood in for "Show steps")."""
        return render_answer(self.answer, self.texts, steps_key=self.steps_key, header=self.header,
                             feedback_key=self.feedback_key)

    def follow_ups(self) -> list[SlackMessage]:
        """Messages after a streamed answer: the breakdown, only if asked for."""
        return render_steps(steps_breakdown(self.answer, self.texts)) if self.show_steps else []


class Reply(Protocol):
    """One turn's reply. Engine events may arrive from the engine's threads; finish/fail come once, last."""

    ts: str | None  # the first message's ts once known (a new thread's key for /oilprice questions)

    @property
    def streamed(self) -> bool:
        """The reply is a Slack stream (an interrupted one is adopted, not updated, by the next owner)."""
        ...

    def start(self) -> None:
        """Show at once that the question is being worked on; SlackCallFailed: nowhere to answer."""
        ...

    def tool_started(self, call_id: str, name: str, arguments: str) -> None: ...

    def tool_finished(self, step: ToolStep) -> None: ...

    def text_delta(self, delta: str) -> None: ...

    def finish(self, final: FinalAnswer) -> None:
        """Deliver the answer; SlackCallFailed if it could not be delivered at all."""
        ...

    def fail(self, reason: str) -> None:
        """End the reply with `reason` (already in the reader's language) where the answer would have gone."""
        ...
