"""What one tool call produced, and who hears about it. These belong to the tools layer: the registry makes them
and the engines (one layer up) pass them on, so tools never import engines."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

# The kinds of figure a tool reports in `data["values"]` as (kind, exact Decimal): what the no-invented-figures
# guard compares the model's prose against, by kind (a rate is never a won amount, a USD price never a rate).
KRW = "krw"                        # won per barrel, displayed in whole won
KRW_PER_LITRE = "krw_per_litre"    # won per litre, displayed with two decimals
USD = "usd"                        # a USD price, two decimals
RATE = "rate"                      # USD/KRW, two decimals
Figure = tuple[str, Decimal]


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


class ToolListener(Protocol):
    """Progress callbacks around each tool call, called from the tool's thread. Both may be no-ops."""

    def tool_started(self, call_id: str, name: str, arguments: str) -> None: ...

    def tool_finished(self, step: ToolStep) -> None: ...
