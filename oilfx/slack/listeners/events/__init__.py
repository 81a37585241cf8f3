"""Events API listeners: @mentions in channels, messages in the bot's DMs, the App Home opening; uninstalls and
revoked tokens."""

from __future__ import annotations

from slack_bolt import App

from oilfx.slack.arrivals import settled_after
from oilfx.slack.deps import Deps
from oilfx.slack.listeners.events.app_home_opened import app_home_opened_callback
from oilfx.slack.listeners.events.app_mention import app_mention_callback
from oilfx.slack.listeners.events.direct_message import direct_message_callback
from oilfx.slack.listeners.events.uninstall import app_uninstalled_callback, tokens_revoked_callback

# The events registered here; tests/test_manifest.py checks each is subscribed in manifest.yml.
EVENTS = ("app_mention", "message", "app_home_opened")
FORGET_EVENTS = ("app_uninstalled", "tokens_revoked")


def register(app: App, deps: Deps) -> None:
    # settled_after: a thread's later question waits for this one to enter the turn queue (arrivals.py)
    app.event(EVENTS[0])(settled_after(app_mention_callback(deps)))
    app.event(EVENTS[1])(settled_after(direct_message_callback(deps)))
    app.event(EVENTS[2])(app_home_opened_callback(deps))
    app.event(FORGET_EVENTS[0])(app_uninstalled_callback(deps))
    app.event(FORGET_EVENTS[1])(tokens_revoked_callback(deps))
