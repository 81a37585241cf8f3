"""Shared by the event listeners: which events to ignore, the question text, the dedupe id."""

from __future__ import annotations

import hashlib
import re
from typing import Any

_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def question_text(text: str) -> str:
    """The user's words without mentions of the bot (or anyone): `<@UBOT> WTI now?` -> `WTI now?`."""
    return " ".join(_MENTION.sub(" ", text or "").split())


def is_from_a_bot(event: dict[str, Any], bot_user_id: str | None) -> bool:
    return bool(event.get("bot_id") or event.get("bot_profile")
                or (bot_user_id and event.get("user") == bot_user_id))


def event_id(body: dict[str, Any], event: dict[str, Any]) -> str:
    """Slack's event_id (the same on every retry); else one derived from the message itself."""
    if body.get("event_id"):
        return str(body["event_id"])
    basis = f"{event.get('channel')}:{event.get('ts')}:{event.get('client_msg_id', '')}"
    return "derived-" + hashlib.sha256(basis.encode()).hexdigest()[:24]


def team_id(body: dict[str, Any], event: dict[str, Any]) -> str:
    return str(body.get("team_id") or event.get("team") or "T?")
