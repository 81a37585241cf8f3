"""The /oilprice table and help in both languages (slack/quote_table.py): columns lined up by display width (Hangul
takes two columns in a monospace font), a missing benchmark's reason, stale marks, dates in each language's form."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from oilfx.i18n import EN, KO, Texts, benchmark_name
from oilfx.i18n.formats import display_width
from oilfx.market import FxRate, OilPrice, Quote, format_usd
from oilfx.slack.quote_table import columns, help_text, render_quote_table
from oilfx.slack.render import SECTION_LIMIT

FETCHED = datetime(2026, 12, 7, 0, 15, tzinfo=UTC)


def quote() -> Quote:
    oil = {"Dubai": OilPrice("Dubai", Decimal("78.10"), date(2026, 12, 4), "Opinet"),
           "Brent": OilPrice("Brent", Decimal("181.68"), date(2026, 12, 4), "Opinet", stale=True)}
    return Quote(oil, FxRate(Decimal("1289.00"), FETCHED, "Naver (하나은행)"), FETCHED,
                 missing={"WTI": "opinet: not found"})


def test_display_width_counts_hangul_twice():
    assert display_width("두바이유") == 8 and display_width("WTI") == 3 and display_width("₩1,000") == 6
    assert columns([["유종", "값"], ["두바이유", "1"], ["WTI", "22"]], (False, True)) == \
        ["유종      값", "두바이유   1", "WTI       22"]


@pytest.mark.parametrize("tx", [KO, EN], ids=["ko", "en"])
def test_the_table_lines_up_in_both_languages(tx: Texts):
    q = quote()
    message = render_quote_table(q, tx)
    rows = message.text.split("```")[1].splitlines()
    usd_header = tx.t("USD/bbl")
    header_end = display_width(rows[0][:rows[0].index(usd_header)]) + display_width(usd_header)
    for name, price in q.oil.items():
        [row] = [r for r in rows if r.startswith(tx.render(benchmark_name(name)))]
        usd = format_usd(price.usd)
        assert display_width(row[:row.index(usd)]) + display_width(usd) == header_end, rows
        assert tx.render(price.as_of) in row
    [brent] = [r for r in rows if r.startswith(tx.render(benchmark_name("Brent")))]
    assert brent.endswith(tx.t("{day} (stale)", day=date(2026, 12, 4)))
    [wti] = [r for r in rows if r.startswith("WTI")]
    assert tx.t("unavailable ({reason})", reason="opinet: not found") in wti
    assert tx.render(FETCHED) in message.text and all(len(r) == len(r.rstrip()) for r in rows)
    assert all(len(b.get("text", {}).get("text", "")) <= SECTION_LIMIT for b in message.blocks)


def test_korean_table_reads_korean():
    text = render_quote_table(quote(), KO).text
    assert "두바이유" in text and "브렌트유" in text and "2026년 12월 4일" in text and "오전 9:15 KST" in text
    assert "전 거래일 정산가" in text and "Benchmark" not in text


def test_help_is_one_whole_sentence_per_line_in_each_language():
    for tx in (KO, EN):
        lines = help_text(tx, ["usage one"]).splitlines()
        assert lines[0] == tx.t("*oilfx* — what crude oil costs right now in Korean won.")
        assert lines[-1] == "• usage one"
    assert "두바이유" in help_text(KO)
