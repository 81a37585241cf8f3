"""Opinet's CSV of daily Dubai, Brent and WTI closes (USD/bbl), asked for by date range.

The same download as the quote (oilfx/market/sources/opinet.py: `POST glopcoil_csv.do`, cp949, header
`기간,Dubai,Brent,WTI`, rows `25년02월05일,82.07,82.10,76.93`), with the form's STA_/END_ fields set to the range.
Columns are found by header name; a dashed or empty cell is a day without that benchmark's price (a Point with
value None), never a reason to drop the row for the other benchmarks.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from oilfx.market.errors import SourceError
from oilfx.market.history.daily import clip, parse_close
from oilfx.market.history.series import Point
from oilfx.market.http import declared_charset
from oilfx.market.quote import canonical_benchmark
from oilfx.market.sources import opinet
from oilfx.market.sources.base import Context

NAME = opinet.NAME
_NO_PRICE = {"", "-", "--", "—", "–", "0", "0.00"}


def parse(body: bytes, charset: str | None = None) -> dict[str, list[Point]]:
    """{benchmark: its points, oldest first} for every crude column. SourceError if the CSV is not Opinet's."""
    text = opinet.csv_text(body, charset)  # BOM, else the declared charset, else cp949
    if text.lstrip()[:1] == "<":
        raise SourceError("Opinet answered an HTML page, not the CSV (form refused or site changed)")
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline="")) if any(cell.strip() for cell in row)]
    except csv.Error as e:
        raise SourceError(f"Opinet CSV unreadable: {e}") from None
    if not rows or rows[0][0].strip() != "기간":
        raise SourceError("Opinet CSV layout changed: no 기간,Dubai,Brent,WTI header")
    columns: dict[int, str] = {}
    for i, name in enumerate(rows[0][1:], start=1):
        try:
            columns[i] = canonical_benchmark(name)
        except ValueError:
            continue  # a column we do not use
    if not columns:
        raise SourceError(f"Opinet CSV layout changed: no crude columns in {','.join(rows[0])[:60]!r}")
    series: dict[str, list[Point]] = {b: [] for b in columns.values()}
    for row in rows[1:]:
        day = opinet.parse_row_date(row[0])
        if day is None:
            raise SourceError(f"Opinet CSV layout changed: bad date {row[0].strip()[:20]!r}")
        for i, benchmark in columns.items():
            cell = row[i].strip() if i < len(row) else ""
            if cell in _NO_PRICE:
                series[benchmark].append(Point(day, None))
                continue
            series[benchmark].append(Point(day, parse_close(benchmark, cell)))
    return {b: sorted(points, key=lambda p: p.day) for b, points in series.items()}


def fetch(ctx: Context, benchmark: str, start: date, end: date) -> list[Point]:
    response = ctx.http.post(ctx.settings.opinet_url, opinet.range_form(start, end), setting=opinet.SETTING)
    series = parse(response.content, declared_charset(response))
    if benchmark not in series:
        raise SourceError(f"Opinet CSV has no {benchmark} column")
    return clip(series[benchmark], start, end)
