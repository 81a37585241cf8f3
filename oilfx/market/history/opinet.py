"""Opinet's CSV of daily Dubai, Brent and WTI closes (USD/bbl), asked for by date range.

The same download as the quote (oilfx/market/sources/opinet.py: `POST glopcoil_csv.do`, cp949, header
`기간,Dubai,Brent,WTI`, rows `25년02월05일,82.07,82.10,76.93`), with the form's STA_/END_ fields set to the range.
Columns are found by header name; a dashed or empty cell is a day without that benchmark's price (a Point with
value None), never a reason to drop the row for the other benchmarks.
"""

from __future__ import annotations

from datetime import date

from oilfx.market.errors import SourceError
from oilfx.market.history.daily import clip, parse_close
from oilfx.market.history.series import Point
from oilfx.market.http import declared_charset
from oilfx.market.sources import opinet
from oilfx.market.sources.base import Context

NAME = opinet.NAME


def parse(body: bytes, charset: str | None = None) -> dict[str, list[Point]]:
    """{benchmark: its points, oldest first} for every crude column. SourceError if the CSV is not Opinet's."""
    columns, rows = opinet.read_table(body, charset)
    series: dict[str, list[Point]] = {b: [] for b in columns.values()}
    for day, cells in rows:
        for i, benchmark in columns.items():
            cell = cells[i]
            if cell in opinet.NO_PRICE:
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
