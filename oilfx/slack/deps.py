"""What every listener needs, passed to `register(app, deps)` (no globals)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from slack_sdk.oauth.installation_store import InstallationStore

from oilfx.config import Settings
from oilfx.services import Services
from oilfx.slack.clients import TeamClients
from oilfx.slack.language import Languages
from oilfx.slack.turns import TurnRunner

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deps:
    settings: Settings
    services: Services
    executor: Executor   # our pool for work after the ack
    runner: TurnRunner
    clients: TeamClients  # clients(team): the team's client, for work after a listener returned (clients.py)
    installations: InstallationStore | None = None  # OAuth mode: where each team's installation is kept

    @property
    def languages(self) -> Languages:
        """Which language each user reads (language.py): the turn runner's, so both share the locale cache."""
        return self.runner.languages

    def background(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run `fn` on our pool after the ack; an exception it lets out is logged, never lost."""

        def run() -> None:
            try:
                fn(*args)
            except Exception:
                logger.exception("background work %s failed", getattr(fn, "__name__", fn))

        self.executor.submit(run)
