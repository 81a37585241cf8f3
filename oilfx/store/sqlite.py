"""SQLite store: the default, for one bot process.

Mappings, event leases, meta, chat histories and feedback live in one SQLite file (WAL, every write its own
transaction, so a kill -9 leaves either the old or the new row, never half of one). Event claims are atomic across
processes sharing the file (BEGIN IMMEDIATE), but per-thread turns are coordinated in memory: SQLite is for ONE
process. Several processes need REDIS_URL.

Event and message claims: sqlite_events.py; alerts, digests and firing claims: sqlite_alerts.py; the per-thread
turns: memory_turns.py.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from oilfx.store import StoreError
from oilfx.store.base import Feedback, ThreadKey
from oilfx.store.leases import OwnedEvents
from oilfx.store.memory_turns import MemoryTurns
from oilfx.store.open_replies import REPLIES_TABLE
from oilfx.store.sqlite_alerts import ALERTS_SCHEMA, SqliteAlerts
from oilfx.store.sqlite_events import SqliteEvents
from oilfx.store.sqlite_file import FileWatch, OwnerLock, run_schema
from oilfx.store.sqlite_purge import SqlitePurge

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2  # 2: meta.expires_at

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    team TEXT NOT NULL, channel TEXT NOT NULL, thread_ts TEXT NOT NULL, engine TEXT NOT NULL,
    ref TEXT NOT NULL, updated_at REAL NOT NULL,
    PRIMARY KEY (team, channel, thread_ts, engine)
);
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY, lease_until REAL NOT NULL, finished_at REAL
);
CREATE INDEX IF NOT EXISTS events_age ON events (lease_until);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at REAL);
CREATE INDEX IF NOT EXISTS meta_expiry ON meta (expires_at);
CREATE TABLE IF NOT EXISTS histories (
    conversation TEXT PRIMARY KEY, messages TEXT NOT NULL, updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team TEXT NOT NULL, channel TEXT NOT NULL, thread_ts TEXT NOT NULL, message_ts TEXT NOT NULL,
    user TEXT NOT NULL, value TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, engine TEXT NOT NULL,
    at TEXT NOT NULL, at_epoch REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_at ON feedback (at_epoch);
"""
# Created on every open (IF NOT EXISTS): added after schema 2, and older files need no other change.
_MESSAGES_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    team TEXT NOT NULL, channel TEXT NOT NULL, ts TEXT NOT NULL, event_id TEXT NOT NULL, keep_until REAL NOT NULL,
    PRIMARY KEY (team, channel, ts)
);
CREATE INDEX IF NOT EXISTS messages_age ON messages (keep_until);
"""


class SqliteStore(SqliteEvents, SqliteAlerts, MemoryTurns, SqlitePurge):
    def __init__(self, path: str | Path, *, busy_timeout: float = 10.0, clock=time.time,
                 exclusive: bool = False) -> None:
        """`exclusive`: the bot's store; refuses (StoreError) if another process has the file exclusively."""
        MemoryTurns.__init__(self)  # per-thread turns: in memory, SQLite being for one process
        self.path = str(path)
        self._clock = clock
        self._lock = threading.RLock()
        self._owner: OwnerLock | None = None
        self._watch: FileWatch | None = None
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                self._owner = OwnerLock(self.path) if exclusive else None
            self._db = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
            if self.path != ":memory:":
                self._watch = FileWatch(self.path, self._owner)
        except (sqlite3.Error, OSError) as e:  # OSError: a directory that cannot be created, or not writable
            self._release()
            raise StoreError(f"cannot open the SQLite store at OILFX_DB={self.path} ({e})") from e
        except StoreError:
            self._release()
            raise
        self.owned = OwnedEvents()

    def _migrate(self) -> None:
        with self._tx():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"OILFX_DB={self.path} was written by a newer oilfx (schema {version})")
            if version < 1:
                run_schema(self._db, _SCHEMA)
            elif version < 2:  # a file from before meta could expire: its rows stay, without expiry
                self._db.execute("ALTER TABLE meta ADD COLUMN expires_at REAL")
                self._db.execute("CREATE INDEX IF NOT EXISTS meta_expiry ON meta (expires_at)")
            run_schema(self._db, _MESSAGES_SCHEMA)
            self._db.execute(REPLIES_TABLE)  # open replies (open_replies.py); older oilfx ignores the table
            run_schema(self._db, ALERTS_SCHEMA)  # alerts, digests, firing claims (sqlite_alerts.py); likewise
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; IMMEDIATE takes the write lock up front so read-then-write is atomic."""
        with self._lock:
            if self._watch is not None:
                self._watch.check()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            if self._watch is not None:
                self._watch.check()
            return self._db.execute(sql, params).fetchall()

    # --- conversations -------------------------------------------------------------------------------------------

    def get_conversation(self, key: ThreadKey, engine: str) -> str | None:
        rows = self._read("SELECT ref FROM conversations WHERE team=? AND channel=? AND thread_ts=? AND engine=?",
                          (key.team, key.channel, key.thread_ts, engine))
        return rows[0][0] if rows else None

    def set_conversation(self, key: ThreadKey, engine: str, conversation: str) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO conversations VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE"
                       " SET ref=excluded.ref, updated_at=excluded.updated_at",
                       (key.team, key.channel, key.thread_ts, engine, conversation, self._clock()))

    def export_conversations(self) -> Iterator[tuple[ThreadKey, str, str]]:
        rows = self._read("SELECT team, channel, thread_ts, engine, ref FROM conversations ORDER BY updated_at")
        for team, channel, thread_ts, engine, ref in rows:
            yield ThreadKey(team, channel, thread_ts), engine, ref

    # --- meta, histories ----------------------------------------------------------------------------------------

    def get_meta(self, name: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE name=? AND (expires_at IS NULL OR expires_at > ?)",
                          (name, self._clock()))
        return rows[0][0] if rows else None

    def set_meta(self, name: str, value: str, ttl: float | None = None) -> None:
        """`ttl` seconds: the row is gone after that (pruned by later writes); None: kept for good."""
        now = self._clock()
        with self._tx() as db:
            db.execute("INSERT INTO meta VALUES (?, ?, ?) ON CONFLICT DO UPDATE"
                       " SET value=excluded.value, expires_at=excluded.expires_at",
                       (name, value, None if ttl is None else now + ttl))
            db.execute("DELETE FROM meta WHERE expires_at <= ?", (now,))  # indexed: cheap when nothing expired

    def export_meta(self) -> Iterator[tuple[str, str]]:
        yield from self._read("SELECT name, value FROM meta WHERE expires_at IS NULL OR expires_at > ? ORDER BY name",
                              (self._clock(),))

    def meta_ttls(self) -> dict[str, float]:
        """Seconds left for each meta value that expires (for `store migrate`)."""
        now = self._clock()
        return dict(self._read("SELECT name, expires_at - ? FROM meta WHERE expires_at > ?", (now, now)))

    def load_history(self, conversation: str) -> list[dict[str, Any]]:
        rows = self._read("SELECT messages FROM histories WHERE conversation=?", (conversation,))
        return json.loads(rows[0][0]) if rows else []

    def save_history(self, conversation: str, messages: list[dict[str, Any]]) -> None:
        payload = json.dumps(messages, ensure_ascii=False)
        with self._tx() as db:
            db.execute("INSERT INTO histories VALUES (?, ?, ?) ON CONFLICT DO UPDATE"
                       " SET messages=excluded.messages, updated_at=excluded.updated_at",
                       (conversation, payload, self._clock()))

    def export_histories(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        for conversation, messages in self._read("SELECT conversation, messages FROM histories"):
            yield conversation, json.loads(messages)

    # --- feedback ----------------------------------------------------------------------------------------------

    def add_feedback(self, feedback: Feedback) -> None:
        k = feedback.key
        with self._tx() as db:
            db.execute("INSERT INTO feedback (team, channel, thread_ts, message_ts, user, value, question, answer,"
                       " engine, at, at_epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (k.team, k.channel, k.thread_ts, feedback.message_ts, feedback.user, feedback.value,
                        feedback.question, feedback.answer, feedback.engine, feedback.at.isoformat(),
                        feedback.at.timestamp()))

    def list_feedback(self, since: datetime) -> Iterator[Feedback]:
        rows = self._read("SELECT team, channel, thread_ts, message_ts, user, value, question, answer, engine, at"
                          " FROM feedback WHERE at_epoch >= ? ORDER BY at_epoch, id", (since.timestamp(),))
        for team, channel, thread_ts, message_ts, user, value, question, answer, engine, at in rows:
            yield Feedback(ThreadKey(team, channel, thread_ts), message_ts, user, value, question, answer, engine,
                           datetime.fromisoformat(at))

    # --- the rest ----------------------------------------------------------------------------------------------

    def quote_cache(self):
        """In-process quote cache: with SQLite there is one process, so nothing to share."""
        from oilfx.market.cache import MemoryCache

        return MemoryCache()

    def stats(self) -> dict[str, int]:
        now = self._clock()
        counts = {
            "conversations": "SELECT count(*) FROM conversations",
            "events_finished": "SELECT count(*) FROM events WHERE finished_at IS NOT NULL",
            "meta": "SELECT count(*) FROM meta",  # expired rows not yet pruned included
            "histories": "SELECT count(*) FROM histories",
            "feedback": "SELECT count(*) FROM feedback",
        }
        result = {name: self._read(sql)[0][0] for name, sql in counts.items()}
        result["events_in_progress"] = self._read(
            "SELECT count(*) FROM events WHERE finished_at IS NULL AND lease_until > ?", (now,))[0][0]
        return result

    def integrity_check(self) -> str:
        return self._read("PRAGMA integrity_check")[0][0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._release()

    def _release(self) -> None:
        if self._owner is not None:
            self._owner.release()

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r})"
