"""The open-reply registry (Store.open_reply / get_open_reply / open_replies) for both backends, as mixins.

SQLite: table `replies` (created if missing on open: an extra table changes nothing for older code, so it needs
no schema version). Redis: hash `oilfx:replies`, event id -> JSON. Each backend's finish_event drops the row in
the same transaction that marks the event finished.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from oilfx.store.base import OpenReply

REPLIES_TABLE = """
CREATE TABLE IF NOT EXISTS replies (
    event_id TEXT PRIMARY KEY, channel TEXT NOT NULL, ts TEXT NOT NULL, thread_ts TEXT,
    streamed INTEGER NOT NULL, request TEXT NOT NULL, opened_at REAL NOT NULL
)"""
REDIS_REPLIES = "replies"  # under the store's key prefix
_COLUMNS = "event_id, channel, ts, thread_ts, streamed, request, opened_at"


def _row(reply: OpenReply) -> tuple:
    return (reply.event_id, reply.channel, reply.ts, reply.thread_ts, int(reply.streamed), reply.request,
            reply.opened_at)


def _from_row(row: tuple) -> OpenReply:
    event_id, channel, ts, thread_ts, streamed, request, opened_at = row
    return OpenReply(event_id, channel, ts, thread_ts, bool(streamed), request, float(opened_at))


class SqliteOpenReplies:
    _tx: Callable[[], AbstractContextManager[sqlite3.Connection]]
    _read: Callable[..., list[tuple]]

    def open_reply(self, reply: OpenReply) -> None:
        with self._tx() as db:
            db.execute(f"INSERT OR REPLACE INTO replies ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", _row(reply))

    def get_open_reply(self, event_id: str) -> OpenReply | None:
        rows = self._read(f"SELECT {_COLUMNS} FROM replies WHERE event_id=?", (event_id,))
        return _from_row(rows[0]) if rows else None

    def open_replies(self) -> list[OpenReply]:
        return [_from_row(r) for r in self._read(f"SELECT {_COLUMNS} FROM replies ORDER BY opened_at")]


class RedisOpenReplies:
    client: Any  # redis.Redis with decode_responses
    replies_key: str

    def open_reply(self, reply: OpenReply) -> None:
        self.client.hset(self.replies_key, reply.event_id, json.dumps(dataclasses.asdict(reply)))

    def get_open_reply(self, event_id: str) -> OpenReply | None:
        raw = self.client.hget(self.replies_key, event_id)
        return _parse(raw) if raw else None

    def open_replies(self) -> list[OpenReply]:
        found = (_parse(raw) for _, raw in self.client.hscan_iter(self.replies_key, count=1000))
        return sorted((r for r in found if r is not None), key=lambda r: r.opened_at)


def _parse(raw: str) -> OpenReply | None:
    try:
        return OpenReply(**json.loads(raw))
    except (TypeError, ValueError):  # written by another version: leave it to that version
        return None


