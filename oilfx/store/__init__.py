"""The store: Slack thread -> conversation mapping, event dedupe, per-thread turns, small state, quote cache.

`open_store(settings)` picks the backend: Redis when REDIS_URL is set (several bot processes), else SQLite
(OILFX_DB, one process). Both implement `oilfx.store.base.Store`, the composition of one small interface per
capability (conversations, events, queue, records, history, feedback), plus `quote_cache()`, `stats()` and the
export methods `store migrate` uses. Renewals (event leases, Redis queue entries and turn locks) run on the
process's one heartbeat thread (heartbeat.py); leases.py knows which events this process owns.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from oilfx.config import Settings
    from oilfx.store.base import Store


class StoreError(Exception):
    """The store cannot be opened or used; the message says which setting to check. Never contains a password."""


def safe_redis_url(url: str) -> str:
    """`redis://host:port/db` without user or password, for messages and logs."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "localhost"
        port = parts.port or 6379
    except ValueError:
        return "(unparseable URL)"
    db = parts.path.lstrip("/") or "0"
    return f"{parts.scheme or 'redis'}://{host}:{port}/{db}"


def turn_order(order: str) -> Decimal:
    """A Slack ts ("1700000000.000100") as a number: "9.5" < "10.1", which string comparison gets wrong."""
    try:
        value = Decimal(order)
    except (InvalidOperation, TypeError):
        raise ValueError(f"turn order must be a Slack ts like '1700000000.000100', got {order!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"turn order must be a non-negative Slack ts, got {order!r}")
    return value


def open_store(settings: Settings, *, exclusive: bool = False) -> Store:
    """Redis when settings.redis_url is set (turn locks expire after settings.lock_ttl when their process dies), else
    SQLite at settings.db_path. Raises StoreError if unusable. `exclusive` (the bot): SQLite refuses a second
    process (a lock file beside it); readers such as `store stats` open it without."""
    if settings.redis_url:
        from oilfx.store.redis import RedisStore

        return RedisStore(settings.redis_url, lock_ttl=settings.lock_ttl)
    from oilfx.store.sqlite import SqliteStore

    return SqliteStore(settings.db_path, exclusive=exclusive)


__all__ = ["StoreError", "open_store", "safe_redis_url", "turn_order"]
