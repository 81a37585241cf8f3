"""TTL cache with single-flight: concurrent callers of a cold key share one load."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class QuoteCache(Protocol):
    def get_or_load(self, key: str, ttl: float, load: Callable[[], dict]) -> dict:
        """A fresh cached value, or the result of exactly one concurrent `load()` for `key`.

        If `load` raises, every caller waiting on that flight gets the exception and nothing is cached.
        Values are JSON-serialisable dicts so other backends (Redis) can store them.
        """
        ...


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: dict | None = None
        self.error: BaseException | None = None


class MemoryCache:
    """In-process QuoteCache, the default. `clock` is monotonic seconds (injectable for tests)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._values: dict[str, tuple[float, dict]] = {}
        self._flights: dict[str, _Flight] = {}

    def get_or_load(self, key: str, ttl: float, load: Callable[[], dict]) -> dict:
        with self._lock:
            entry = self._values.get(key)
            if entry is not None and entry[0] > self._clock():
                return entry[1]
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = self._flights[key] = _Flight()
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.value
        try:
            value = load()
        except BaseException as e:
            flight.error = e
            raise
        else:
            flight.value = value
            if ttl > 0:
                with self._lock:
                    self._values[key] = (self._clock() + ttl, value)
            return value
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
