"""The SQLite store's file (oilfx/store/sqlite_file.py): one bot process per file (an flock on `<db>.lock`,
released by the kernel when its process dies, also on kill -9), and a database file deleted or replaced under a
running store is noticed: the store refuses every later operation instead of writing to an unlinked file."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from oilfx.store import StoreError
from oilfx.store.base import ThreadKey
from oilfx.store.sqlite import SqliteStore
from tests.fakes.bot_process import REPO

KEY = ThreadKey("T1", "C1", "1700000000.000100")


def test_a_second_owner_is_refused_naming_the_file_and_redis_url_while_readers_share(tmp_path: Path):
    db = str(tmp_path / "oilfx.db")
    owner = SqliteStore(db, exclusive=True)
    try:
        owner.set_conversation(KEY, "responses", "conv_1")
        with pytest.raises(StoreError) as refused:
            SqliteStore(db, exclusive=True)
        message = str(refused.value)
        assert f"OILFX_DB={db}" in message and "REDIS_URL" in message and f"pid {os.getpid()}" in message
        reader = SqliteStore(db)  # store stats, feedback, ask
        try:
            assert reader.get_conversation(KEY, "responses") == "conv_1"
        finally:
            reader.close()
    finally:
        owner.close()
    again = SqliteStore(db, exclusive=True)  # closed: the lock went with it
    assert again.get_conversation(KEY, "responses") == "conv_1"
    again.close()


def test_the_lock_of_a_process_killed_9_is_gone_at_once(tmp_path: Path):
    db = str(tmp_path / "oilfx.db")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom oilfx.store.sqlite import SqliteStore\n"
         "SqliteStore(sys.argv[1], exclusive=True)\nprint('ready', flush=True)\ntime.sleep(60)", db],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError, match=f"pid {holder.pid}"):
            SqliteStore(db, exclusive=True)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    SqliteStore(db, exclusive=True).close()  # the kernel dropped the flock with the process


@pytest.mark.parametrize("remove", ["file", "directory"])
def test_a_deleted_database_is_noticed_logged_once_and_refused(tmp_path: Path, caplog, remove: str):
    folder = tmp_path / "state"
    db = str(folder / "oilfx.db")
    store = SqliteStore(db, exclusive=True)
    try:
        store.set_conversation(KEY, "responses", "conv_1")
        if remove == "file":
            for suffix in ("", "-wal", "-shm"):
                Path(db + suffix).unlink(missing_ok=True)
        else:
            shutil.rmtree(folder)
        with caplog.at_level(logging.ERROR, logger="oilfx.store"):
            for _ in range(3):  # reads and writes alike, for good
                with pytest.raises(StoreError, match=f"OILFX_DB={db} was deleted") as gone:
                    store.claim_event("Ev1", 60)
                with pytest.raises(StoreError):
                    store.get_conversation(KEY, "responses")
        assert "restart oilfx" in str(gone.value)
        assert "deleted while oilfx was running" in str(getattr(gone.value, "for_users", ""))
        errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1 and db in errors[0]
        assert ("with its directory" in errors[0]) == (remove == "directory")
    finally:
        store.close()


def test_a_database_replaced_by_another_file_is_refused(tmp_path: Path):
    db = str(tmp_path / "oilfx.db")
    store = SqliteStore(db, exclusive=True)
    try:
        os.remove(db)
        SqliteStore(db).close()  # e.g. a CLI reader created a new, empty file at the path
        with pytest.raises(StoreError, match="was replaced by another file"):
            store.set_meta("k", "v")
    finally:
        store.close()


def test_a_deleted_lock_file_is_taken_again_or_the_store_refuses_if_another_process_took_it(tmp_path: Path):
    db = str(tmp_path / "oilfx.db")
    store = SqliteStore(db, exclusive=True)
    try:
        os.remove(db + ".lock")
        store.set_meta("k", "v")  # nobody else took it: locked again
        assert Path(db + ".lock").read_text().strip() == str(os.getpid())
        with pytest.raises(StoreError, match="another oilfx process"):
            SqliteStore(db, exclusive=True)
        os.remove(db + ".lock")
        second = SqliteStore(db, exclusive=True)  # a second bot started in the gap
        try:
            with pytest.raises(StoreError, match="opened by another process"):
                store.get_meta("k")
            assert second.get_meta("k") == "v"
        finally:
            second.close()
    finally:
        store.close()
