"""Each source's pure parser against the fixture pages (raw bytes as the real sites serve them)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
import requests

from oilfx.market.errors import SourceError
from oilfx.market.http import decode
from oilfx.market.quote import KST
from oilfx.market.sources import frankfurter, fred, knoc, naver_fx, naver_mobile, naver_oil
from oilfx.market.sources.base import parse_decimal
from tests.fakes.pages import (
    NAVER_FX_PATH,
    REFERENCE_FX_AS_OF_KST,
    REFERENCE_OIL,
    REFERENCE_OIL_AS_OF,
    REFERENCE_USDKRW,
    fixture_bytes,
)

REF_OIL = {b: Decimal(v) for b, v in REFERENCE_OIL.items()}
REF_DAY = date.fromisoformat(REFERENCE_OIL_AS_OF)
REF_RATE = parse_decimal(REFERENCE_USDKRW)


@pytest.mark.parametrize("page", ["knoc_home.html", "knoc_home_unlabelled.html"])
def test_knoc_seed_markup_by_label_and_by_position(page):
    prices, as_of = knoc.parse(fixture_bytes(page))
    assert prices == REF_OIL
    assert as_of == REF_DAY
    assert all(isinstance(v, Decimal) for v in prices.values())


def test_knoc_labels_win_over_positions():
    # Reorder the crude lists: a positional parser would swap WTI and Brent; the labels must not.
    page = fixture_bytes("knoc_home.html").decode("cp949")
    wti = page[page.index('      <dl class="money_list">\n        <dt>WTI'):]
    wti = wti[:wti.index("</dl>\n") + 6]
    reordered = page.replace(wti, "").replace("    </div>\n  </div>", wti + "    </div>\n  </div>")
    assert reordered != page
    prices, _ = knoc.parse(reordered.encode("cp949"))
    assert prices == REF_OIL


@pytest.mark.parametrize("page", ["knoc_redesign_2026.html", "garbage.html"])
def test_knoc_without_crude_prices_says_layout_changed(page):
    with pytest.raises(SourceError) as e:
        knoc.parse(fixture_bytes(page))
    assert e.value.reason == knoc.LAYOUT_CHANGED


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
    assert "하나은행" in decode(body)


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
