"""Frankfurter's time series of ECB reference rates as USD/KRW history.

`GET <base>/v1/2026-01-01..2026-03-31?from=USD&to=KRW`, where <base>/v1/ is where OILFX_FRANKFURTER_URL's
`latest` endpoint lives -> `{"amount":1.0,"base":"USD","start_date":"2025-12-31","end_date":"2026-03-31",
"rates":{"2026-01-02":{"KRW":1440.5},...}}`: one entry per TARGET working day (none on weekends, 25-26 December,
1 January, Good Friday, Easter Monday, 1 May), and a start_date moved back to the working day before when the
range starts on a day without a rate. Numbers are read as Decimal, never as binary floats.

Frankfurter has answered long ranges with weekly or monthly averages instead of daily rates (its issue #22: ranges
over a year; later versions sampled from 91 days), and an average is not the rate of any day. So a range is asked
for in windows of at most CHUNK_DAYS, each answered daily, and the windows are joined.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urljoin

from oilfx.market.errors import SourceError
from oilfx.market.history.daily import clip, parse_rate
from oilfx.market.history.series import Point
from oilfx.market.http import decode
from oilfx.market.sources import frankfurter
from oilfx.market.sources.base import Context

NAME = frankfurter.NAME
CHUNK_DAYS = 90


def series_url(frankfurter_url: str, start: date, end: date) -> str:
    return urljoin(frankfurter_url, f"{start.isoformat()}..{end.isoformat()}") + "?from=USD&to=KRW"


def parse(body: bytes) -> list[Point]:
    """The KRW rate of each day in the series, oldest first. SourceError if the JSON is not a time series."""
    try:
        doc = json.loads(decode(body, "utf-8"), parse_float=Decimal)
    except json.JSONDecodeError:
        raise SourceError("Frankfurter: response is not JSON") from None
    try:
        amount = Decimal(str(doc.get("amount", 1)))
        rates = doc["rates"]
        points = [Point(date.fromisoformat(day), parse_rate(str(by_currency["KRW"] / amount)))
                  for day, by_currency in rates.items()]
    except (AttributeError, KeyError, TypeError, ValueError, ArithmeticError):
        raise SourceError("Frankfurter time series changed: no rates by date with KRW") from None
    if doc.get("base", "USD") != "USD" or amount <= 0:
        raise SourceError(f"Frankfurter: unexpected base {doc.get('base')!r} amount {amount}")
    return sorted(points, key=lambda p: p.day)


def windows(start: date, end: date) -> list[tuple[date, date]]:
    """[start, end] cut into consecutive windows of at most CHUNK_DAYS days."""
    out = []
    while start <= end:
        last = min(end, start + timedelta(days=CHUNK_DAYS - 1))
        out.append((start, last))
        start = last + timedelta(days=1)
    return out


def fetch(ctx: Context, start: date, end: date) -> list[Point]:
    points: list[Point] = []
    for first, last in windows(start, end):
        url = series_url(ctx.settings.frankfurter_url, first, last)
        points += parse(ctx.http.get(url, setting="OILFX_FRANKFURTER_URL").content)
    return clip(points, start, end)
