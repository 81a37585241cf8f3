"""The quote cache shared through Redis: N bot processes fetch each market source once per TTL, not N times.

`oilfx:cache:<key>` holds the JSON value with a PX expiry. A cold key is loaded by one caller across all processes:
it takes `oilfx:cache:<key>:lock` (SET NX PX, owner token); the others poll briefly for the value. If the load
fails, the leader leaves the error under `oilfx:cache:<key>:error` for a few seconds, tagged with its token, so
that flight's waiters raise it too instead of all retrying the failing sources at once. Inside one process,
callers of a key share one flight first (MemoryCache with no TTL), so Redis sees one caller per process.
If Redis itself is down the cache steps aside and `load()` runs directly: quotes matter more than sharing.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from oilfx.market.cache import MemoryCache

log = logging.getLogger(__name__)

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RemoteLoadError(RuntimeError):
    """A load failed in another process with an error type we do not rebuild; the message is its text."""


def _describe(error: BaseException, flight: str) -> dict[str, Any]:
    from oilfx.market.errors import MarketUnavailable, SourceError

    record: dict[str, Any] = {"flight": flight, "type": type(error).__name__, "message": str(error)}
    if isinstance(error, MarketUnavailable):
        record.update(type="MarketUnavailable", what=error.what, failures=error.failures)
    elif isinstance(error, SourceError):
        record.update(type="SourceError", reason=error.reason)
    return record


def _rebuild(record: dict[str, Any]) -> Exception:
    """The market's own error types come back as themselves (callers catch them); anything else as RemoteLoadError."""
    from oilfx.market.errors import MarketUnavailable, SourceError

    if record["type"] == "MarketUnavailable":
        error: Exception = MarketUnavailable(record["what"], [tuple(f) for f in record["failures"]])
        error.args = (record["message"],)
        return error
    if record["type"] == "SourceError":
        return SourceError(record["reason"])
    return RemoteLoadError(f"{record['type']}: {record['message']}")


class RedisQuoteCache:
    """QuoteCache (see oilfx.market.cache) shared by every process using the same Redis."""

    def __init__(self, client: Redis, *, prefix: str = "oilfx:cache:", lock_ttl: float = 30.0,
                 wait_timeout: float = 35.0, error_ttl: float = 5.0) -> None:
        self._client = client
        self._prefix = prefix
        self._lock_ttl_ms = max(1, int(lock_ttl * 1000))
        self._wait_timeout = wait_timeout
        self._error_ttl_ms = max(1, int(error_ttl * 1000))
        self._local = MemoryCache()
        self._release = client.register_script(_RELEASE)

    def get_or_load(self, key: str, ttl: float, load: Callable[[], dict]) -> dict:
        # ttl 0: the local MemoryCache only provides the in-process single flight; Redis holds the value.
        return self._local.get_or_load(key, 0, lambda: self._shared(key, ttl, load))

    def _shared(self, key: str, ttl: float, load: Callable[[], dict]) -> dict:
        value_key = self._prefix + key
        lock_key, error_key = value_key + ":lock", value_key + ":error"
        try:
            cached = self._client.get(value_key)
        except RedisError as e:
            log.warning("quote cache: Redis unavailable (%s); loading %s without it", type(e).__name__, key)
            return load()
        if cached is not None:
            return json.loads(cached)
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self._wait_timeout
        try:
            while time.monotonic() < deadline:
                if self._client.set(lock_key, token, nx=True, px=self._lock_ttl_ms):
                    return self._lead(key, ttl, load, token)
                owner = self._client.get(lock_key)
                delay = 0.005
                while owner is not None and time.monotonic() < deadline:
                    time.sleep(delay)
                    delay = min(delay * 1.5, 0.05)
                    with self._client.pipeline(transaction=True) as pipe:
                        cached, error, current = pipe.get(value_key).get(error_key).get(lock_key).execute()
                    if cached is not None:
                        return json.loads(cached)
                    if error is not None and json.loads(error)["flight"] == owner:
                        raise _rebuild(json.loads(error))
                    owner = current  # a new owner if the last one died and another process took over
                # The lock is gone with no value and no error for us (its owner died): try to lead.
        except RedisError as e:
            log.warning("quote cache: Redis failed (%s); loading %s without it", type(e).__name__, key)
            return load()
        log.warning("quote cache: waited %.0f s for another process to load %s; loading it here",
                    self._wait_timeout, key)
        return load()

    def _lead(self, key: str, ttl: float, load: Callable[[], dict], token: str) -> dict:
        value_key = self._prefix + key
        lock_key = value_key + ":lock"
        try:
            cached = self._client.get(value_key)  # filled between our first look and taking the lock
            if cached is not None:
                return json.loads(cached)
            try:
                value = load()
            except Exception as e:
                self._put(value_key + ":error", json.dumps(_describe(e, token)), self._error_ttl_ms)
                raise
            if ttl > 0:
                self._put(value_key, json.dumps(value), max(1, int(ttl * 1000)))
            return value
        finally:
            try:
                self._release(keys=[lock_key], args=[token])
            except RedisError as e:
                log.warning("quote cache: could not release %s (%s); it expires by itself", lock_key,
                            type(e).__name__)

    def _put(self, name: str, value: str, px: int) -> None:
        # After load() ran, a Redis failure must not lose its result or mask its error.
        try:
            self._client.set(name, value, px=px)
        except RedisError as e:
            log.warning("quote cache: could not store %s (%s)", name, type(e).__name__)
