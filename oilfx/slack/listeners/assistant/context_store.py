"""Where the assistant panel's context (the channel the user is looking at) is kept: our store's meta, not Bolt's
default (which re-reads the thread with conversations.replies, a method with low rate limits for new apps)."""

from __future__ import annotations

from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore

from oilfx.slack.deps import Deps
from oilfx.store import records
from oilfx.store.records import PanelContext, panel_key

META_PREFIX = PanelContext.PREFIX


class StoreThreadContextStore(AssistantThreadContextStore):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps  # read at call time: listeners are registered before any request

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        found = PanelContext.from_dict(dict(context))
        if found is not None:  # Bolt passes Slack's context, which always names the channel
            records.put(self.deps.services.store, panel_key(channel_id, thread_ts), found)

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        found = records.load(self.deps.services.store, PanelContext, panel_key(channel_id, thread_ts))
        return AssistantThreadContext(found.as_slack()) if found else None
