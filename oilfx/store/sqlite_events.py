"""The SQLite store's event claims (leases), message claims and open replies: the EventClaims capability.

Tables: `events` (lease_until while a process works on it, finished_at once answered), `messages` (the event
that first carried a message), `replies` (open_replies.py). Every claim is one IMMEDIATE transaction, so it is
atomic across processes sharing the file.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

from oilfx.store.events import MESSAGES_KEPT, MessageKey
from oilfx.store.leases import OwnedEvents
from oilfx.store.open_replies import SqliteOpenReplies

log = logging.getLogger(__name__)

FINISHED_EVENTS_KEPT = 86400.0  # Slack retries within minutes; a day is ample and keeps the table small
_PRUNE_EVERY = 600.0


class SqliteEvents(SqliteOpenReplies):
    _tx: Callable[[], AbstractContextManager[sqlite3.Connection]]
    _read: Callable[..., list[tuple]]
    _clock: Callable[[], float]
    owned: OwnedEvents  # event id -> the lease_until we wrote: still ours if unchanged
    _last_prune = 0.0
    _last_message_prune = 0.0

    # --- events ------------------------------------------------------------------------------------------------

    def claim_event(self, event_id: str, lease_seconds: float = 300.0) -> bool:
        now = self._clock()
        with self._tx() as db:
            row = db.execute("SELECT lease_until, finished_at FROM events WHERE event_id=?", (event_id,)).fetchone()
            if row is not None and (row[1] is not None or row[0] > now):
                return False
            if row is not None:
                log.warning("event %s: previous owner's lease ran out unfinished; taking it over", event_id)
            db.execute("INSERT INTO events (event_id, lease_until) VALUES (?, ?)"
                       " ON CONFLICT DO UPDATE SET lease_until=excluded.lease_until", (event_id, now + lease_seconds))
            self.owned.claimed(event_id, now + lease_seconds)
            if now - self._last_prune > _PRUNE_EVERY:
                self._last_prune = now
                old = now - FINISHED_EVENTS_KEPT
                db.execute("DELETE FROM events WHERE finished_at < ? OR (finished_at IS NULL AND lease_until < ?)",
                           (old, old))
        return True

    def renew_event(self, event_id: str, lease_seconds: float) -> bool:
        ours = self.owned.proof(event_id)
        if ours is None:
            return False
        until = self._clock() + lease_seconds
        with self._tx() as db:
            cursor = db.execute("UPDATE events SET lease_until=? WHERE event_id=? AND lease_until=?"
                                " AND finished_at IS NULL", (until, event_id, ours))
            if cursor.rowcount != 1:  # finished, or taken over after our lease ran out
                self.owned.finished(event_id)
                return False
            self.owned.claimed(event_id, until)
            return True

    def renew_events(self, event_ids: list[str], lease_seconds: float) -> list[str]:
        return [event_id for event_id in event_ids if not self.renew_event(event_id, lease_seconds)]

    def finish_event(self, event_id: str) -> None:
        now = self._clock()
        self.owned.finished(event_id)
        with self._tx() as db:
            db.execute("INSERT INTO events (event_id, lease_until, finished_at) VALUES (?, ?, ?)"
                       " ON CONFLICT DO UPDATE SET finished_at=excluded.finished_at", (event_id, now, now))
            db.execute("DELETE FROM replies WHERE event_id=?", (event_id,))  # same transaction: see Store

    def export_finished_events(self) -> Iterator[tuple[str, float]]:
        """(event id, finished at epoch seconds) for events finished within the kept window."""
        rows = self._read("SELECT event_id, finished_at FROM events WHERE finished_at >= ?",
                          (self._clock() - FINISHED_EVENTS_KEPT,))
        yield from rows

    # --- messages ----------------------------------------------------------------------------------------------

    def claim_message(self, key: MessageKey, event_id: str, keep_seconds: float = MESSAGES_KEPT) -> bool:
        now = self._clock()
        with self._tx() as db:  # IMMEDIATE: the read and the insert are one step for every process on the file
            db.execute("DELETE FROM messages WHERE team=? AND channel=? AND ts=? AND keep_until < ?",
                       (key.team, key.channel, key.ts, now))
            db.execute("INSERT INTO messages VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       (key.team, key.channel, key.ts, event_id, now + keep_seconds))
            owner = db.execute("SELECT event_id FROM messages WHERE team=? AND channel=? AND ts=?",
                               (key.team, key.channel, key.ts)).fetchone()[0]
            if now - self._last_message_prune > _PRUNE_EVERY:
                self._last_message_prune = now
                db.execute("DELETE FROM messages WHERE keep_until < ?", (now,))
        return bool(owner == event_id)

    def export_messages(self) -> Iterator[tuple[MessageKey, str, float]]:
        """(message, its event id, seconds it stays claimed) for every message still claimed."""
        now = self._clock()
        rows = self._read("SELECT team, channel, ts, event_id, keep_until FROM messages WHERE keep_until > ?", (now,))
        for team, channel, ts, event_id, keep_until in rows:
            yield MessageKey(team, channel, ts), event_id, keep_until - now
