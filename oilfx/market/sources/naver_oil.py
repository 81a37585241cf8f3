"""Naver world oil daily quotes: `<naver_url>worldDailyQuote.naver?marketindexCd=OIL_CL&fdtc=2` (EUC-KR).

A `table.tbl_exchange` of rows, newest first: `td.date` ("2023.11.24"), then `td.num` cells (close, change, ...).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urljoin

from bs4 import BeautifulSoup

from oilfx.market.errors import SourceError
from oilfx.market.http import declared_charset, decode
from oilfx.market.quote import OilPrice
from oilfx.market.sources.base import Context, OilResult, check_oil_price, fetch_each, parse_date, parse_decimal

NAME = "Naver"
CODES = {"WTI": "OIL_CL", "Brent": "OIL_BRT", "Dubai": "OIL_DU"}


@dataclass(frozen=True)
class DailyClose:
    day: date
    close: Decimal


def page_url(naver_url: str, benchmark: str) -> str:
    return urljoin(naver_url, f"worldDailyQuote.naver?marketindexCd={CODES[benchmark]}&fdtc=2")


def parse(body: bytes, charset: str | None = None) -> DailyClose:
    """The newest row of the daily quote table. SourceError("empty quote table") when it has no rows."""
    soup = BeautifulSoup(decode(body, charset), "lxml")
    table = soup.find("table", class_="tbl_exchange")
    if table is None:
        raise SourceError("Naver page layout changed: no quote table")
    for row in table.find_all("tr"):
        date_cell = row.find("td", class_="date")
        num_cell = row.find("td", class_="num")
        if date_cell is None or num_cell is None:
            continue  # header or spacer row
        day = parse_date(date_cell.get_text(strip=True))
        if day is None:
            raise SourceError(f"Naver page layout changed: bad date {date_cell.get_text(strip=True)[:20]!r}")
        try:
            return DailyClose(day, parse_decimal(num_cell.get_text(strip=True)))
        except ValueError as e:
            raise SourceError(f"Naver page layout changed: close {e}") from None
    raise SourceError("empty quote table")


def fetch(ctx: Context, wanted: Collection[str]) -> OilResult:
    def one(benchmark: str) -> OilPrice:
        response = ctx.http.get(page_url(ctx.settings.naver_url, benchmark), setting="OILFX_NAVER_URL")
        row = parse(response.content, declared_charset(response))
        return OilPrice(benchmark, check_oil_price(benchmark, row.close), row.day, NAME)

    return fetch_each(wanted, one)
