"""Shared by the message listeners: which events are questions, the question text, the dedupe ids."""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Any

from oilfx.slack.caps import clean_text
from oilfx.slack.deps import Deps
from oilfx.store.base import MessageKey

logger = logging.getLogger(__name__)

# Subtypes that are still a user's question (Bolt itself treats file_share as a user message): a message with a
# file attached, and a thread reply also sent to the channel. Every other subtype (message_changed,
# message_deleted, bot_message, channel_join, ...) is not a question.
QUESTION_SUBTYPES = frozenset({"file_share", "thread_broadcast"})
# Slack escapes only these three in message text (docs.slack.dev "Formatting text": escaping); `&amp;` last, so
# "&amp;lt;" (a user typing "&lt;") stays "&lt;".
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def question_text(text: str, bot_user_id: str | None) -> str:
    """The user's words without the bot's own mention: `<@UBOT> WTI now?` -> `WTI now?`. Other people's mentions
    stay as `<@U…>` (the model may need who is meant; its output is neutralised before Slack), and Slack's
    `&amp;` `&lt;` `&gt;` are decoded."""
    text = clean_text(text or "")  # a lone surrogate would fail the OpenAI request, the store and Slack
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return " ".join(text.split())


def is_from_a_bot(event: dict[str, Any], bot_user_id: str | None) -> bool:
    return bool(event.get("bot_id") or event.get("bot_profile") or event.get("subtype") == "bot_message"
                or (bot_user_id and event.get("user") == bot_user_id))


def is_question(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A user's message to answer: no subtype or one of QUESTION_SUBTYPES, not hidden, not from a bot (ours too)."""
    subtype = event.get("subtype")
    return ((subtype is None or subtype in QUESTION_SUBTYPES) and not event.get("hidden")
            and not is_from_a_bot(event, bot_user_id))


def event_id(body: dict[str, Any], event: dict[str, Any]) -> str:
    """Slack's event_id (the same on every retry); else one derived from the message itself."""
    if body.get("event_id"):
        return str(body["event_id"])
    basis = f"{event.get('channel')}:{event.get('ts')}:{event.get('client_msg_id', '')}"
    return "derived-" + hashlib.sha256(basis.encode()).hexdigest()[:24]


def team_id(body: dict[str, Any], event: dict[str, Any]) -> str:
    return str(body.get("team_id") or event.get("team") or "T?")


def first_event_of_message(deps: Deps, body: dict[str, Any], event: dict[str, Any]) -> bool:
    """False when another event already carried this message (team, channel, ts): Slack re-sends an edited
    @mention as a new app_mention with the same ts and a new event_id, and it must not be answered again.
    Retries of the same event pass here; the turn's event claim answers them once."""
    key = MessageKey(team_id(body, event), str(event.get("channel", "")), str(event.get("ts", "")))
    eid = event_id(body, event)
    try:
        claimed = deps.services.store.claim_message(key, eid)
    except Exception as e:  # the turn's own claim meets the same store next and tells the user
        logger.warning("event %s: could not claim message %s: %s", eid, key.ts, e)
        return True
    if not claimed:
        logger.info("event %s: message %s/%s was already taken by an earlier event (an edit); not answering again",
                    eid, key.channel, key.ts)
    return claimed
