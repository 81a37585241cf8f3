"""The fake Slack's OAuth install and its many workspaces (mixed into FakeSlack; without a call to `add_team` the
fake stays the one workspace of the default token, so every other test is unchanged).

Modelled on docs.slack.dev "Installing with OAuth" and the oauth.v2.access reference:
- the authorize page (`<base>/oauth/v2/authorize?client_id&scope&state[&redirect_uri]`): a real installer picks a
  workspace and presses Allow (or Cancel); here the test says which (`installing`, `deny`), and the page redirects
  to the app's Redirect URL with `?code=...&state=...`, or `?error=access_denied&state=...`;
- `oauth.v2.access` (client id and secret as HTTP Basic auth, as slack_sdk sends them, or as form fields): a code
  works once, for the redirect_uri it was issued with; the answer is the bot token of that workspace with `team`,
  `bot_user_id`, `scope`, `authed_user`, `app_id`, `enterprise`, `is_enterprise_install`, `token_type`; errors are
  Slack's: `invalid_client_id`, `bad_client_secret`, `invalid_code`, `bad_redirect_uri` (HTTP 200, ok false);
- each workspace's bot token answers for that workspace (auth.test names its team and bot); a revoked token gets
  `token_revoked`, a deactivated workspace's `account_inactive`. Two workspaces may use the same channel ids:
  every message is recorded with the team whose token posted it (`message_team`, `posted_in`).
"""

from __future__ import annotations

import base64
import itertools
import secrets
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from tests.fakes.slack_payloads import Workspace
from tests.fakes.slack_state import Message

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "fake-client-secret"
DEFAULT = "default"  # the team of the default token (FakeSlack.bot_token)


@dataclass
class Team:
    workspace: Workspace
    name: str
    bot_token: str | None = None   # set once installed
    status: str = "active"        # active | revoked (uninstalled, token revoked) | inactive (account_inactive)


@dataclass(frozen=True)
class IssuedCode:
    team: str
    redirect_uri: str | None   # what the authorize request named (oauth.v2.access must name the same)
    scope: str                 # what the authorize request asked for, granted


