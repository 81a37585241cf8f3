"""`app_uninstalled` and `tokens_revoked`: forget the workspace. Its installation goes (the revoked tokens, or all
of it), the cached client with it, and everything the store keeps for the team (store/purge.py: conversations,
records, feedback, message claims, open replies, alerts where kept). One log line says what was removed.

Slack sends both when an app is uninstalled; each is complete on its own and the second finds nothing left.
A revoked user token alone (`tokens.oauth`) removes that user's installation only: the bot still serves the team.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext

from oilfx.slack.deps import Deps
from oilfx.store.purge import purge_everything

logger = logging.getLogger(__name__)


def forget_team(deps: Deps, context: BoltContext, team: str, why: str) -> None:
    if not team:
        logger.warning("%s without a team id; nothing removed", why)
        return
    if deps.installations is not None:
        deps.installations.delete_all(enterprise_id=context.enterprise_id, team_id=team)
    deps.clients.forget(team)
    purged = purge_everything(deps.services.store, team)
    logger.info("%s: team %s forgotten: installation%s, %s", why, team,
                " removed" if deps.installations is not None else " (token mode: SLACK_BOT_TOKEN stays)", purged)


def app_uninstalled_callback(deps: Deps) -> Callable[..., None]:
    def handle_app_uninstalled(body: dict[str, Any], context: BoltContext) -> None:
        forget_team(deps, context, context.team_id or body.get("team_id") or "", "app uninstalled")

    return handle_app_uninstalled


def tokens_revoked_callback(deps: Deps) -> Callable[..., None]:
    def handle_tokens_revoked(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        team = context.team_id or body.get("team_id") or ""
        tokens = event.get("tokens") or {}
        users = [u for u in tokens.get("oauth") or [] if isinstance(u, str)]
        if deps.installations is not None and team:
            for user in users:
                deps.installations.delete_installation(enterprise_id=context.enterprise_id, team_id=team,
                                                       user_id=user)
        if tokens.get("bot"):  # the bot's token: nothing can be answered there any more
            forget_team(deps, context, team, "bot token revoked")
        elif users:
            logger.info("user token(s) revoked in team %s: %d installation(s) removed", team, len(users))

    return handle_tokens_revoked
