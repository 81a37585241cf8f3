"""FRED's daily WTI (DCOILWTICO) and Brent (DCOILBRENTEU) series as history: the whole CSV, clipped to a range.

`<fred_url>?id=DCOILWTICO` answers every observation since the series began (the saved copies in
../shared/real_pages/ hold 2020-01-02..2026-03-09): header `observation_date,<SERIES>` (`DATE,<SERIES>` before
2024-12), one row per weekday; a day without a price (a US holiday) is an empty cell, "." in older files, and
becomes a Point whose value is None. FRED has no Dubai series.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from oilfx.market.errors import SourceError
from oilfx.market.history.daily import clip, parse_close
from oilfx.market.history.series import Point
from oilfx.market.http import decode
from oilfx.market.sources import fred
from oilfx.market.sources.base import Context

NAME = fred.NAME
_MISSING = {"", "."}


def parse(body: bytes, benchmark: str = "FRED") -> list[Point]:
    """Every row of a FRED CSV, oldest first. SourceError naming what is wrong if it is not one."""
    try:
        rows = [row for row in csv.reader(io.StringIO(decode(body, "utf-8"), newline="")) if row]
    except csv.Error as e:  # a NUL byte or a stray CR in a truncated response
        raise SourceError(f"FRED CSV unreadable: {e}") from None
    if not rows or len(rows[0]) < 2 or rows[0][0].strip().lower() not in {"observation_date", "date"}:
        raise SourceError("FRED CSV layout changed: no observation_date,value header")
    points = []
    for row in rows[1:]:
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            raise SourceError(f"FRED CSV layout changed: bad date {row[0].strip()[:20]!r}") from None
        cell = row[1].strip() if len(row) > 1 else ""
        points.append(Point(day, None if cell in _MISSING else parse_close(benchmark, cell)))
    return sorted(points, key=lambda p: p.day)


def fetch(ctx: Context, benchmark: str, start: date, end: date) -> list[Point]:
    if benchmark not in fred.SERIES:
        raise SourceError(f"FRED has no {benchmark} series")
    response = ctx.http.get(fred.series_url(ctx.settings.fred_url, benchmark), setting="OILFX_FRED_URL")
    return clip(parse(response.content, benchmark), start, end)
