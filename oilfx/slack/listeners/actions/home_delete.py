"""A Delete button on the App Home: remove that alert or digest, if it is the clicker's own, then republish the
clicker's home so it no longer lists it. A stale button (already deleted elsewhere) just republishes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from oilfx.slack.deps import Deps
from oilfx.slack.home import publish_home
from oilfx.slack.home_view import Target, TargetKind
from oilfx.slack.listeners.actions.common import acked_then
from oilfx.slack.listeners.commands.oilprice import help_text
from oilfx.slack.replies import SlackCallFailed
from oilfx.slack.turn_log import thread_log


def delete_target(deps: Deps, team: str, user: str, target: Target) -> bool:
    """Delete what the button names, only when `user` set it; True when something was deleted."""
    store = deps.services.store
    if target.kind is TargetKind.ALERT:
        own = any(a.id == target.alert_id and a.creator == user for a in store.list_alerts(team, target.channel))
        return own and store.delete_alert(team, target.channel, target.alert_id)
    own = any(d.channel == target.channel and d.creator == user for d in store.list_digests(team))
    return own and store.clear_digest(team, target.channel)


def delete_from_home(deps: Deps, body: dict[str, Any], _client: WebClient) -> None:
    # The home is republished with the team's client from deps (as app_home_opened does), not Bolt's `_client`.
    user = (body.get("user") or {}).get("id", "")
    team = (body.get("team") or {}).get("id", "") or (body.get("user") or {}).get("team_id", "")
    value = str(((body.get("actions") or [{}])[0]).get("value", ""))
    log = thread_log(team, "home", None, f"action-{body.get('trigger_id', '')}")
    target = Target.parse(value)
    if target is None or not user:
        log.warning("home delete with an unreadable value %r", value[:80])
        return
    deleted = delete_target(deps, team, user, target)
    log.info("home delete %s by %s: %s", target.value, user, "deleted" if deleted else "nothing to delete")
    try:
        publish_home(deps, team, user, help_text, log)
    except SlackCallFailed as e:
        log.error("home not republished: %s", e)


def home_delete_callback(deps: Deps) -> Callable[..., None]:
    return acked_then(deps, delete_from_home)
