"""`app_home_opened` on the Home tab: publish the user's home (prices, their alerts and digests, how to use the
bot). The Messages tab opening is ignored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oilfx.slack.deps import Deps
from oilfx.slack.home import publish_home
from oilfx.slack.listeners.commands.oilprice import help_text
from oilfx.slack.listeners.events.common import team_id
from oilfx.slack.replies import SlackCallFailed
from oilfx.slack.turn_log import thread_log


def refresh_home(deps: Deps, team: str, user: str, event_id: str) -> None:
    log = thread_log(team, "home", None, event_id)
    try:
        publish_home(deps, team, user, help_text, log)
    except SlackCallFailed as e:
        log.error("home not published: %s", e)


def app_home_opened_callback(deps: Deps) -> Callable[..., None]:
    def handle_app_home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") != "home" or not event.get("user"):
            return
        deps.background(refresh_home, deps, team_id(body, event), event["user"], str(body.get("event_id", "")))

    return handle_app_home_opened
