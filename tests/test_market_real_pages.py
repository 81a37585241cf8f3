"""The parsers on copies of the real pages other people saved (../shared/real_pages, read here at test time, never
copied into the project). Each expected figure is the one ../shared/real_pages/PROVENANCE.md reads off that file."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from oilfx.market.quote import KST
from oilfx.market.sources import frankfurter, fred, naver_fx, naver_mobile

REAL_PAGES = Path(__file__).resolve().parents[1].parent / "shared" / "real_pages"

# file -> what PROVENANCE.md says a parser must read off it
NAVER_FX = {
    "naver_marketindex_2024-10-28_prettified.html":
        ("1383.70", "-6.80", datetime(2024, 10, 28, 18, 1, tzinfo=KST), "하나은행", 601),
    # PROVENANCE gives no bank for 2023; the page prints "하나은행 기준" (line 53 of the file).
    "naver_marketindex_2023-07-12_prettified.html":
        ("1288.40", "-8.60", datetime(2023, 7, 12, 15, 24, tzinfo=KST), "하나은행", 536),
    "naver_marketindex_2018-04-17_prettified.html":
        ("1066.90", "-6.60", datetime(2018, 4, 17, 15, 24, tzinfo=KST), "KEB하나은행", 291),
}
FRED = {
    "fred_DCOILWTICO_2026-03-09.csv": (date(2026, 3, 9), "94.65"),
    "fred_DCOILBRENTEU_2026-03-09.csv": (date(2026, 3, 9), "94.35"),
}
FRANKFURTER = {"frankfurter_v1_latest_base-USD_2025-04-11.json": (date(2025, 4, 11), "1431.68")}
NAVER_MOBILE_LIST = {"naver_mstock_nextdata_exchange_main_2024-06-14_excerpt.json":
                     ("1381.50", datetime(2024, 6, 14, 17, 16, 26, tzinfo=KST))}
COVERED = {*NAVER_FX, *FRED, *FRANKFURTER, *NAVER_MOBILE_LIST}


def real(name: str) -> bytes:
    return (REAL_PAGES / name).read_bytes()


def test_every_saved_page_has_a_test():
    saved = {p.name for p in REAL_PAGES.iterdir() if p.name != "PROVENANCE.md"}
    assert saved, f"no real pages under {REAL_PAGES}"
    assert saved == COVERED, f"untested: {sorted(saved - COVERED)}; gone: {sorted(COVERED - saved)}"


@pytest.mark.parametrize("name", sorted(NAVER_FX))
def test_naver_market_index(name):
    rate, change, as_of, bank, notice_round = NAVER_FX[name]
    quote = naver_fx.parse(real(name))
    assert (quote.rate, quote.change, quote.as_of) == (Decimal(rate), Decimal(change), as_of)
    assert quote.bank == bank and quote.source == f"Naver ({bank})"
    assert quote.notice_round == notice_round


@pytest.mark.parametrize("name", sorted(FRED))
def test_fred_current_format(name):
    day, value = FRED[name]
    assert fred.parse(real(name)) == (day, Decimal(value))


@pytest.mark.parametrize("name", sorted(FRED))
def test_fred_empty_cells_mean_no_value_that_day(name):
    # The 2026 format marks a day without a price by an empty cell (68 such rows in each file): cut the file
    # just after one and the parser must give the last row before it that has a value.
    lines = real(name).decode().splitlines()
    cut = max(i for i, line in enumerate(lines) if line.endswith(","))
    previous = next(line for line in reversed(lines[:cut]) if not line.endswith(","))
    day, value = previous.split(",")
    assert fred.parse("\n".join(lines[:cut + 1]).encode()) == (date.fromisoformat(day), Decimal(value))


@pytest.mark.parametrize("name", sorted(FRANKFURTER))
def test_frankfurter_v1_latest(name):
    day, rate = FRANKFURTER[name]
    parsed_rate, as_of = frankfurter.parse(real(name))
    assert parsed_rate == Decimal(rate) and as_of.date() == day
    assert as_of.astimezone(KST).tzinfo is not None


@pytest.mark.parametrize("name", sorted(NAVER_MOBILE_LIST))
def test_naver_mobile_fields_shared_with_the_exchange_list(name):
    # Not the productDetail response oilfx asks for (none was saved), but its USD item has the same two fields
    # the parser reads: closePrice as a string with a thousands separator, localTradedAt with its offset.
    rate, traded = NAVER_MOBILE_LIST[name]
    items = json.loads(real(name))["result"]
    usd = next(item for item in items if item["reutersCode"] == "FX_USDKRW")
    assert naver_mobile.parse_item(usd) == (Decimal(rate), traded)
    # And wrapped the way productDetail wraps its one item, the whole-body parser gives the same.
    assert naver_mobile.parse(json.dumps({"isSuccess": True, "result": usd}).encode()) == (Decimal(rate), traded)
