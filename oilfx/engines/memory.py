"""An in-memory EngineState for the CLI and tests when no store is available."""

from __future__ import annotations

import copy
import threading
from typing import Any


class MemoryState:
    def __init__(self) -> None:
        self._meta: dict[str, str] = {}
        self._history: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get_meta(self, name: str) -> str | None:
        with self._lock:
            return self._meta.get(name)

    def set_meta(self, name: str, value: str) -> None:
        with self._lock:
            self._meta[name] = value

    def load_history(self, conversation: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._history.get(conversation, []))

    def save_history(self, conversation: str, messages: list[dict[str, Any]]) -> None:
        with self._lock:
            self._history[conversation] = copy.deepcopy(messages)
