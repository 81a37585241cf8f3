"""The SQLite store's file, watched: one bot process per file, and a file deleted under a running bot is noticed.

- `OwnerLock`: an exclusive `flock` on `<db>.lock`, held for the bot's life. Per-thread turns are coordinated in
  memory, so a second bot on the same file would answer out of order and race the first one's conversations. The
  kernel drops the lock when its process dies (also on kill -9), so a restart never finds a stale lock.
- `FileWatch`: SQLite keeps writing to a database file that was deleted (or its directory) through its open
  descriptor, and everything written is gone at the next start. One stat() per store operation compares the path
  with the file opened; a mismatch makes the store refuse every later operation (StoreGone), for good.
- `run_schema`: a schema's statements, one by one inside the caller's transaction.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import sqlite3

from oilfx.i18n import lazy
from oilfx.store import StoreError

log = logging.getLogger(__name__)

_GONE = (errno.ENOENT, errno.ENOTDIR)


class StoreGone(StoreError):
    """The database file is not at its path any more; what is written now would be lost. Restart to recover."""

    # For users, where the answer would have gone, in their language (the operator's log names the file).
    for_users = lazy("its database file was deleted while oilfx was running, so nothing can be saved; "
                     "an operator needs to restart oilfx")


class StoreBusy(StoreError):
    """Another process holds the file's owner lock (a running bot, or `store migrate`)."""


def _identity(st: os.stat_result) -> tuple[int, int]:
    return st.st_dev, st.st_ino


class OwnerLock:
    """The bot's claim on one SQLite file. Readers (`store stats`, `feedback`, `ask`) do not take it."""

    def __init__(self, db_path: str) -> None:
        self.path = db_path + ".lock"
        self.db_path = db_path
        self._fd = self._take()

    def _take(self) -> int:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise StoreBusy(
                f"another oilfx process{who} is using the SQLite store OILFX_DB={self.db_path} (it holds "
                f"{self.path}); SQLite is for one bot process: stop the other one, or give each its own OILFX_DB, "
                "or set REDIS_URL to run several processes on one store") from None
        except OSError:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)  # for the message above, and for operators
        return fd

    def still_ours(self) -> bool:
        """True while `<db>.lock` is the file we locked. If it was deleted, lock a new one (another process
        may have started meanwhile: then False)."""
        try:
            if _identity(os.stat(self.path)) == _identity(os.fstat(self._fd)):
                return True
        except OSError as e:
            if e.errno not in _GONE:
                return True  # e.g. a permission change: not evidence of a second process
        try:
            fd = self._take()
        except (StoreBusy, OSError):
            return False
        os.close(self._fd)
        self._fd = fd
        log.warning("%s was deleted while oilfx was running; locked a new one", self.path)
        return True

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # the kernel drops the flock with the last descriptor
            self._fd = -1


class FileWatch:
    """Compares the database path with the file SQLite opened (and keeps the owner lock, if any, ours)."""

    def __init__(self, db_path: str, lock: OwnerLock | None) -> None:
        self.path = db_path
        self.lock = lock
        self._identity = _identity(os.stat(db_path))
        self.gone: str | None = None  # once set, the store refuses everything until restarted

    def check(self) -> None:
        if self.gone is None:
            self.gone = self._problem()
            if self.gone is not None:
                log.error("the SQLite store OILFX_DB=%s %s while oilfx was running: refusing every store operation "
                          "until oilfx is restarted (what was written since is lost; a restart starts a new store "
                          "unless the file is restored first)", self.path, self.gone)
        if self.gone is not None:
            raise StoreGone(f"the SQLite store OILFX_DB={self.path} {self.gone} while oilfx was running; "
                            "restart oilfx")

    def _problem(self) -> str | None:
        try:
            if _identity(os.stat(self.path)) != self._identity:
                return "was replaced by another file"
        except OSError as e:
            if e.errno in _GONE:
                return "was deleted" if os.path.isdir(os.path.dirname(self.path) or ".") else \
                    "was deleted with its directory"
            return None  # unreadable path (permissions): SQLite still has the file open, nothing is lost
        if self.lock is not None and not self.lock.still_ours():
            return f"was opened by another process after {self.lock.path} was deleted"
        return None


def run_schema(db: sqlite3.Connection, schema: str) -> None:
    """Each `;`-separated statement of `schema`: statement by statement, as executescript() would COMMIT the
    caller's transaction half-way."""
    for statement in filter(str.strip, schema.split(";")):
        db.execute(statement)
