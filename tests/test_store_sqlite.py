"""SQLite-only behaviour: pragmas, schema version, pruning, and durability under kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from oilfx.market.cache import MemoryCache
from oilfx.store import StoreError
from oilfx.store.base import ThreadKey
from oilfx.store.sqlite import SCHEMA_VERSION, SqliteStore
from oilfx.store.sqlite_events import FINISHED_EVENTS_KEPT

ROOT = Path(__file__).resolve().parents[1]

# A bot process writing mappings as fast as it can and reporting each one after set_conversation returned.
WRITER = """
import sys
from oilfx.store.base import ThreadKey
from oilfx.store.sqlite import SqliteStore
store = SqliteStore(sys.argv[1])
i = 0
while True:
    key = ThreadKey("T1", "C1", f"1700000000.{i:06d}")
    if store.claim_event(f"Ev{i}"):
        store.set_conversation(key, "responses", f"conv_{i}")
        store.save_history(f"conv_{i}", [{"role": "user", "content": "x" * 2000}])
        store.finish_event(f"Ev{i}")
    print(i, flush=True)
    i += 1
"""


def test_wal_schema_version_and_pragmas(tmp_path):
    store = SqliteStore(tmp_path / "oilfx.db")
    db = sqlite3.connect(tmp_path / "oilfx.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert store._db.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    db.close()
    store.close()


def test_refuses_a_newer_schema_and_a_bad_path(tmp_path):
    db = sqlite3.connect(tmp_path / "new.db")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer oilfx"):
        SqliteStore(tmp_path / "new.db")
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(StoreError, match="OILFX_DB="):
        SqliteStore(tmp_path / "dir.db")


def test_old_events_are_pruned(tmp_path):
    now = [1_700_000_000.0]
    store = SqliteStore(tmp_path / "oilfx.db", clock=lambda: now[0])
    assert store.claim_event("old")
    store.finish_event("old")
    assert store.claim_event("abandoned", lease_seconds=10)
    now[0] += FINISHED_EVENTS_KEPT + 3600
    assert store.claim_event("new")
    rows = {r[0] for r in store._read("SELECT event_id FROM events")}
    assert rows == {"new"}
    assert store.stats()["events_in_progress"] == 1


def test_expired_meta_rows_are_pruned_on_write(tmp_path):
    now = [1_700_000_000.0]
    store = SqliteStore(tmp_path / "oilfx.db", clock=lambda: now[0])
    for i in range(50):
        store.set_meta(f"steps:{i}", "{}", ttl=30 * 86400)
    store.set_meta("assistant_id", "asst_1")
    now[0] += 30 * 86400 + 1
    assert store.get_meta("steps:0") is None and store.stats()["meta"] == 51  # unread until a write prunes
    store.set_meta("reply:Ev1", "1700000000.000100", ttl=600)
    assert {r[0] for r in store._read("SELECT name FROM meta")} == {"assistant_id", "reply:Ev1"}


def test_a_schema_1_file_is_migrated_keeping_its_rows(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
                     "INSERT INTO meta VALUES ('assistant_id', 'asst_1');"
                     "CREATE TABLE conversations (team TEXT NOT NULL, channel TEXT NOT NULL, thread_ts TEXT NOT NULL,"
                     " engine TEXT NOT NULL, ref TEXT NOT NULL, updated_at REAL NOT NULL,"
                     " PRIMARY KEY (team, channel, thread_ts, engine));"
                     "INSERT INTO conversations VALUES ('T1', 'C1', '1700000000.000100', 'responses', 'conv_1', 0);"
                     "PRAGMA user_version = 1;")
    db.close()
    store = SqliteStore(path)
    assert store._read("PRAGMA user_version")[0][0] == SCHEMA_VERSION == 2
    assert store.get_meta("assistant_id") == "asst_1"
    assert store.get_conversation(ThreadKey("T1", "C1", "1700000000.000100"), "responses") == "conv_1"
    store.set_meta("answer:k1", "{}", ttl=60)
    assert store.get_meta("answer:k1") == "{}"
    store.close()
    assert SqliteStore(path).get_meta("assistant_id") == "asst_1"  # reopening a migrated file changes nothing


def test_sqlite_uses_the_in_process_cache(tmp_path):
    assert isinstance(SqliteStore(tmp_path / "oilfx.db").quote_cache(), MemoryCache)


def test_kill_9_mid_write_leaves_the_store_intact(tmp_path):
    path = tmp_path / "oilfx.db"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    done = -1
    try:
        while done < 150:
            done = int(writer.stdout.readline())
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(5)
    store = SqliteStore(path)
    assert store.integrity_check() == "ok"
    for i in range(done + 1):  # everything reported before the kill is there, in full
        key = ThreadKey("T1", "C1", f"1700000000.{i:06d}")
        assert store.get_conversation(key, "responses") == f"conv_{i}"
        assert store.load_history(f"conv_{i}") == [{"role": "user", "content": "x" * 2000}]
        assert not store.claim_event(f"Ev{i}")  # answered once: a redelivery is not claimed again
    mappings = list(store.export_conversations())
    assert all(ref == f"conv_{int(k.thread_ts.split('.')[1])}" for k, _engine, ref in mappings)
    # An event the killed process had claimed but not finished stays leased: a redelivery now is not answered
    # a second time alongside a possibly-posted first answer; it becomes claimable once the lease runs out.
    for (event_id,) in store._read("SELECT event_id FROM events WHERE finished_at IS NULL"):
        assert not store.claim_event(event_id)
