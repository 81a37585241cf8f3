"""Shared by the CLI commands that read the store."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

from oilfx.config import Settings
from oilfx.store import StoreError, open_store
from oilfx.store.base import Store

T = TypeVar("T")


def read_store(settings: Settings, read: Callable[[Store], T]) -> T | None:
    """Open the configured store, run `read` on it and close it. On a store failure, print it and return None."""
    try:
        store = open_store(settings)
    except StoreError as e:
        print(f"oilfx: {e}", file=sys.stderr)
        return None
    try:
        return read(store)
    except StoreError as e:
        print(f"oilfx: {e}", file=sys.stderr)
        return None
    finally:
        store.close()