class SlackOAuth:
    """The OAuth half of FakeSlack: per-team tokens and the install flow. State lives under FakeSlack's lock."""

    workspace: Workspace
    bot_token: str
    _cond: threading.Condition
    next_ts: Any
    messages: dict[tuple[str, str], Message]

    client_id = CLIENT_ID
    client_secret = CLIENT_SECRET
    redirect_url: str | None = None   # the app's Redirect URL in its settings (used when a request names none)
    installing: str | None = None     # which team the installer picks on the authorize page
    deny = False                      # the installer presses Cancel
    def _reset_state(self) -> None:
        """FakeSlack's reset (and __init__): messages are forgotten, and so is whose each was, and unused codes;
        the workspaces and their installs stay, like the open connections."""
        super()._reset_state()  # type: ignore[misc]
        self.message_team: dict[tuple[str, str], str] = {}
        self._codes: dict[str, IssuedCode] = {}
        if not hasattr(self, "teams"):   # first call, from __init__
            self.teams: dict[str, Team] = {}
            self._token_team: dict[str, str] = {}
            self._seq = itertools.count(1)

    def add_team(self, team_id: str, name: str | None = None, bot_user_id: str | None = None) -> Workspace:
        """A workspace someone may install the app into; its payload builders make its events."""
        ws = Workspace(team_id=team_id, team_domain=team_id.lower(), app_id=self.workspace.app_id,
                       bot_user_id=bot_user_id or f"UBOT{team_id}", bot_id=f"B{team_id}",
                       user_id=f"U{team_id}USER", base_url=self.workspace.base_url)
        ws._ts = self.next_ts
        with self._cond:
            self.teams[team_id] = Team(ws, name or f"Team {team_id}")
        return ws

    def oauth_env(self) -> dict[str, str]:
        """The OAuth install's settings for `python bot.py` (no bot token: each team's comes from its install)."""
        return {"SLACK_CLIENT_ID": self.client_id, "SLACK_CLIENT_SECRET": self.client_secret,
                "SLACK_SIGNING_SECRET": self.signing_secret, "SLACK_API_URL": self.api_url,  # type: ignore[attr-defined]
                "SLACK_AUTHORIZE_URL": self.base_url + "oauth/v2/authorize"}  # type: ignore[attr-defined]

    # -- the authorize page ---------------------------------------------------------------------------------------

    def authorize(self, params: dict[str, Any]) -> tuple[int, str]:
        """(status, Location or page text): a redirect to the app, as when the installer answered the page."""
        if params.get("client_id") != self.client_id:
            return 400, "Invalid client_id parameter"  # Slack shows its own error page and never redirects
        requested = params.get("redirect_uri")
        if requested and self.redirect_url and not requested.startswith(self.redirect_url):
            return 400, "bad_redirect_uri"  # it must be the app's Redirect URL or below it; Slack never redirects
        target = requested or self.redirect_url
        if not target:
            return 400, "No redirect URL is configured for this app"
        state = params.get("state", "")
        if self.deny:
            return 302, f"{target}?{urlencode({'error': 'access_denied', 'state': state})}"
        with self._cond:
            team = self.installing or next(iter(self.teams))
            code = f"{next(self._seq)}.{secrets.token_hex(8)}"
            self._codes[code] = IssuedCode(team, params.get("redirect_uri"), params.get("scope", ""))
        return 302, f"{target}?{urlencode({'code': code, 'state': state})}"

    # -- the Web API ----------------------------------------------------------------------------------------------

    def _answer(self, method: str, params: dict[str, Any], token: str | None) -> tuple[int, dict, dict]:
        if method == "oauth.v2.access":
            return 200, {}, self._oauth_access(params)
        team_id = self._token_team.get(token or "")
        if (refused := self._other_teams_message(method, params, team_id or DEFAULT)) is not None:
            return 200, {}, refused
        if team_id is None:
            status, headers, body = super()._answer(method, params, token)  # type: ignore[misc]
            self._record_team(body, DEFAULT)
            return status, headers, body
        team = self.teams[team_id]
        if team.status != "active":
            return 200, {}, {"ok": False, "error": "token_revoked" if team.status == "revoked" else
                             "account_inactive"}
        default = self.workspace
        self.workspace = team.workspace  # answered for this team (auth.test, message JSON); under the lock
        try:
            status, headers, body = super()._answer(method, params, self.bot_token)  # type: ignore[misc]
        finally:
            self.workspace = default
        self._record_team(body, team_id)
        return status, headers, body

    def _other_teams_message(self, method: str, params: dict[str, Any], caller: str) -> dict[str, Any] | None:
        """Slack's answer when a token addresses a message another workspace posted (channel and ts ids may be the
        same in two workspaces; each sees only its own): message_not_found, thread_not_found for replies."""
        channel, ts = params.get("channel"), params.get("ts") or params.get("timestamp")
        owner = self.message_team.get((channel, ts)) if channel and ts else None
        if owner is None or owner == caller:
            return None
        return {"ok": False, "error": "thread_not_found" if method == "conversations.replies" else "message_not_found"}

    def _record_team(self, body: dict[str, Any], team: str) -> None:
        if body.get("ok") and body.get("channel") and body.get("ts"):
            self.message_team.setdefault((body["channel"], body["ts"]), team)

    def _oauth_access(self, p: dict[str, Any]) -> dict[str, Any]:
        client_id, secret = p.get("client_id"), p.get("client_secret")
        if basic := p.pop("basic_auth", None):
            client_id, _, secret = base64.b64decode(basic).decode().partition(":")
        if client_id != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if secret != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        issued = self._codes.pop(p.get("code") or "", None)  # a code works once
        if issued is None:
            return {"ok": False, "error": "invalid_code"}
        if issued.redirect_uri and p.get("redirect_uri") != issued.redirect_uri:
            return {"ok": False, "error": "bad_redirect_uri"}
        team = self.teams[issued.team]
        team.bot_token = f"xoxb-{issued.team}-{next(self._seq)}-{secrets.token_hex(12)}"
        team.status = "active"
        self._token_team[team.bot_token] = issued.team
        ws = team.workspace
        return {"ok": True, "access_token": team.bot_token, "token_type": "bot",
                "scope": issued.scope, "bot_user_id": ws.bot_user_id,
                "app_id": ws.app_id, "team": {"name": team.name, "id": ws.team_id}, "enterprise": None,
                "is_enterprise_install": False, "authed_user": {"id": ws.user_id}}

    # -- what a test does to a team ------------------------------------------------------------------------------

    def uninstall(self, team_id: str) -> list[dict[str, Any]]:
        """Uninstall the app from a team: its token is revoked, and Slack sends `tokens_revoked` and
        `app_uninstalled` (returned, for the test to deliver)."""
        with self._cond:
            team = self.teams[team_id]
            team.status = "revoked"
        ws = team.workspace
        return [ws.event_callback({"type": "tokens_revoked", "tokens": {"oauth": [ws.user_id],
                                                                        "bot": [ws.bot_user_id]}}),
                ws.event_callback({"type": "app_uninstalled"})]

    def deactivate(self, team_id: str) -> None:
        """The workspace is deleted or disabled: its token answers `account_inactive`."""
        with self._cond:
            self.teams[team_id].status = "inactive"

    def token_of(self, team_id: str) -> str | None:
        return self.teams[team_id].bot_token

    def posted_in(self, team_id: str, channel: str | None = None) -> list[Message]:
        """Messages posted with `team_id`'s token (DEFAULT: the default token's), optionally in one channel."""
        with self._cond:
            return [m for key, m in self.messages.items()
                    if self.message_team.get(key) == team_id and (channel is None or m.channel == channel)]
