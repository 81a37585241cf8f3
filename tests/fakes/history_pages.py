"""The market pages' history routes, for tests/fakes/pages.py: Naver's paged daily quotes (oil and USD/KRW),
Frankfurter's time series, and (opted into with `serve_history`) Opinet's CSV over a range and FRED's real CSVs.

Files are in tests/fixtures/pages/history/ (what each models: the README there and build.py). The paged Naver
routes and Frankfurter's series are always on, answered by `history_route` when no fixed route matches:

    worldDailyQuote.naver?marketindexCd=OIL_CL&fdtc=2&page=N   pages 1..4 (10 rows each, newest first), then empty
    exchangeDailyQuote.naver?marketindexCd=FX_USDKRW&page=N    pages 1..6, then empty
    /frankfurter/v1/2026-01-01..2026-03-09?from=USD&to=KRW     the ECB days in the range, start_date moved back to
                                                               the last ECB day on or before the range's first

`serve_history(server)` points Opinet's download at the history CSV (2025-11-03..2026-03-09; the quote tests keep
the seed's 2023 CSV) and FRED at the real copies in ../shared/real_pages/ (2020-01-02..2026-03-09), read now.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.fakes.pages import PagesServer

HISTORY = Path(__file__).resolve().parent.parent / "fixtures" / "pages" / "history"
REAL_PAGES = Path(__file__).resolve().parents[2].parent / "shared" / "real_pages"
FRED_REAL = {"WTI": REAL_PAGES / "fred_DCOILWTICO_2026-03-09.csv",
             "Brent": REAL_PAGES / "fred_DCOILBRENTEU_2026-03-09.csv"}
EMPTY_PAGE = Path(__file__).resolve().parent.parent / "fixtures" / "pages" / "naver_world_empty.html"
OPINET_HISTORY = "history/opinet_history.csv"    # a fixture name for PagesServer.set
HISTORY_END = date(2026, 3, 9)                   # the last day every history fixture covers
JSON_TYPE = "application/json;charset=UTF-8"

_NAVER_PAGE = re.compile(r"^/naver/marketindex/(worldDailyQuote|exchangeDailyQuote)\.naver\?marketindexCd=(\w+)"
                         r"(?:&fdtc=2)?&page=(\d+)$")
_FRANKFURTER = re.compile(r"^/frankfurter/v1/(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})?\?from=USD&to=KRW$")


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str


def naver_page_target(kind: str, code: str, page: int) -> str:
    """The request target of one paged Naver page (kind "world" or "fx")."""
    if kind == "world":
        return f"/naver/marketindex/worldDailyQuote.naver?marketindexCd={code}&fdtc=2&page={page}"
    return f"/naver/marketindex/exchangeDailyQuote.naver?marketindexCd={code}&page={page}"


def frankfurter_target(start: date, end: date) -> str:
    return f"/frankfurter/v1/{start.isoformat()}..{end.isoformat()}?from=USD&to=KRW"


def frankfurter_rates() -> dict[date, Decimal]:
    doc = json.loads((HISTORY / "frankfurter_usdkrw_series.json").read_text(), parse_float=Decimal)
    return {date.fromisoformat(day): v["KRW"] for day, v in doc.items()}


def history_route(target: str) -> Answer | None:
    """The answer for a history request no fixed route matched, or None (the server then answers 404)."""
    if match := _NAVER_PAGE.match(target):
        kind, code, page = match.groups()
        name = f"naver_world_{code}_p{page}.html" if kind == "worldDailyQuote" else f"naver_fx_p{page}.html"
        if code not in ({"OIL_CL", "OIL_BRT", "OIL_DU"} if kind == "worldDailyQuote" else {"FX_USDKRW"}):
            return None
        # past the last page: the table without rows
        body = (HISTORY / name).read_bytes() if (HISTORY / name).exists() else EMPTY_PAGE.read_bytes()
        return Answer(200, body, "text/html")
    if match := _FRANKFURTER.match(target):
        return _frankfurter(date.fromisoformat(match.group(1)),
                            date.fromisoformat(match.group(2)) if match.group(2) else HISTORY_END)
    return None


def _frankfurter(start: date, end: date) -> Answer:
    rates = frankfurter_rates()
    earlier = [d for d in rates if d <= start]
    first = max(earlier) if earlier else start
    days = sorted(d for d in rates if first <= d <= end)
    if not days or start > end:
        return Answer(404, b'{"message":"not found"}', JSON_TYPE)
    doc = {"amount": 1.0, "base": "USD", "start_date": days[0].isoformat(), "end_date": days[-1].isoformat(),
           "rates": {d.isoformat(): {"KRW": float(rates[d])} for d in days}}
    return Answer(200, json.dumps(doc, separators=(",", ":")).encode(), JSON_TYPE)


def serve_history(server: PagesServer) -> PagesServer:
    """Opinet's download answers the 2025-11..2026-03 history CSV; FRED answers its real copies."""
    from tests.fakes.pages import FRED_BRENT, FRED_WTI, OPINET_PATH

    server.set(OPINET_PATH, fixture=OPINET_HISTORY)
    server.set(FRED_WTI, body=FRED_REAL["WTI"].read_bytes(), content_type="text/csv")
    server.set(FRED_BRENT, body=FRED_REAL["Brent"].read_bytes(), content_type="text/csv")
    return server
