"""The SQLite store's alerts, digests and firing claims: the AlertBook capability (store/alerts.py).

Tables, created on every open (IF NOT EXISTS), so a file from an older oilfx gains them and keeps its rows:
`alerts` (AUTOINCREMENT ids, never reused), `digests` (one per team and channel), `firings` (a claim: its owner
and lease while a process posts it, `done_at` once posted, for good). Every check-then-write is one IMMEDIATE
transaction, so it is atomic for every process on the file (the channel limit, a claim, a conditional disarm).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime, time

from oilfx.market.rule import Rule
from oilfx.store.alerts import Alert, Digest, TooManyAlerts, key_team

ALERTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team TEXT NOT NULL, channel TEXT NOT NULL, creator TEXT NOT NULL, rule TEXT NOT NULL, created_at TEXT NOT NULL,
    armed INTEGER NOT NULL DEFAULT 1, fired INTEGER NOT NULL DEFAULT 0, disabled TEXT
);
CREATE INDEX IF NOT EXISTS alerts_channel ON alerts (team, channel);
CREATE TABLE IF NOT EXISTS digests (
    team TEXT NOT NULL, channel TEXT NOT NULL, creator TEXT NOT NULL, at TEXT NOT NULL, created_at TEXT NOT NULL,
    disabled TEXT,
    PRIMARY KEY (team, channel)
);
CREATE TABLE IF NOT EXISTS firings (
    key TEXT PRIMARY KEY, team TEXT NOT NULL, owner TEXT, lease_until REAL, done_at REAL
);
CREATE INDEX IF NOT EXISTS firings_team ON firings (team);
"""

_ALERT_COLUMNS = "id, team, channel, creator, rule, created_at, armed, disabled, fired"
_DIGEST_COLUMNS = "team, channel, creator, at, created_at, disabled"


def _alert(row: tuple) -> Alert:
    id_, team, channel, creator, rule, created_at, armed, disabled, fired = row
    return Alert(id_, team, channel, creator, Rule.from_dict(json.loads(rule)), datetime.fromisoformat(created_at),
                 bool(armed), disabled, fired)


def _digest(row: tuple) -> Digest:
    team, channel, creator, at, created_at, disabled = row
    return Digest(team, channel, creator, time.fromisoformat(at), datetime.fromisoformat(created_at), disabled)


