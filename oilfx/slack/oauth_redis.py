"""slack_sdk's InstallationStore and OAuthStateStore on Redis (slack_sdk has none), so several bot processes share
installations and the state an installer's browser carries from one process's /slack/install to another's
/slack/oauth_redirect.

Keys (under `oilfx:slack:`, beside the store's `oilfx:` keys; `-` stands for no enterprise / no team):
  bot:<client_id>:<enterprise>:<team>                 the workspace's latest bot installation (JSON)
  installer:<client_id>:<enterprise>:<team>           the workspace's latest installation (JSON)
  installer:<client_id>:<enterprise>:<team>:<user>    that user's latest installation (JSON)
  state:<state>                                       an issued install state, until consumed or expired
Values are the models' fields as slack_sdk's own FileInstallationStore writes them, read back the same way.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from redis import Redis
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

PREFIX = "oilfx:slack:"

logger = logging.getLogger(__name__)


def _part(value: str | None) -> str:
    return value or "-"


class RedisInstallationStore(InstallationStore):
    def __init__(self, redis: Redis, client_id: str) -> None:
        self.redis, self.client_id = redis, client_id

    @property
    def logger(self) -> logging.Logger:
        return logger

    def _key(self, kind: str, enterprise_id: str | None, team_id: str | None, *rest: str) -> str:
        return ":".join([PREFIX + kind, self.client_id, _part(enterprise_id), _part(team_id), *rest])

    def save(self, installation: Installation) -> None:
        entity = json.dumps(installation.__dict__)
        e, t = installation.enterprise_id, None if installation.is_enterprise_install else installation.team_id
        bot = installation.to_bot() if installation.bot_token else None
        with self.redis.pipeline(transaction=True) as pipe:  # all or nothing: never a bot without its installer
            if bot is not None:
                pipe.set(self._key("bot", e, t), json.dumps(bot.__dict__))
            pipe.set(self._key("installer", e, t), entity)
            pipe.set(self._key("installer", e, t, _part(installation.user_id)), entity)
            pipe.execute()

    def save_bot(self, bot: Bot) -> None:
        if bot.bot_token:
            t = None if bot.is_enterprise_install else bot.team_id
            self.redis.set(self._key("bot", bot.enterprise_id, t), json.dumps(bot.__dict__))

    def find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                 is_enterprise_install: bool | None = False) -> Bot | None:
        data = self._load(self._key("bot", enterprise_id, None if is_enterprise_install else team_id))
        return Bot(**data) if data else None

    def find_installation(self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None,
                          is_enterprise_install: bool | None = False) -> Installation | None:
        t = None if is_enterprise_install else team_id
        rest = (user_id,) if user_id else ()
        data = self._load(self._key("installer", enterprise_id, t, *rest))
        return Installation(**data) if data else None

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.redis.delete(self._key("bot", enterprise_id, team_id))

    def delete_installation(self, *, enterprise_id: str | None, team_id: str | None,
                            user_id: str | None = None) -> None:
        if user_id:
            self.redis.delete(self._key("installer", enterprise_id, team_id, user_id))
            return
        # The workspace's installations: its latest and every user's.
        keys = [self._key("installer", enterprise_id, team_id)]
        keys += self.redis.scan_iter(match=self._key("installer", enterprise_id, team_id, "*"), count=1000)
        self.redis.delete(*keys)

    def _load(self, key: str) -> dict[str, Any] | None:
        raw = self.redis.get(key)
        return json.loads(raw) if raw else None


class RedisOAuthStateStore(OAuthStateStore):
    """Each state is issued once and consumed once (DEL answers 1 to exactly one caller), within `expiration`."""

    def __init__(self, redis: Redis, expiration_seconds: int) -> None:
        self.redis, self.expiration_seconds = redis, expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        return logger

    def issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        self.redis.set(PREFIX + "state:" + state, "1", ex=self.expiration_seconds)
        return state

    def consume(self, state: str) -> bool:
        if not state:
            return False
        return bool(self.redis.delete(PREFIX + "state:" + state))
