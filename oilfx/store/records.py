"""Typed records in the store's small key/value state (`meta`), each with its declared key prefix and TTL.

The meta table/hash is shared: every name in it starts with one of these prefixes, or is the Assistants engine's
assistant id (engines/assistants.py keeps that through the engine's own state interface). A record is stored as
the JSON object of its fields, the same JSON the earlier dict-based code wrote, so stored records stay readable
across a deploy (an answer's buttons from before it still work) and `store migrate` copies them as meta.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar

RECORD_TTL = 30 * 86400.0  # records behind an answer's buttons; a later click says they are gone

R = TypeVar("R", bound="Record")


class Meta(Protocol):
    def get_meta(self, name: str) -> str | None: ...

    # ttl: seconds until the entry is dropped (per-turn records); None keeps it (e.g. the assistant id).
    def set_meta(self, name: str, value: str, ttl: float | None = None) -> None: ...

    # Everything, for `store migrate`: (name, value), expired entries left out.
    def export_meta(self) -> Iterator[tuple[str, str]]: ...


@dataclass(frozen=True)
class Record:
    PREFIX: ClassVar[str]
    TTL: ClassVar[float | None]  # None: kept for good

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False)

    @classmethod
    def from_dict(cls: type[R], data: dict[str, Any]) -> R | None:
        """The record, or None if a field it needs is missing; fields that are not strings are left out."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {name: value for name, value in data.items() if name in known and isinstance(value, str)}
        try:
            return cls(**values)
        except TypeError:  # a field without default missing
            return None


@dataclass(frozen=True, kw_only=True)  # kw_only: fields in the order the JSON always had
class StepsRecord(Record):
    """The run-steps breakdown behind an answer's "Show steps" button; the button carries only the record's key."""

    PREFIX: ClassVar[str] = "steps:"
    TTL: ClassVar[float | None] = RECORD_TTL

    thread: str = ""  # str(ThreadKey), "" for a top-level answer
    breakdown: str


@dataclass(frozen=True)
class AnswerRecord(Record):
    """What a thumbs up/down refers to: the question, the answer and the engine, and where it was asked."""

    PREFIX: ClassVar[str] = "answer:"
    TTL: ClassVar[float | None] = RECORD_TTL

    team: str = ""
    channel: str = ""
    thread_ts: str = ""
    question: str = ""
    answer: str = ""
    engine: str = ""


@dataclass(frozen=True)
class PanelContext(Record):
    """The assistant panel's context (the channel the user is looking at), keyed by "<channel>:<thread_ts>" of the
    panel's thread. `others`: the rest of Slack's context object, kept as Slack sent it."""

    PREFIX: ClassVar[str] = "assistant_context:"
    TTL: ClassVar[float | None] = None

    channel_id: str
    team_id: str | None = None
    enterprise_id: str | None = None
    others: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.as_slack(), ensure_ascii=False)

    def as_slack(self) -> dict[str, Any]:
        """Slack's context object."""
        return {"channel_id": self.channel_id, "team_id": self.team_id, "enterprise_id": self.enterprise_id,
                **self.others}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PanelContext | None:
        channel = data.get("channel_id")
        if not channel or not isinstance(channel, str):
            return None
        others = {k: v for k, v in data.items() if k not in {"channel_id", "team_id", "enterprise_id"}}
        return cls(channel, _str_or_none(data.get("team_id")), _str_or_none(data.get("enterprise_id")), others)


@dataclass(frozen=True)
class PanelTitled(Record):
    """The assistant panel thread was given its title (from its first question): the next question keeps it."""

    PREFIX: ClassVar[str] = "assistant_titled:"
    TTL: ClassVar[float | None] = None

    def to_json(self) -> str:
        return "1"  # what the flag always held


@dataclass(frozen=True)
class LanguageChoice(Record):
    """A user's own language (`/oilprice lang en|ko`), over their Slack locale; keyed by `language_key`."""

    PREFIX: ClassVar[str] = "lang:"
    TTL: ClassVar[float | None] = None

    team: str
    user: str
    lang: str   # "ko" or "en" (oilfx.i18n.Lang's values)


def language_key(team: str, user: str) -> str:
    return f"{team}:{user}"


def panel_key(channel: str, thread_ts: str) -> str:
    """The key of a panel thread's records. No team: Bolt's thread context store is asked by channel and ts only;
    a panel thread lives in the user's DM with the bot (a D... id) and its ts, which two workspaces do not share in
    practice. PanelContext names its team (purged with it); PanelTitled is a bare flag, left to an uninstall."""
    return f"{channel}:{thread_ts}"


def keep(meta: Meta, record: Record) -> str:
    """Store `record` under a fresh short key (small enough for a button value) and return the key."""
    key = secrets.token_urlsafe(9)
    put(meta, key, record)
    return key


def put(meta: Meta, key: str, record: Record) -> None:
    meta.set_meta(record.PREFIX + key, record.to_json(), ttl=record.TTL)


def load(meta: Meta, kind: type[R], key: str) -> R | None:
    """The record of `kind` kept under `key`; None if gone (expired), never stored, or unreadable."""
    raw = meta.get_meta(kind.PREFIX + key)
    if kind is PanelTitled:
        return kind() if raw else None
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        return None
    return kind.from_dict(data) if isinstance(data, dict) else None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
