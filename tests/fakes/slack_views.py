"""views.publish as Slack answers it (docs.slack.dev/reference/methods/views.publish), mixed into the fake's Web
API, and the payloads that drive an App Home: `app_home_opened` and a button clicked in the home view.

What Slack answers (HTTP 200 each time): a published view echoed back with its id, hash, team and app; a missing
or unknown `user_id`: `invalid_arguments` with "invalid `user_id`"; a missing view, one that is not an object or
not of type home, more than 100 blocks, or a section over 3,000 characters (a field over 2,000; the message
block check, slack_refusals.block_problems): `invalid_arguments` with "[ERROR] ... [json-pointer:/view...]"
messages; a view over 250 kB: `view_too_large`; the Home tab off in the app's settings: `not_enabled`. Each
published view is recorded per user (`home_views`)."""

from __future__ import annotations

import itertools
import json
import re
import time
from typing import Any

from tests.fakes.slack_payloads import Workspace, new_event_id, new_trigger_id
from tests.fakes.slack_refusals import block_problems
from tests.fakes.slack_state import SlackState

MAX_VIEW_BLOCKS = 100
MAX_VIEW_BYTES = 250_000
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_view_ids = itertools.count(1)


def _invalid(*messages: str) -> dict[str, Any]:
    return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": list(messages)}}


def view_problems(view: Any) -> list[str]:
    """What Slack's schema check says about a view ([] when it takes it)."""
    if not isinstance(view, dict):
        return ["[ERROR] must provide an object [json-pointer:/view]"]
    if view.get("type") != "home":
        return ["[ERROR] failed to match all allowed schemas [json-pointer:/view]"]
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return ["[ERROR] must provide an array [json-pointer:/view/blocks]"]
    return [f"[ERROR] {m}" for m in block_problems(blocks, MAX_VIEW_BLOCKS, "/view/blocks")]


class SlackViews(SlackState):
    """views.publish; `home_enabled = False` answers as an app whose Home tab is off; users in `unknown_users`
    are not in the workspace."""

    home_enabled: bool = True

    def _reset_state(self) -> None:
        super()._reset_state()
        self.home_views: dict[str, list[dict[str, Any]]] = {}   # user -> every view published to them, in order
        self.unknown_users: set[str] = set()

    def _views_publish(self, p: dict[str, Any]) -> dict[str, Any]:
        user = p.get("user_id")
        if not isinstance(user, str) or not _USER_ID.match(user) or user in self.unknown_users:
            return _invalid("invalid `user_id`")
        view = p.get("view")
        if isinstance(view, str):
            try:
                view = json.loads(view)
            except ValueError:
                return _invalid("[ERROR] must provide an object [json-pointer:/view]")
        if problems := view_problems(view):
            return _invalid(*problems)
        if len(json.dumps(view).encode()) > MAX_VIEW_BYTES:
            return {"ok": False, "error": "view_too_large"}
        if not self.home_enabled:
            return {"ok": False, "error": "not_enabled"}
        ws = self.workspace
        published = {**view, "id": f"V{next(_view_ids):08d}", "team_id": ws.team_id, "app_id": ws.app_id,
                     "bot_id": ws.bot_id, "hash": f"{time.time():.6f}.{next(_view_ids):08x}",
                     "state": {"values": {}}, "close": None, "submit": None,
                     "private_metadata": view.get("private_metadata", ""), "callback_id": view.get("callback_id", "")}
        self.home_views.setdefault(user, []).append(published)
        return {"ok": True, "view": published}

    def home_view(self, user: str) -> dict[str, Any] | None:
        """The view a user's Home tab shows now (the last one published), or None."""
        with self._cond:
            views = self.home_views.get(user) or []
            return views[-1] if views else None

    def wait_for_home(self, user: str, count: int = 1, timeout: float = 10.0) -> dict[str, Any]:
        """Wait until `count` views were published to `user`; return the last."""
        return self.wait_for(lambda: len(self.home_views.get(user) or []) >= count and self.home_views[user][-1],
                             timeout, what=f"{count} home view(s) published to {user}")


def app_home_opened(ws: Workspace, user: str | None = None, view: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `app_home_opened` event as Slack sends it (tab "home"; `view` absent the first time a user opens it)."""
    event: dict[str, Any] = {"type": "app_home_opened", "user": user or ws.user_id, "channel": "D0HOME001",
                             "tab": "home", "event_ts": f"{time.time():.6f}"}
    if view is not None:
        event["view"] = view
    return ws.event_callback(event, new_event_id())


def home_click(ws: Workspace, view: dict[str, Any], action_id: str, value: str, user: str | None = None
               ) -> dict[str, Any]:
    """A button clicked in a published home view (`block_actions` with a view container, no channel or message)."""
    user = user or ws.user_id
    return {
        "type": "block_actions",
        "user": {"id": user, "username": ws.user_name, "name": ws.user_name, "team_id": ws.team_id},
        "api_app_id": ws.app_id, "token": "fake-verification-token",
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": new_trigger_id(),
        "team": {"id": ws.team_id, "domain": ws.team_domain}, "enterprise": None, "is_enterprise_install": False,
        "view": view,
        "actions": [{"action_id": action_id, "block_id": "b", "value": value, "type": "button",
                     "text": {"type": "plain_text", "text": "Delete", "emoji": True},
                     "action_ts": f"{time.time():.6f}"}],
    }