class SqliteAlerts:
    _tx: Callable[[], AbstractContextManager[sqlite3.Connection]]
    _read: Callable[..., list[tuple]]
    _clock: Callable[[], float]

    # --- alerts ------------------------------------------------------------------------------------------------

    def add_alert(self, team: str, channel: str, creator: str, rule: Rule, limit: int, now: datetime) -> Alert:
        with self._tx() as db:  # IMMEDIATE: the count and the insert are one step for every process on the file
            count = db.execute("SELECT count(*) FROM alerts WHERE team=? AND channel=? AND disabled IS NULL",
                               (team, channel)).fetchone()[0]
            if count >= limit:
                raise TooManyAlerts(f"this channel already has {count} alerts (the most it may have is {limit})")
            cursor = db.execute("INSERT INTO alerts (team, channel, creator, rule, created_at) VALUES (?, ?, ?, ?, ?)",
                                (team, channel, creator, json.dumps(rule.to_dict()), now.isoformat()))
            alert_id = cursor.lastrowid
        assert alert_id is not None
        return Alert(alert_id, team, channel, creator, rule, now)

    def list_alerts(self, team: str, channel: str | None = None) -> list[Alert]:
        if channel is None:
            rows = self._read(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE team=? ORDER BY id", (team,))
        else:
            rows = self._read(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE team=? AND channel=? ORDER BY id",
                              (team, channel))
        return [_alert(row) for row in rows]

    def active_alerts(self) -> Iterator[Alert]:
        rows = self._read(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE disabled IS NULL ORDER BY id")
        return iter([_alert(row) for row in rows])

    def delete_alert(self, team: str, channel: str, alert_id: int) -> bool:
        with self._tx() as db:
            deleted = db.execute("DELETE FROM alerts WHERE team=? AND channel=? AND id=?",
                                 (team, channel, alert_id)).rowcount
            if deleted:  # its claims go with it (ids are never reused, so nothing could claim them again)
                db.execute("DELETE FROM firings WHERE team=? AND key LIKE ?", (team, f"alert:{team}:{alert_id}:%"))
        return bool(deleted)

    def set_armed(self, alert_id: int, armed: bool) -> None:
        with self._tx() as db:
            db.execute("UPDATE alerts SET armed=? WHERE id=?", (int(armed), alert_id))

    def mark_fired(self, alert_id: int, fired: int) -> bool:
        with self._tx() as db:
            return db.execute("UPDATE alerts SET armed=0, fired=fired+1 WHERE id=? AND fired=?",
                              (alert_id, fired)).rowcount == 1

    def rearm(self, alert_id: int, fired: int) -> bool:
        with self._tx() as db:
            return db.execute("UPDATE alerts SET armed=1 WHERE id=? AND fired=? AND armed=0",
                              (alert_id, fired)).rowcount == 1

    def disable_channel(self, team: str, channel: str, reason: str) -> int:
        with self._tx() as db:
            alerts = db.execute("UPDATE alerts SET disabled=? WHERE team=? AND channel=? AND disabled IS NULL",
                                (reason, team, channel)).rowcount
            digests = db.execute("UPDATE digests SET disabled=? WHERE team=? AND channel=? AND disabled IS NULL",
                                 (reason, team, channel)).rowcount
        return alerts + digests

    # --- digests -----------------------------------------------------------------------------------------------

    def set_digest(self, digest: Digest) -> None:
        with self._tx() as db:
            db.execute(f"INSERT OR REPLACE INTO digests ({_DIGEST_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                       (digest.team, digest.channel, digest.creator, digest.at.isoformat(timespec="minutes"),
                        digest.created_at.isoformat(), digest.disabled))

    def clear_digest(self, team: str, channel: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM digests WHERE team=? AND channel=?", (team, channel)).rowcount == 1

    def list_digests(self, team: str | None = None) -> list[Digest]:
        if team is None:
            rows = self._read(f"SELECT {_DIGEST_COLUMNS} FROM digests ORDER BY team, channel")
        else:
            rows = self._read(f"SELECT {_DIGEST_COLUMNS} FROM digests WHERE team=? ORDER BY channel", (team,))
        return [_digest(row) for row in rows]

    # --- firing claims -----------------------------------------------------------------------------------------

    def claim_firing(self, key: str, owner: str, ttl: float) -> bool:
        team = key_team(key)
        now = self._clock()
        with self._tx() as db:
            row = db.execute("SELECT owner, lease_until, done_at FROM firings WHERE key=?", (key,)).fetchone()
            if row is not None and (row[2] is not None or (row[0] != owner and row[1] > now)):
                return False  # posted for good, or another process holds it and its lease still runs
            db.execute("INSERT INTO firings (key, team, owner, lease_until) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE"
                       " SET owner=excluded.owner, lease_until=excluded.lease_until", (key, team, owner, now + ttl))
        return True

    def finish_firing(self, key: str, owner: str) -> None:
        """Done for good, also when our lease ran out meanwhile: the post was made, so nobody may claim it again."""
        now = self._clock()
        with self._tx() as db:
            db.execute("INSERT INTO firings (key, team, owner, lease_until, done_at) VALUES (?, ?, ?, ?, ?)"
                       " ON CONFLICT DO UPDATE SET owner=excluded.owner, done_at=excluded.done_at",
                       (key, key_team(key), owner, now, now))

    def firing_done(self, key: str) -> bool:
        rows = self._read("SELECT 1 FROM firings WHERE key=? AND done_at IS NOT NULL", (key,))
        return bool(rows)

    def import_alert(self, alert: Alert) -> None:
        # An explicit id also raises AUTOINCREMENT's sequence, so ids allocated later stay larger.
        with self._tx() as db:
            db.execute(f"INSERT OR REPLACE INTO alerts ({_ALERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (alert.id, alert.team, alert.channel, alert.creator, json.dumps(alert.rule.to_dict()),
                        alert.created_at.isoformat(), int(alert.armed), alert.disabled, alert.fired))

    def export_alerts(self) -> list[Alert]:
        """Every team's alerts, disabled ones included (for `store migrate`)."""
        return [_alert(row) for row in self._read(f"SELECT {_ALERT_COLUMNS} FROM alerts ORDER BY id")]

    def export_done_firings(self) -> list[str]:
        """Keys of firings posted for good (for `store migrate`: a digest posted this morning stays posted)."""
        return [row[0] for row in self._read("SELECT key FROM firings WHERE done_at IS NOT NULL ORDER BY key")]

    def purge_team_alerts(self, team: str) -> int:
        with self._tx() as db:
            return delete_team_alerts(db, team)


def delete_team_alerts(db: sqlite3.Connection, team: str) -> int:
    """The team's alerts, digests and firing claims, inside the caller's transaction; alerts + digests removed."""
    alerts = db.execute("DELETE FROM alerts WHERE team=?", (team,)).rowcount
    digests = db.execute("DELETE FROM digests WHERE team=?", (team,)).rowcount
    db.execute("DELETE FROM firings WHERE team=?", (team,))
    return alerts + digests
