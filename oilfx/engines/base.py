"""What every engine returns and accepts. Nothing here imports OpenAI or Slack."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class EngineError(Exception):
    """A turn could not produce an answer. `str(e)` is a short, specific sentence fit for the user
    ("OpenAI returned HTTP 500 twice; try again in a minute", "run ended 'expired' (server_error: ...)")."""


@dataclass(frozen=True)
class ToolStep:
    """One tool call: what the model asked for and what it got back."""

    round: int
    call_id: str
    name: str
    arguments: str            # raw JSON text as the model sent it
    output: str               # the text sent back to the model (JSON)
    ok: bool                  # False: unknown tool, bad arguments, or a data failure
    duration_ms: float
    data: dict[str, Any] = field(default_factory=dict)  # structured result (quotes, sources) for rendering


@dataclass(frozen=True)
class ModelStep:
    """One model round: a request to the API and its response."""

    round: int
    duration_ms: float
    input_tokens: int | None = None
    output_tokens: int | None = None
    tool_calls: int = 0


Step = ToolStep | ModelStep


@dataclass(frozen=True)
class Answer:
    text: str
    steps: tuple[Step, ...]
    conversation: str          # the reference that continues this conversation (conv_..., thread_..., chat_...)
    engine: str
    model: str = ""

    @property
    def tool_steps(self) -> tuple[ToolStep, ...]:
        return tuple(s for s in self.steps if isinstance(s, ToolStep))

    @property
    def model_steps(self) -> tuple[ModelStep, ...]:
        return tuple(s for s in self.steps if isinstance(s, ModelStep))


class TurnListener(Protocol):
    """Optional progress callbacks, called from the engine's thread(s). All may be no-ops."""

    def tool_started(self, call_id: str, name: str, arguments: str) -> None: ...

    def tool_finished(self, step: ToolStep) -> None: ...

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
            listener: TurnListener | None = None) -> Answer:
        """Run one user turn to a final answer. `conversation` is a previous Answer.conversation.
        Raises EngineError for failures the user should hear about; never anything else on purpose."""
        ...
