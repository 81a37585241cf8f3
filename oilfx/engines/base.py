"""What every engine returns and accepts. Nothing here imports OpenAI or Slack."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

from oilfx.i18n import Text, Texts
from oilfx.tools.context import ToolContext
from oilfx.tools.step import ToolListener, ToolStep

__all__ = ["Answer", "Engine", "EngineError", "EngineState", "ModelStep", "NullListener", "Step", "ToolStep",
           "TurnListener", "with_notices"]


class EngineError(Exception):
    """A turn could not produce an answer. `text` is a short, specific sentence fit for the user, a Msg to
    render in the reader's language (`texts.render(e.text)`); `str(e)` is the same sentence in English, for logs
    ("OpenAI returned HTTP 500 after 2 attempts (...)", "The run ended 'expired' (server_error: ...).")."""

    def __init__(self, text: Text) -> None:
        super().__init__(str(text))
        self.text = text


@dataclass(frozen=True)
class ModelStep:
    """One model round: a request to the API and its response."""

    round: int
    duration_ms: float
    input_tokens: int | None = None
    output_tokens: int | None = None
    tool_calls: int = 0
    reasoning_tokens: int | None = None   # part of output_tokens, spent thinking (None: the API does not say)
    cached_tokens: int | None = None      # part of input_tokens, served from the prompt cache


Step = ToolStep | ModelStep


@dataclass(frozen=True)
class Answer:
    text: str
    steps: tuple[Step, ...]
    conversation: str          # the reference that continues this conversation (conv_..., thread_..., chat_...)
    engine: str
    model: str = ""
    # What the user must be told beside the answer, in our words (e.g. the thread's earlier context was lost):
    # Msgs, rendered in the reader's language by with_notices.
    notices: tuple[Text, ...] = ()

    @property
    def tool_steps(self) -> tuple[ToolStep, ...]:
        return tuple(s for s in self.steps if isinstance(s, ToolStep))

    @property
    def model_steps(self) -> tuple[ModelStep, ...]:
        return tuple(s for s in self.steps if isinstance(s, ModelStep))


def with_notices(answer: Answer, texts: Texts) -> Answer:
    """The answer with its notices appended to the text in the reader's language (`texts`): after it, so a
    streamed answer stays a prefix of the final text and both Slack paths (and the CLI) show them the same way."""
    if not answer.notices:
        return answer
    lines = "\n".join(f"ℹ️ {texts.render(n)}" for n in answer.notices)
    return replace(answer, text=answer.text.rstrip() + "\n\n" + lines)


class TurnListener(ToolListener, Protocol):
    """Optional progress callbacks, called from the engine's thread(s). All may be no-ops."""

    def text_delta(self, delta: str) -> None: ...


class NullListener:
    def tool_started(self, call_id: str, name: str, arguments: str) -> None:
        pass

    def tool_finished(self, step: ToolStep) -> None:
        pass

    def text_delta(self, delta: str) -> None:
        pass


class EngineState(Protocol):
    """Persistence an engine may need, supplied by the caller (the store implements it)."""

    def get_meta(self, name: str) -> str | None: ...

    def set_meta(self, name: str, value: str) -> None: ...

    def load_history(self, conversation: str) -> list[dict[str, Any]]: ...

    def save_history(self, conversation: str, messages: list[dict[str, Any]]) -> None: ...


class Engine(Protocol):
    name: str

    def ask(self, text: str, conversation: str | None = None,
            listener: TurnListener | None = None, context: ToolContext | None = None) -> Answer:
        """Run one user turn to a final answer. `conversation` is a previous Answer.conversation; `context` is
        who the turn is for (handed to each tool call; None outside Slack).
        Raises EngineError for failures the user should hear about; never anything else on purpose."""
        ...
