"""FRED CSV (no key): `<fred_url>?id=DCOILWTICO` (WTI) / `DCOILBRENTEU` (Brent); "." marks a missing day.

FRED's series are spot prices (Cushing WTI, Europe Brent), published with a lag of a few days; FRED has no Dubai.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from datetime import date
from decimal import Decimal

from oilfx.market.errors import SourceError
from oilfx.market.http import decode
from oilfx.market.quote import OilPrice
from oilfx.market.sources.base import Context, OilResult, check_oil_price, fetch_each, parse_decimal

NAME = "FRED"
SERIES = {"WTI": "DCOILWTICO", "Brent": "DCOILBRENTEU"}


def series_url(fred_url: str, benchmark: str) -> str:
    return f"{fred_url}?id={SERIES[benchmark]}"


def parse(body: bytes) -> tuple[date, Decimal]:
    """The latest (date, value) with a value; "." rows are skipped. SourceError if there is none."""
    try:
        rows = list(csv.reader(io.StringIO(decode(body, "utf-8"), newline="")))
    except csv.Error as e:  # e.g. a NUL byte or a stray CR in a truncated or corrupted response (found by fuzzing)
        raise SourceError(f"FRED CSV unreadable: {e}") from None
    if not rows or len(rows[0]) < 2 or "date" not in rows[0][0].lower():
        raise SourceError("FRED CSV layout changed: no date,value header")
    for row in reversed(rows[1:]):
        if len(row) < 2 or row[1].strip() in {"", "."}:
            continue
        try:
            return date.fromisoformat(row[0].strip()), parse_decimal(row[1])
        except ValueError as e:
            raise SourceError(f"FRED CSV layout changed: {e}") from None
    raise SourceError("no values in FRED series")


def fetch(ctx: Context, wanted: Collection[str]) -> OilResult:
    def one(benchmark: str) -> OilPrice:
        day, usd = parse(ctx.http.get(series_url(ctx.settings.fred_url, benchmark), setting="OILFX_FRED_URL").content)
        return OilPrice(benchmark, check_oil_price(benchmark, usd), day, NAME)

    return fetch_each(wanted, one, {b: "FRED has no Dubai series" for b in wanted if b not in SERIES})
