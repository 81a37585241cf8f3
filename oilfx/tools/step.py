"""What one tool call produced, and who hears about it. These belong to the tools layer: the registry makes them
and the engines (one layer up) pass them on, so tools never import engines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from oilfx.tools.result import ToolResult


@dataclass(frozen=True)
class ToolStep:
    """One tool call: what the model asked for and what it got back."""

    round: int
    call_id: str
    name: str
    arguments: str            # raw JSON text as the model sent it
    output: str               # the text sent back to the model (JSON): result.payload, compact
    ok: bool                  # False: unknown tool, bad arguments, or a data failure
    duration_ms: float
    result: ToolResult = field(default_factory=ToolResult)  # typed: figures, sources, failure, title, summary


class ToolListener(Protocol):
    """Progress callbacks around each tool call, called from the tool's thread. Both may be no-ops."""

    def tool_started(self, call_id: str, name: str, arguments: str) -> None: ...

    def tool_finished(self, step: ToolStep) -> None: ...
