"""Each source's pure parser against the fixture pages (raw bytes as the real sites serve them)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import requests

from oilfx.market.errors import SourceError
from oilfx.market.http import decode
from oilfx.market.quote import BENCHMARKS, KST
from oilfx.market.sources import frankfurter, fred, knoc, naver_fx, naver_mobile, naver_oil, opinet
from oilfx.market.sources.base import parse_decimal
from tests.fakes.pages import (
    NAVER_FX_PATH,
    REFERENCE_FX_AS_OF_KST,
    REFERENCE_OIL,
    REFERENCE_OIL_AS_OF,
    REFERENCE_PUMP,
    REFERENCE_PUMP_AS_OF,
    REFERENCE_USDKRW,
    fixture_bytes,
)

OPINET_FIXTURE = "opinet_glopcoil.csv"

REF_OIL = {b: Decimal(v) for b, v in REFERENCE_OIL.items()}
REF_DAY = date.fromisoformat(REFERENCE_OIL_AS_OF)
REF_RATE = parse_decimal(REFERENCE_USDKRW)


def _opinet_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(fixture_bytes(OPINET_FIXTURE).decode("cp949"))))


def _opinet_body(rows: list[list[str]]) -> bytes:
    return "".join(",".join(row) + "\r\n" for row in rows).encode("cp949")


def test_opinet_csv_latest_row_of_each_benchmark():
    latest = opinet.parse(fixture_bytes(OPINET_FIXTURE))
    assert latest == {b: (REF_DAY, REF_OIL[b]) for b in BENCHMARKS}
    assert all(isinstance(usd, Decimal) for _, usd in latest.values())


def test_opinet_row_from_the_documented_shape():
    # The only row anyone has shown (../shared/DATA_SOURCES.md): 25년02월05일,82.07,82.10,76.93
    body = "기간,Dubai,Brent,WTI\r\n25년02월05일,82.07,82.10,76.93\r\n".encode("cp949")
    day = date(2025, 2, 5)
    assert opinet.parse(body) == {"Dubai": (day, Decimal("82.07")), "Brent": (day, Decimal("82.10")),
                                  "WTI": (day, Decimal("76.93"))}


def test_opinet_takes_the_latest_date_not_the_last_row():
    header, *rows = _opinet_rows()
    assert opinet.parse(_opinet_body([header, *reversed(rows)])) == opinet.parse(fixture_bytes(OPINET_FIXTURE))


@pytest.mark.parametrize("blank", ["", "-", " - "])
def test_opinet_empty_or_dashed_cell_means_no_price_that_day(blank):
    header, *rows = _opinet_rows()
    dubai = header.index("Dubai")
    rows[-1][dubai] = blank
    latest = opinet.parse(_opinet_body([header, *rows]))
    # Dubai falls back to its own latest dated price; the others keep the newest day.
    assert latest["Dubai"] == (opinet.parse_row_date(rows[-2][0]), Decimal(rows[-2][dubai]))
    assert latest["WTI"] == (REF_DAY, REF_OIL["WTI"])


def test_opinet_failures_are_clear():
    with pytest.raises(SourceError, match="HTML page"):
        opinet.parse(fixture_bytes("garbage.html"))
    with pytest.raises(SourceError, match="no prices in the last 14 days"):
        opinet.parse("기간,Dubai,Brent,WTI\r\n".encode("cp949"))
    with pytest.raises(SourceError, match="header"):
        opinet.parse(b"date,Dubai\r\n2025-02-05,82.07\r\n")
    with pytest.raises(SourceError, match="bad date"):
        opinet.parse("기간,Dubai\r\n2025.02.05,82.07\r\n".encode("cp949"))


@pytest.mark.parametrize("text,day", [("25년02월05일", date(2025, 2, 5)), ("96년01월02일", date(1996, 1, 2)),
                                      ("2026년 3월 9일", date(2026, 3, 9)), ("25년02월30일", None),
                                      ("2025-02-05", None)])
def test_opinet_row_dates(text, day):
    assert opinet.parse_row_date(text) == day


def test_opinet_form_asks_for_the_last_two_weeks_in_kst():
    # 2023-11-28 23:30 UTC is already 11-29 in Seoul: the range ends on the KST date.
    fields = opinet.form(datetime(2023, 11, 28, 23, 30, tzinfo=UTC))
    form = dict(fields)
    assert (form["END_Y"], form["END_M"], form["END_D"]) == ("2023", "11", "29")
    start = date(2023, 11, 29) - timedelta(days=opinet.LOOKBACK_DAYS)
    assert (form["STA_Y"], form["STA_M"], form["STA_D"]) == (f"{start:%Y}", f"{start:%m}", f"{start:%d}")
    assert form["TERM"] == "D" and [v for k, v in fields if k == "OILSRTCD"] == ["001", "002", "003"]


def test_knoc_pump_prices_from_the_three_panels():
    prices = knoc.parse(fixture_bytes("knoc_home.html"))
    assert [p.product for p in prices] == [product for product, _ in knoc.PANELS.values()]
    assert {p.product: p.krw_per_litre for p in prices} == {k: Decimal(v) for k, v in REFERENCE_PUMP.items()}
    assert {p.as_of for p in prices} == {date.fromisoformat(REFERENCE_PUMP_AS_OF)}


@pytest.mark.parametrize("panel_id", list(knoc.PANELS))
def test_knoc_a_missing_panel_is_a_failure_naming_it(panel_id):
    page = fixture_bytes("knoc_home.html").decode("cp949").replace(f'id="{panel_id}"', 'id="gone"')
    with pytest.raises(SourceError) as e:
        knoc.parse(page.encode("cp949"))
    assert e.value.reason == f"KNOC page layout changed: no div#{panel_id} ({knoc.PANELS[panel_id][0]})"


def test_knoc_a_panel_without_its_date_or_price_is_a_failure():
    page = fixture_bytes("knoc_home.html").decode("cp949")
    undated = page.replace('<p class="date">2026.04.15', '<p class="date">', 1)
    with pytest.raises(SourceError, match=r"no date <p> in div#panel1-1"):
        knoc.parse(undated.encode("cp949"))
    unpriced = page.replace("<strong>1,893.27</strong>", "1,893.27")
    with pytest.raises(SourceError, match=r"no <strong> price in div#panel1-2"):
        knoc.parse(unpriced.encode("cp949"))


def test_knoc_never_reads_crude_from_the_seed_markup():
    # The seed's dl.money_list shape (crude in USD, within the old 1..500 band) is not a pump-price panel.
    seed = ('<html><body><dl class="money_list"><dt>Dubai</dt><li>82.14</li></dl>'
            '<dl class="money_list"><dt>WTI</dt><li>76.41</li></dl></body></html>')
    with pytest.raises(SourceError, match=r"no div#panel1-1"):
        knoc.parse(seed.encode())
    with pytest.raises(SourceError, match=r"no div#panel1-1"):
        knoc.parse(fixture_bytes("garbage.html"))


@pytest.mark.parametrize("name,page", [("WTI", "naver_world_OIL_CL.html"), ("Brent", "naver_world_OIL_BRT.html"),
                                            ("Dubai", "naver_world_OIL_DU.html")])
def test_naver_world_quote_takes_the_newest_row(name, page):
    row = naver_oil.parse(fixture_bytes(page))
    assert row == naver_oil.DailyClose(REF_DAY, REF_OIL[name])


def test_naver_world_quote_empty_table_and_garbage():
    with pytest.raises(SourceError, match=r"^empty quote table$"):
        naver_oil.parse(fixture_bytes("naver_world_empty.html"))
    with pytest.raises(SourceError, match="layout changed"):
        naver_oil.parse(fixture_bytes("garbage.html"))


def test_naver_world_url_is_built_under_the_configured_base():
    assert naver_oil.page_url("http://127.0.0.1:1/naver/marketindex/", "Brent") == (
        "http://127.0.0.1:1/naver/marketindex/worldDailyQuote.naver?marketindexCd=OIL_BRT&fdtc=2")


def test_naver_fx_reads_euc_kr_without_charset_by_class():
    body = fixture_bytes("naver_marketindex.html")
    assert b"<meta" not in body.lower()
    quote = naver_fx.parse(body)
    assert quote.rate == REF_RATE
    assert quote.as_of == datetime.strptime(REFERENCE_FX_AS_OF_KST, "%Y-%m-%d %H:%M").replace(tzinfo=KST)
    assert quote.notice_round == 375
    assert quote.change is not None and quote.change > 0
    assert quote.bank == "하나은행" and quote.source == "Naver (하나은행)"  # the page's "하나은행 기준"


def test_naver_fx_direction_comes_from_the_class():
    up = naver_fx.parse(fixture_bytes("naver_marketindex.html"))
    down = naver_fx.parse(fixture_bytes("naver_marketindex_down.html"))
    assert down.rate == up.rate
    assert down.change == -up.change


def test_naver_fx_direction_from_blind_text_when_class_is_gone():
    page = fixture_bytes("naver_marketindex_down.html").decode("cp949").replace("head_info point_dn", "head_info", 1)
    assert naver_fx.parse(page.encode("cp949")).change < 0


def test_naver_fx_garbage_says_layout_changed():
    with pytest.raises(SourceError) as e:
        naver_fx.parse(fixture_bytes("garbage.html"))
    assert e.value.reason == naver_fx.LAYOUT_CHANGED


def test_requests_alone_would_mangle_the_naver_page(pages_server):
    # Why we decode ourselves: no charset anywhere, so requests falls back to ISO-8859-1.
    response = requests.get(pages_server.url + NAVER_FX_PATH, timeout=5)
    assert response.encoding == "ISO-8859-1"
    assert "하나은행" not in response.text
    assert "하나은행" in decode(response.content)


def test_naver_mobile_json():
    rate, as_of = naver_mobile.parse(fixture_bytes("naver_mobile_usdkrw.json"))
    assert rate == REF_RATE
    assert as_of is not None and as_of.astimezone(KST).strftime("%Y-%m-%d %H:%M") == REFERENCE_FX_AS_OF_KST
    with pytest.raises(SourceError, match="not JSON"):
        naver_mobile.parse(fixture_bytes("garbage.html"))
    with pytest.raises(SourceError, match="closePrice"):
        naver_mobile.parse(b'{"isSuccess":false,"result":null}')


def test_frankfurter_keeps_the_rate_exact():
    import json

    doc = json.loads(fixture_bytes("frankfurter_latest.json"), parse_float=str)
    rate, as_of = frankfurter.parse(fixture_bytes("frankfurter_latest.json"))
    assert rate == Decimal(doc["rates"]["KRW"])
    assert as_of.date().isoformat() == doc["date"] and as_of.tzinfo is not None
    with pytest.raises(SourceError):
        frankfurter.parse(b'{"amount":1.0,"base":"USD","date":"2023-11-29","rates":{}}')


def test_fred_skips_missing_days():
    assert fred.parse(fixture_bytes("fred_DCOILWTICO.csv")) == (REF_DAY, REF_OIL["WTI"])
    # The Brent series ends with "." (not yet published): the last real value is taken.
    assert fred.parse(fixture_bytes("fred_DCOILBRENTEU.csv")) == (REF_DAY, REF_OIL["Brent"])
    with pytest.raises(SourceError, match="no values"):
        fred.parse(fixture_bytes("fred_missing.csv"))
    with pytest.raises(SourceError, match="header"):
        fred.parse(fixture_bytes("garbage.html"))


@pytest.mark.parametrize("text", ["", "-", "N/A", "-1.00", "NaN", "Infinity", "0"])
def test_parse_decimal_rejects_non_prices(text):
    with pytest.raises(ValueError):
        parse_decimal(text)


def test_decode_prefers_declared_then_meta_then_utf8_then_cp949():
    text = "두바이 82.14"
    assert decode(text.encode("cp949"), "EUC-KR") == text
    assert decode(b'<meta charset="euc-kr">' + text.encode("cp949")).endswith(text)
    assert decode(text.encode("utf-8")) == text
    assert decode(text.encode("cp949")) == text
