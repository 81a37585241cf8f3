"""Interactivity: the "Show steps" button and the feedback buttons under answers; Delete on the App Home."""

from __future__ import annotations

from slack_bolt import App

from oilfx.slack.deps import Deps
from oilfx.slack.home_view import HOME_DELETE_ACTION
from oilfx.slack.listeners.actions.feedback import feedback_callback
from oilfx.slack.listeners.actions.home_delete import home_delete_callback
from oilfx.slack.listeners.actions.show_steps import show_steps_callback
from oilfx.slack.render import FEEDBACK_ACTION, SHOW_STEPS_ACTION

ACTIONS = (SHOW_STEPS_ACTION, FEEDBACK_ACTION, HOME_DELETE_ACTION)


def register(app: App, deps: Deps) -> None:
    app.action(SHOW_STEPS_ACTION)(show_steps_callback(deps))
    app.action(FEEDBACK_ACTION)(feedback_callback(deps))
    app.action(HOME_DELETE_ACTION)(home_delete_callback(deps))
