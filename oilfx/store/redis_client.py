"""The Redis store's client: connecting (with reconnects), and errors that leave it as StoreError without the
URL's password."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from oilfx.store import StoreError

T = TypeVar("T")


def connect(url: str, *, retries: int = 6) -> Redis:
    """A client that reconnects on its own (Redis restarted, connection dropped) with a short backoff."""
    return Redis.from_url(
        url,
        decode_responses=True,
        health_check_interval=10,
        socket_connect_timeout=2.0,
        socket_timeout=5.0,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )


class Scrubber:
    """Error text without the password of the URL the client was opened with."""

    def __init__(self, url: str) -> None:
        self._password = password(url)

    def __call__(self, error: BaseException) -> str:
        text = f"{type(error).__name__}: {error}"
        return text.replace(self._password, "[redacted]") if self._password else text


def wrap_errors(method: Callable[..., T]) -> Callable[..., T]:
    """Redis failures leave the store as StoreError (callers need not know redis-py), without the URL's password."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except RedisError as e:
            raise StoreError(f"Redis at REDIS_URL={self.safe_url} failed: {self._scrub(e)}") from e

    return wrapper


def password(url: str) -> str | None:
    try:
        found = urlsplit(url).password
    except ValueError:
        return None
    return unquote(found) if found else None
