"""The typed items of a turn and the interface every API adapter implements (after the OpenAI Agents SDK's
`Model`): the loop (loop.py) speaks only these, so a fourth API is one new adapter file.

Nothing here imports OpenAI: an adapter translates its API's objects and exceptions into these and EngineError.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from oilfx.engines.base import EngineError, TurnListener
from oilfx.i18n import Text

# What a call left without an output gets: the API refuses every later request until each call has one.
INTERRUPTED = json.dumps({"error": "interrupted: this tool call was cut off by a failure before its result "
                                   "arrived; call the tool again if you still need it"})
STOPPED = json.dumps({"error": "stopped: too many tool rounds in one turn"})


class ConversationGone(EngineError):
    """The conversation itself no longer exists for us: deleted, expired, made under another API key (the API's
    404 on that very conversation), or its stored history is missing or unreadable. Raised by an adapter; the
    loop then answers in a fresh conversation and tells the user (`notice`) that the earlier context is lost."""

    def __init__(self, ref: str, message: Text, notice: Text) -> None:
        super().__init__(message)
        self.ref, self.notice = ref, notice


class Finish(Enum):
    """How one model round ended."""

    TOOL_CALLS = "tool_calls"   # the model asked for tools
    DONE = "done"               # a complete answer
    LENGTH = "length"           # cut off at the output cap: the text is partial and must not be shown
    FAILED = "failed"           # the API ended the round badly (failed, expired, cancelled, content filter)


@dataclass(frozen=True)
class UserMessage:
    text: str


@dataclass(frozen=True)
class FunctionCall:
    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class FunctionOutput:
    call_id: str
    output: str


InputItem = UserMessage | FunctionOutput


@dataclass(frozen=True)
class Usage:
    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    cached_tokens: int | None = None


@dataclass(frozen=True)
class ModelResponse:
    """One round's result, whatever the API."""

    finish: Finish
    calls: tuple[FunctionCall, ...] = ()
    text: str = ""                       # the answer (final-phase text only)
    usage: Usage = field(default_factory=Usage)
    # LENGTH: what the API said, as data ("finish_reason 'length'"); FAILED: the sentence the user reads, a Msg
    # ("The run ended 'expired' (server_error: ...).")
    detail: Text = ""


class Conversation(Protocol):
    """One conversation on one API, for the length of one turn."""

    ref: str          # what continues it next turn (conv_..., thread_..., chat_...)
    created: bool     # made by this turn: a failed first turn discards it

    def repair(self, known: Sequence[FunctionOutput] = ()) -> int:
        """Close every function call left without an output: with its output from `known`, else INTERRUPTED.
        Returns how many were closed. Raises EngineError."""
        ...

    def send(self, items: Sequence[InputItem], last: bool, listener: TurnListener) -> ModelResponse:
        """One model round with these new items (`last`: tools are not offered). Raises EngineError."""
        ...

    def commit(self, answer: str) -> None:
        """The turn ended with `answer` (client-side history is saved here)."""
        ...

    def discard(self) -> None:
        """Delete a conversation this turn created and could not answer in."""
        ...

    def round_usage(self) -> list[Usage] | None:
        """Per-round usage known only at the end of a turn (Assistants run steps), else None."""
        ...


class Model(Protocol):
    name: str

    def open(self, conversation: str | None) -> Conversation:
        """Continue `conversation`, or start one (None). Raises EngineError; ConversationGone (here or from any
        Conversation method) when `conversation` no longer exists."""
        ...
