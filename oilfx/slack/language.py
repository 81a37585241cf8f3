"""Which language a user reads: the question's own language, else their `/oilprice lang` choice, else their Slack
locale (users.info with include_locale, cached per user for OILFX_LOCALE_TTL), else the workspace's OILFX_LANG.
Channel posts nobody asked for (the /oilprice table, alerts, digests) use the workspace's language."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from oilfx.i18n import Lang, question_lang
from oilfx.slack.progress import quick_client
from oilfx.slack.turn_request import TurnRequest, parse_request
from oilfx.store import records
from oilfx.store.events import EventClaims, OpenReply
from oilfx.store.records import LanguageChoice, Meta, language_key

logger = logging.getLogger(__name__)

FAILED_LOOKUP_TTL = 60.0   # seconds before a failed users.info (missing scope, Slack down) is tried again
MAX_CACHED = 10_000        # users whose locale is remembered; past it the cache starts over
# users.info refusals that hold for the whole workspace until it is reinstalled with users:read (an install from
# before oilfx asked for it): not asked again for its users for OILFX_LOCALE_TTL, and logged once.
WORKSPACE_REFUSALS = frozenset({"missing_scope", "not_allowed_token_type", "no_permission"})


class Languages:
    def __init__(self, store: Meta, workspace: Lang, ttl: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store, self.workspace, self.ttl, self.clock = store, workspace, ttl, clock
        self._locales: dict[tuple[str, str], tuple[Lang | None, float]] = {}
        self._refused: dict[str, float] = {}   # team -> until when its users.info is not asked (WORKSPACE_REFUSALS)
        self._lock = threading.Lock()

    def for_user(self, client: WebClient | None, team: str, user: str, question: str = "") -> Lang:
        """The language to write to `user` in; `question`: what they just wrote, if anything."""
        if lang := question_lang(question):
            return lang
        if lang := self.chosen(team, user):
            return lang
        if client is not None and user:
            try:
                if lang := self.locale(client, team, user):
                    return lang
            except Exception:   # best effort: an answer in the workspace's language beats no answer
                logger.exception("could not read the Slack locale of %s", user)
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
            refused = self._refused.get(team, 0.0) > now
        if cached is not None and cached[1] > now:
            return cached[0]
        if refused:
            return None
        lang, keep = None, self.ttl
        try:
            client = quick_client(client)  # a short timeout and no retries: a slow Slack must not hold the reply
            found = client.users_info(user=user, include_locale=True)
            lang = Lang.parse((found.get("user") or {}).get("locale"))
        except Exception as e:  # SlackApiError, a timeout, a broken response (http.client): best effort
            reason = e.response.get("error") if isinstance(e, SlackApiError) else type(e).__name__
            if reason in WORKSPACE_REFUSALS:
                self._refuse(team, reason, now)
                return None
            logger.warning("users.info for %s failed (%s); using the next choice of language", user, reason)
            keep = min(self.ttl, FAILED_LOOKUP_TTL)
        with self._lock:
            if len(self._locales) >= MAX_CACHED:
                self._locales.clear()
            self._locales[(team, user)] = (lang, now + keep)
        return lang

    def _refuse(self, team: str, reason: str, now: float) -> None:
        with self._lock:
            first = self._refused.get(team, 0.0) <= now
            self._refused[team] = now + max(self.ttl, FAILED_LOOKUP_TTL)
        if first:
            logger.warning("workspace %s refused users.info (%s): reinstall oilfx there to grant users:read; until "
                           "then its users get OILFX_LANG unless they choose with /oilprice lang", team, reason)


def localise(request: TurnRequest, languages: Languages, client: WebClient | None, left: OpenReply | None
             ) -> TurnRequest:
    """`request` with the language its answer's frame is written in: the one it carries (an orphan's saved
    request), the one the event's earlier owner started its reply `left` in (a redelivery finishes that reply in the
    same words), else the reader's (`languages.for_user`). Never raises."""
    if request.lang:
        return request
    saved = parse_request(left.request) if left is not None else None
    if saved is not None and Lang.parse(saved.lang):
        return dataclasses.replace(request, lang=saved.lang)
    lang = languages.for_user(client, request.team, request.user, request.text)
    return dataclasses.replace(request, lang=lang.value)


def left_reply(store: EventClaims, event_id: str) -> OpenReply | None:
    """The reply an earlier owner of the event left open; None when there is none or the store cannot say (it may
    be what failed: the reader's own language is used then)."""
    try:
        return store.get_open_reply(event_id)
    except Exception:
        return None
