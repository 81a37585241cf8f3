"""Bolt listeners, one package per kind (events, commands, actions), each with `register(app, deps)`."""

from __future__ import annotations

from slack_bolt import App

from oilfx.slack.deps import Deps
from oilfx.slack.listeners import actions, commands, events


def register_listeners(app: App, deps: Deps) -> None:
    events.register(app, deps)
    commands.register(app, deps)
    actions.register(app, deps)
