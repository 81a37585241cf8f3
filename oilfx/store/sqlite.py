"""SQLite store: the default, for one bot process.

Mappings, event leases, meta, chat histories and feedback live in one SQLite file (WAL, every write its own
transaction, so a kill -9 leaves either the old or the new row, never half of one). Event claims are atomic across
processes sharing the file (BEGIN IMMEDIATE), but per-thread turns are coordinated in memory: SQLite is for ONE
process. Several processes need REDIS_URL.
"""

from __future__ import annotations

import heapq
import itertools
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

from oilfx.store import StoreError, turn_order
from oilfx.store.base import MESSAGES_KEPT, Feedback, MessageKey, ThreadKey, TurnTicket
from oilfx.store.open_replies import REPLIES_TABLE, SqliteOpenReplies
from oilfx.store.sqlite_file import FileWatch, OwnerLock

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2  # 2: meta.expires_at
FINISHED_EVENTS_KEPT = 86400.0  # Slack retries within minutes; a day is ample and keeps the table small
_PRUNE_EVERY = 600.0

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


class _ThreadQueue:
    """Turns waiting for one thread: a heap of (order, arrival) and whether a turn is running."""

    def __init__(self, lock: threading.Lock) -> None:
        self.changed = threading.Condition(lock)
        self.waiting: list[tuple[Any, int]] = []
        self.running = False


class SqliteStore(SqliteOpenReplies):
    def __init__(self, path: str | Path, *, busy_timeout: float = 10.0, clock=time.time,
                 exclusive: bool = False) -> None:
        """`exclusive`: the bot's store; refuses (StoreError) if another process has the file exclusively."""
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
        self._last_prune = 0.0
        self._last_message_prune = 0.0
        self._turns_lock = threading.Lock()
        self._turns: dict[ThreadKey, _ThreadQueue] = {}
        self._arrivals = itertools.count()
        self._leases: dict[str, float] = {}  # event id -> the lease_until we wrote: still ours if unchanged

    def _migrate(self) -> None:
        with self._tx():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"OILFX_DB={self.path} was written by a newer oilfx (schema {version})")
            if version < 1:
                # statement by statement: executescript() would COMMIT our transaction half-way
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self._db.execute(statement)
            elif version < 2:  # a file from before meta could expire: its rows stay, without expiry
                self._db.execute("ALTER TABLE meta ADD COLUMN expires_at REAL")
                self._db.execute("CREATE INDEX IF NOT EXISTS meta_expiry ON meta (expires_at)")
            for statement in filter(str.strip, _MESSAGES_SCHEMA.split(";")):
                self._db.execute(statement)
            self._db.execute(REPLIES_TABLE)  # open replies (open_replies.py); older oilfx ignores the table
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
            self._leases[event_id] = now + lease_seconds
            if now - self._last_prune > _PRUNE_EVERY:
                self._last_prune = now
                old = now - FINISHED_EVENTS_KEPT
                db.execute("DELETE FROM events WHERE finished_at < ? OR (finished_at IS NULL AND lease_until < ?)",
                           (old, old))
        return True

    def renew_event(self, event_id: str, lease_seconds: float) -> bool:
        ours = self._leases.get(event_id)
        if ours is None:
            return False
        until = self._clock() + lease_seconds
        with self._tx() as db:
            cursor = db.execute("UPDATE events SET lease_until=? WHERE event_id=? AND lease_until=?"
                                " AND finished_at IS NULL", (until, event_id, ours))
            if cursor.rowcount != 1:  # finished, or taken over after our lease ran out
                self._leases.pop(event_id, None)
                return False
            self._leases[event_id] = until
            return True

    def finish_event(self, event_id: str) -> None:
        now = self._clock()
        self._leases.pop(event_id, None)
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

    # --- turns -------------------------------------------------------------------------------------------------

    def _queue(self, key: ThreadKey) -> _ThreadQueue:
        queue = self._turns.get(key)
        if queue is None:
            queue = self._turns[key] = _ThreadQueue(self._turns_lock)
        return queue

    def enter_turn(self, key: ThreadKey, order: str) -> TurnTicket:
        entry = (turn_order(order), next(self._arrivals))
        with self._turns_lock:
            heapq.heappush(self._queue(key).waiting, entry)
        return TurnTicket(key, order, str(entry[1]))

    def leave_turn(self, ticket: TurnTicket) -> None:
        entry = (turn_order(ticket.order), int(ticket.token))
        with self._turns_lock:
            queue = self._turns.get(ticket.key)
            if queue is None or entry not in queue.waiting:
                return
            queue.waiting.remove(entry)
            heapq.heapify(queue.waiting)
            self._forget_if_idle(ticket.key, queue)
            queue.changed.notify_all()

    @contextmanager
    def thread_turn(self, key: ThreadKey, order: str, timeout: float = 600.0,
                    ticket: TurnTicket | None = None) -> Iterator[None]:
        deadline = time.monotonic() + timeout
        with self._turns_lock:
            queue = self._queue(key)
            entered = (turn_order(ticket.order), int(ticket.token)) if ticket is not None else None
            if entered is not None and entered in queue.waiting:
                entry = entered  # the place taken at arrival
            else:
                entry = (turn_order(order), next(self._arrivals))
                heapq.heappush(queue.waiting, entry)
            while queue.running or queue.waiting[0] != entry:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    queue.waiting.remove(entry)
                    heapq.heapify(queue.waiting)
                    self._forget_if_idle(key, queue)
                    queue.changed.notify_all()
                    raise TimeoutError(f"thread {key}: turn {order} did not start within {timeout:g} s")
                queue.changed.wait(remaining)
            heapq.heappop(queue.waiting)
            queue.running = True
        try:
            yield
        finally:
            with self._turns_lock:
                queue.running = False
                self._forget_if_idle(key, queue)
                queue.changed.notify_all()

    def _forget_if_idle(self, key: ThreadKey, queue: _ThreadQueue) -> None:
        if not queue.running and not queue.waiting and self._turns.get(key) is queue:
            del self._turns[key]

    def turns_waiting(self, key: ThreadKey) -> int:
        """How many turns wait (not counting the running one) for `key` in this process."""
        with self._turns_lock:
            queue = self._turns.get(key)
            return len(queue.waiting) if queue else 0

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
