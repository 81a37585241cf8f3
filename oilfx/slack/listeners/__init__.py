"""Bolt listeners, one package per kind (events, commands, actions, assistant), each with `register(app, deps)`."""

from __future__ import annotations

from slack_bolt import App

from oilfx.slack.deps import Deps
from oilfx.slack.listeners import actions, assistant, commands, events


def register_listeners(app: App, deps: Deps) -> None:
    assistant.register(app, deps)  # a middleware: it must see assistant-thread messages before the DM listener
    events.register(app, deps)
    commands.register(app, deps)
    actions.register(app, deps)
