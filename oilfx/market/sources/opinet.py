"""Opinet international crude (KNOC's petroleum information site, no key): a CSV of daily Dubai, Brent and WTI.

`POST <opinet_url>` (glopcoil_csv.do) with the download form -> cp949 CSV, header `기간,Dubai,Brent,WTI`, one row
per trading day: `25년02월05일,82.07,82.10,76.93` (USD/bbl, dated in KST). Known from others' 2025-2026 code only;
no saved response exists, so the parser reads columns by their header name and rows by their date, never by
position, and an empty or dashed cell means "no price that day".
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Collection
from datetime import date, datetime, timedelta
from decimal import Decimal

from oilfx.market.errors import SourceError
from oilfx.market.http import declared_charset, decode
from oilfx.market.quote import BENCHMARKS, KST, OilPrice, canonical_benchmark
from oilfx.market.sources.base import Context, OilResult, check_oil_price, parse_decimal

NAME = "Opinet"
SETTING = "OILFX_OPINET_URL"
# Two weeks back covers the longest run of days without a Dubai quote (Seollal/Chuseok plus a weekend) with room.
LOOKBACK_DAYS = 14
_ROW_DATE = re.compile(r"^\s*(\d{2}|\d{4})\s*년\s*(\d{1,2})\s*월\s*(\d{1,2})\s*일")
NO_PRICE = {"", "-", "--", "—", "–", "0", "0.00"}  # cells of a day without that benchmark's price
# What glopcoil_csv.do is sent. SEL_DIV/OILSRTCD values are copied from others' code (div_dar = daily; 001..003 the
# three crudes, sent as repeated fields the way an HTML form's checkboxes are); the columns are read by header, so
# a different column set still parses.
_FORM_FIXED = [("TERM", "D"), ("SEL_DIV", "div_dar"), ("OILSRTCD", "001"), ("OILSRTCD", "002"), ("OILSRTCD", "003")]


def form(now: datetime) -> list[tuple[str, str]]:
    """The download form for the last LOOKBACK_DAYS days up to today in KST."""
    end = now.astimezone(KST).date()
    return range_form(end - timedelta(days=LOOKBACK_DAYS), end)


def range_form(start: date, end: date) -> list[tuple[str, str]]:
    """The download form for the days from `start` to `end` (the history asks for whole periods)."""
    fields = list(_FORM_FIXED)
    for prefix, day in (("STA", start), ("END", end)):
        fields += [(f"{prefix}_Y", f"{day.year:04d}"), (f"{prefix}_M", f"{day.month:02d}"),
                   (f"{prefix}_D", f"{day.day:02d}")]
    return fields


def parse_row_date(text: str) -> date | None:
    """'25년02월05일' -> 2025-02-05 (two-digit years are 20xx: the series starts in 1996, printed as 96년 only in
    downloads nobody here asks for); None for anything else."""
    match = _ROW_DATE.match(text)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if year < 100:
        year += 2000 if year < 90 else 1900
    try:
        return date(year, month, day)
    except ValueError:
        return None


def csv_text(body: bytes, charset: str | None) -> str:
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    return decode(body, charset or "cp949")


def read_table(body: bytes, charset: str | None = None) -> tuple[dict[int, str], list[tuple[date, list[str]]]]:
    """The CSV's crude columns ({index: benchmark}, found by header name) and its dated rows; SourceError if the
    body is not Opinet's CSV. The quote and the history (market/history/opinet.py) read the same download."""
    text = csv_text(body, charset)  # BOM, else the declared charset, else cp949
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
    dated: list[tuple[date, list[str]]] = []
    for row in rows[1:]:
        day = parse_row_date(row[0])
        if day is None:
            raise SourceError(f"Opinet CSV layout changed: bad date {row[0].strip()[:20]!r}")
        dated.append((day, [row[i].strip() if i < len(row) else "" for i in range(len(rows[0]))]))
    return columns, dated


def parse(body: bytes, charset: str | None = None) -> dict[str, tuple[date, Decimal]]:
    """{benchmark: (latest date with a price, USD/bbl)} for every column that has one. SourceError otherwise."""
    columns, rows = read_table(body, charset)
    latest: dict[str, tuple[date, Decimal]] = {}
    for day, cells in rows:
        for i, benchmark in columns.items():
            cell = cells[i]
            if cell in NO_PRICE:
                continue
            try:
                usd = parse_decimal(cell)
            except ValueError as e:
                raise SourceError(f"Opinet CSV layout changed: {benchmark} {e}") from None
            if benchmark not in latest or day > latest[benchmark][0]:
                latest[benchmark] = (day, usd)
    if not latest:
        raise SourceError(f"Opinet CSV has no prices in the last {LOOKBACK_DAYS} days")
    return latest


def fetch(ctx: Context, wanted: Collection[str]) -> OilResult:
    response = ctx.http.post(ctx.settings.opinet_url, form(ctx.now), setting=SETTING)
    latest = parse(response.content, declared_charset(response))
    prices = {b: OilPrice(b, check_oil_price(b, latest[b][1]), latest[b][0], NAME)
              for b in BENCHMARKS if b in wanted and b in latest}
    reasons = {b: f"no {b} price in Opinet's last {LOOKBACK_DAYS} days" for b in wanted if b not in prices}
    if not prices:
        raise SourceError("; ".join(reasons.values()) or "no benchmarks requested")
    return OilResult(prices, reasons)
