"""Which language a user reads: the question's own language, else their `/oilprice lang` choice, else their Slack
locale (users.info with include_locale, cached per user for OILFX_LOCALE_TTL), else the workspace's OILFX_LANG.
Channel posts nobody asked for (the /oilprice table, alerts, digests) use the workspace's language."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from oilfx.i18n import Lang, question_lang
from oilfx.slack.progress import quick_client
from oilfx.store import records
from oilfx.store.records import LanguageChoice, Meta, language_key

logger = logging.getLogger(__name__)

FAILED_LOOKUP_TTL = 60.0   # seconds before a failed users.info (missing scope, Slack down) is tried again
MAX_CACHED = 10_000        # users whose locale is remembered; past it the cache starts over


class Languages:
    def __init__(self, store: Meta, workspace: Lang, ttl: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store, self.workspace, self.ttl, self.clock = store, workspace, ttl, clock
        self._locales: dict[tuple[str, str], tuple[Lang | None, float]] = {}
        self._lock = threading.Lock()

    def for_user(self, client: WebClient | None, team: str, user: str, question: str = "") -> Lang:
        """The language to write to `user` in; `question`: what they just wrote, if anything."""
        if lang := question_lang(question):
            return lang
        if lang := self.chosen(team, user):
            return lang
        if client is not None and user and (lang := self.locale(client, team, user)):
            return lang
        return self.workspace

    def chosen(self, team: str, user: str) -> Lang | None:
        try:
            record = records.load(self.store, LanguageChoice, language_key(team, user))
        except Exception:  # the store is down: the locale still answers
            logger.exception("could not read the language choice of %s", user)
            return None
        return Lang.parse(record.lang) if record else None

    def choose(self, team: str, user: str, lang: Lang) -> None:
        records.put(self.store, language_key(team, user), LanguageChoice(team, user, lang.value))

    def locale(self, client: WebClient, team: str, user: str) -> Lang | None:
        """The language of the user's Slack locale; None when it is neither Korean nor English or unknown."""
        now = self.clock()
        with self._lock:
            cached = self._locales.get((team, user))
        if cached is not None and cached[1] > now:
            return cached[0]
        lang, keep = None, self.ttl
        try:
            client = quick_client(client)  # a short timeout and no retries: a slow Slack must not hold the reply
            found = client.users_info(user=user, include_locale=True)
            lang = Lang.parse((found.get("user") or {}).get("locale"))
        except (SlackClientError, OSError) as e:  # OSError: a timeout or a refused connection
            reason = e.response.get("error") if isinstance(e, SlackApiError) else type(e).__name__
            logger.warning("users.info for %s failed (%s); using the next choice of language", user, reason)
            keep = min(self.ttl, FAILED_LOOKUP_TTL)
        with self._lock:
            if len(self._locales) >= MAX_CACHED:
                self._locales.clear()
            self._locales[(team, user)] = (lang, now + keep)
        return lang
