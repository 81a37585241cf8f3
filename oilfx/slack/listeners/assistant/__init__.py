"""Slack's AI-app side panel through Bolt's `Assistant` middleware: a greeting and suggested prompts when a panel
thread starts, status and title while a question is answered, the viewed channel kept when the context changes.
Messages in assistant threads are turns like DM-thread messages (the middleware takes them before the DM listener).
"""

from __future__ import annotations

from slack_bolt import App, Assistant

from oilfx.slack.arrivals import settled_after
from oilfx.slack.deps import Deps
from oilfx.slack.listeners.assistant.context_store import StoreThreadContextStore
from oilfx.slack.listeners.assistant.thread_started import thread_started_callback
from oilfx.slack.listeners.assistant.user_message import user_message_callback

# The events the middleware handles; tests/test_manifest.py checks each is subscribed in manifest.yml.
EVENTS = ("assistant_thread_started", "assistant_thread_context_changed")


def build_assistant(deps: Deps) -> Assistant:
    assistant = Assistant(thread_context_store=StoreThreadContextStore(deps))
    assistant.thread_started(thread_started_callback(deps))
    assistant.user_message(settled_after(user_message_callback(deps)))
    # No thread_context_changed listener: the middleware's default saves the new context in our store.
    return assistant


def register(app: App, deps: Deps) -> None:
    app.assistant(build_assistant(deps))
