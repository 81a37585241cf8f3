"""Slack thread -> engine conversation reference. Keyed by engine too: a conv_ id means nothing to chat."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from oilfx.store.keys import ThreadKey


class Conversations(Protocol):
    def get_conversation(self, key: ThreadKey, engine: str) -> str | None: ...

    def set_conversation(self, key: ThreadKey, engine: str, conversation: str) -> None: ...

    # Everything, for `store migrate`: (thread, engine, conversation reference).
    def export_conversations(self) -> Iterator[tuple[ThreadKey, str, str]]: ...
