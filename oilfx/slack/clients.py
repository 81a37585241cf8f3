"""Which Web API client speaks for a workspace: `clients(team) -> WebClient`, the one seam for work that happens
after a listener returned (turns, orphans, the alerts scheduler). A listener uses Bolt's injected `client`, which
already carries its request's team token.

Single workspace (SLACK_BOT_TOKEN): the one client for every team. OAuth install (many workspaces): a client
with the team's bot token from the installation store, kept for a short while so a busy thread does not read the
store on every call; a team with no installation is NotInstalled (logged once per lookup, never with a token).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore

from oilfx.slack.writes import SlackCallFailed

logger = logging.getLogger(__name__)

# Seconds a team's client is reused before its installation is read again: a reinstall (new token) is picked up
# this long after it happened at the latest; an uninstall drops the client at once (forget).
CLIENT_TTL = 60.0


class NotInstalled(SlackCallFailed):
    """No installation (or no bot token) for the team: oilfx was never installed there, or was uninstalled.
    A SlackCallFailed: like a refused call, there is nowhere to answer."""

    def __init__(self, team: str) -> None:
        super().__init__("installation lookup", f"no installation for team {team or '(none)'}")
        self.team = team


class TeamClients(Protocol):
    def __call__(self, team: str) -> WebClient: ...   # raises NotInstalled

    def forget(self, team: str) -> None: ...          # the team uninstalled or its token was revoked


class SingleWorkspace:
    """Token mode: one workspace, one client."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def __call__(self, team: str) -> WebClient:
        return self.client

    def forget(self, team: str) -> None:
        """Nothing kept per team: the one token stays the operator's to change."""

    def __repr__(self) -> str:
        return "SingleWorkspace()"


class InstalledWorkspaces:
    """OAuth mode: each team's bot token from the installation store. `make(token)` builds a client the way the
    app builds its own (SLACK_API_URL, timeout, retry handlers)."""

    def __init__(self, installations: InstallationStore, make: Callable[[str], WebClient],
                 ttl: float = CLIENT_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.installations, self.make, self.ttl, self.clock = installations, make, ttl, clock
        self._cache: dict[str, tuple[float, WebClient]] = {}
        self._lock = threading.Lock()

    def __call__(self, team: str) -> WebClient:
        now = self.clock()
        with self._lock:
            cached = self._cache.get(team)
            if cached and cached[0] > now:
                return cached[1]
        # Enterprise Grid org-wide installs are not supported: every installation is looked up by its team.
        bot = self.installations.find_bot(enterprise_id=None, team_id=team) if team else None
        if bot is None or not bot.bot_token:
            logger.error("no installation for team %s: oilfx was not installed there or was uninstalled; "
                         "nothing can be posted to it", team or "(none)")
            raise NotInstalled(team)
        client = self.make(bot.bot_token)
        with self._lock:
            self._cache[team] = (now + self.ttl, client)
        return client

    def forget(self, team: str) -> None:
        with self._lock:
            self._cache.pop(team, None)

    def __repr__(self) -> str:
        return f"InstalledWorkspaces({type(self.installations).__name__})"
