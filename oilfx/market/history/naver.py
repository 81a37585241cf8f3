"""Naver's daily quote pages as history, paged, newest first: world oil closes and the USD/KRW rate.

Oil: `<naver_url>worldDailyQuote.naver?marketindexCd=OIL_CL|OIL_BRT|OIL_DU&fdtc=2&page=N`; USD/KRW:
`<naver_url>exchangeDailyQuote.naver?marketindexCd=FX_USDKRW&page=N` (매매기준율, the bank's base rate). Both are
EUC-KR iframe pages without a charset: a `table.tbl_exchange` whose rows hold `td.date` ("2026.03.09") and then
`td.num` cells, the first being the close (or the base rate). Pages are read from 1 until one reaches back past
the range's first day, comes back empty or repeats the previous page (past the last page), or MAX_PAGES is hit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from urllib.parse import urljoin

from bs4 import BeautifulSoup

from oilfx.market.errors import SourceError
from oilfx.market.history.daily import clip, parse_close, parse_rate
from oilfx.market.history.series import Point
from oilfx.market.http import declared_charset, decode
from oilfx.market.sources.base import Context, parse_date
from oilfx.market.sources.naver_oil import CODES

NAME = "Naver"
SETTING = "OILFX_NAVER_URL"
# About ten rows a page: 40 pages reach back some eight months, enough for 6m. Longer ranges come from Opinet or
# FRED (one request each); Naver says how far back it got instead of sending hundreds of requests.
MAX_PAGES = 40


def oil_page_url(naver_url: str, benchmark: str, page: int) -> str:
    return urljoin(naver_url, f"worldDailyQuote.naver?marketindexCd={CODES[benchmark]}&fdtc=2&page={page}")


def fx_page_url(naver_url: str, page: int) -> str:
    return urljoin(naver_url, f"exchangeDailyQuote.naver?marketindexCd=FX_USDKRW&page={page}")


def parse_page(body: bytes, charset: str | None = None,
               number: Callable[[str], Decimal] = parse_rate) -> list[Point]:
    """The rows of one page as printed, newest first; [] for a table without rows. SourceError if no table.
    `number` reads the first `td.num` (parse_rate for USD/KRW; parse_close for a crude)."""
    soup = BeautifulSoup(decode(body, charset), "lxml")
    table = soup.find("table", class_="tbl_exchange")
    if table is None:
        raise SourceError("Naver page layout changed: no quote table")
    points = []
    for row in table.find_all("tr"):
        date_cell, num_cell = row.find("td", class_="date"), row.find("td", class_="num")
        if date_cell is None or num_cell is None:
            continue  # header or spacer row
        day = parse_date(date_cell.get_text(strip=True))
        if day is None:
            raise SourceError(f"Naver page layout changed: bad date {date_cell.get_text(strip=True)[:20]!r}")
        points.append(Point(day, number(num_cell.get_text(strip=True))))
    return points


def _pages(ctx: Context, url_of: Callable[[int], str], start: date,
           number: Callable[[str], Decimal] = parse_rate) -> list[Point]:
    found: list[Point] = []
    previous: list[Point] | None = None
    for page in range(1, MAX_PAGES + 1):
        response = ctx.http.get(url_of(page), setting=SETTING)
        points = parse_page(response.content, declared_charset(response), number)
        if not points or points == previous:
            return found
        found += points
        if min(p.day for p in points) <= start:
            return found
        previous = points
    oldest = min(p.day for p in found)
    raise SourceError(f"Naver's first {MAX_PAGES} pages reach back only to {oldest.isoformat()}")


def fetch_oil(ctx: Context, benchmark: str, start: date, end: date) -> list[Point]:
    points = _pages(ctx, lambda page: oil_page_url(ctx.settings.naver_url, benchmark, page), start,
                    lambda text: parse_close(benchmark, text))
    return clip(points, start, end)


def fetch_fx(ctx: Context, start: date, end: date) -> list[Point]:
    return clip(_pages(ctx, lambda page: fx_page_url(ctx.settings.naver_url, page), start), start, end)
