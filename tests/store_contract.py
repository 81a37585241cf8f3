"""The Store contract's fixtures, shared by the test modules that run it against both backends (test_store.py,
test_store_events.py, test_store_queue.py): SQLite on a temp file and a real redis-server.

"Two processes" are two store instances with their own connections (SQLite: same file; Redis: same server).
"""

from __future__ import annotations

import time

import pytest

from oilfx.config import Settings
from oilfx.store import open_store
from oilfx.store.base import ThreadKey

KEY = ThreadKey("T024BE7LD", "C0123456789", "1700000000.000100")


@pytest.fixture(params=["sqlite", "redis"])
def open_instance(request, tmp_path):
    """Returns a factory: each call opens another instance of the same store (a restart, or another process)."""
    opened = []
    if request.param == "sqlite":
        settings = Settings(db_path=str(tmp_path / "oilfx.db"))
    else:
        settings = Settings(redis_url=request.getfixturevalue("redis_url"))

    def factory():
        store = open_store(settings)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(open_instance):
    return open_instance()


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


# --- AlertBook (test_store_alerts.py) ---------------------------------------------------------------------------
TEAM, OTHER_TEAM = "T024BE7LD", "T0OTHER00"
CHANNEL = "C0123456789"
USER = "U061F7AUR"


def brent_above(threshold: str):
    """A rule as the command would parse it (`/oilprice alert Brent > 80`)."""
    from decimal import Decimal

    from oilfx.market.history.series import Unit
    from oilfx.market.rule import Direction, Rule

    return Rule("Brent", Unit.USD, Direction.ABOVE, Decimal(threshold))
