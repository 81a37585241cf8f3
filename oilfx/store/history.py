"""Chat-engine history: the messages of a conversation the chat engine replays (the Responses engine keeps its
own on OpenAI's side)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol


class ChatHistory(Protocol):
    def load_history(self, conversation: str) -> list[dict[str, Any]]: ...

    def save_history(self, conversation: str, messages: list[dict[str, Any]]) -> None: ...

    # Everything, for `store migrate`.
    def export_histories(self) -> Iterator[tuple[str, list[dict[str, Any]]]]: ...
