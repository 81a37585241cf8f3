"""Shared by the CLI commands: the store, the reader's language, and columns that line up with Hangul in them."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

from oilfx.config import Settings
from oilfx.i18n import Texts, texts
from oilfx.i18n.formats import display_width, ljust, rjust
from oilfx.store import StoreError, open_store
from oilfx.store.base import Store

T = TypeVar("T")


def cli_texts(settings: Settings) -> Texts:
    """The language a command writes in: `--lang`, else OILFX_LANG (__main__ puts either into settings.lang)."""
    return texts(settings.lang)


def read_store(settings: Settings, read: Callable[[Store], T]) -> T | None:
    """Open the configured store, run `read` on it and close it. On a store failure, print it and return None."""
    tx = cli_texts(settings)
    try:
        store = open_store(settings)
    except StoreError as e:
        print(tx.t("oilfx: store unavailable: {error}", error=e), file=sys.stderr)
        return None
    try:
        return read(store)
    except StoreError as e:
        print(tx.t("oilfx: store unavailable: {error}", error=e), file=sys.stderr)
        return None
    finally:
        store.close()


def table(rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    """Rows as lines of columns two spaces apart, padded by display width (so 두바이유 lines up under WTI);
    the columns in `right` right-aligned (amounts), the others left."""
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(rjust(cell, w) if i in right else ljust(cell, w)
                      for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip() for row in rows]


def columns(header: str) -> list[str]:
    """A table's column headers from one catalog entry (`Date|Value|...`): the translator sees them together."""
    return [cell.strip() for cell in header.split("|")]
