"""Where the assistant panel's context (the channel the user is looking at) is kept: our store's meta, not Bolt's
default (which re-reads the thread with conversations.replies, a method with low rate limits for new apps)."""

from __future__ import annotations

import json

from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore

from oilfx.slack.deps import Deps

META_PREFIX = "assistant_context:"


class StoreThreadContextStore(AssistantThreadContextStore):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps  # read at call time: listeners are registered before any request

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        self.deps.services.store.set_meta(f"{META_PREFIX}{channel_id}:{thread_ts}", json.dumps(context))

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        raw = self.deps.services.store.get_meta(f"{META_PREFIX}{channel_id}:{thread_ts}")
        try:
            context = json.loads(raw) if raw else None
        except ValueError:
            return None
        if not isinstance(context, dict) or not context.get("channel_id"):
            return None
        return AssistantThreadContext(context)
