"""The history parsers on FRED's real CSVs (../shared/real_pages, read here) and on the history fixtures
(tests/fixtures/pages/history/). Expected figures come from PROVENANCE.md or are read off the files' text here."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from oilfx.market.errors import SourceError
from oilfx.market.history import frankfurter, fred, naver, opinet
from oilfx.market.history.daily import clip, parse_close
from oilfx.market.history.series import Point
from tests.fakes.history_pages import EMPTY_PAGE, FRED_REAL, HISTORY
from tests.fakes.pages import fixture_bytes


def csv_rows(path) -> list[list[str]]:
    """The data rows of a FRED CSV as text cells, read without the parser."""
    return [line.split(",") for line in path.read_text().splitlines()[1:] if line]


@pytest.mark.parametrize(("benchmark", "empty", "last"), [("WTI", 68, "94.65"), ("Brent", 48, "94.35")])
def test_fred_real_copies(benchmark: str, empty: int, last: str) -> None:
    """PROVENANCE.md: last rows 2026-03-09 94.65 (WTI) and 94.35 (Brent); WTI has 68 empty days."""
    rows = csv_rows(FRED_REAL[benchmark])
    points = fred.parse(FRED_REAL[benchmark].read_bytes(), benchmark)
    assert len(points) == len(rows) and points[0].day == date.fromisoformat(rows[0][0])
    assert points[-1] == Point(date(2026, 3, 9), Decimal(last))
    assert points[0].value == Decimal(rows[0][1])
    gaps = [p.day.isoformat() for p in points if p.value is None]
    assert len(gaps) == empty and gaps == [r[0] for r in rows if r[1] == ""]
    assert [p.day for p in points] == sorted(p.day for p in points)


def test_fred_negative_wti_close_of_april_2020_is_kept() -> None:
    """The real WTI copy holds Cushing spot below zero on 2020-04-20: a real close, not a layout change."""
    row = next(r for r in csv_rows(FRED_REAL["WTI"]) if r[0] == "2020-04-20")
    points = {p.day: p.value for p in fred.parse(FRED_REAL["WTI"].read_bytes(), "WTI")}
    assert points[date(2020, 4, 20)] == Decimal(row[1]) < 0


def test_fred_old_dot_and_date_header() -> None:
    """Older downloads: header `DATE,<series>` and "." for a missing day (the 2023 fixture has Thanksgiving)."""
    body = fixture_bytes("fred_DCOILWTICO.csv").replace(b"observation_date", b"DATE")
    points = fred.parse(body, "WTI")
    assert Point(date(2023, 11, 23), None) in points and points[-1] == Point(date(2023, 11, 28), Decimal("76.41"))


@pytest.mark.parametrize("body", [b"<html>maintenance</html>", b"", b"when,what\n2026-01-02,1\n",
                                  b"observation_date,DCOILWTICO\n2026-01-02,n/a\n",
                                  b"observation_date,DCOILWTICO\n2026-13-02,60.1\n"])
def test_fred_not_a_series_says_so(body: bytes) -> None:
    with pytest.raises(SourceError, match=r"FRED CSV|not a number"):
        fred.parse(body, "WTI")


def opinet_text_rows() -> list[list[str]]:
    return [line.split(",") for line in (HISTORY / "opinet_history.csv").read_bytes().decode("cp949").splitlines()[1:]]


def test_opinet_history_csv() -> None:
    rows = opinet_text_rows()
    series = opinet.parse((HISTORY / "opinet_history.csv").read_bytes())
    assert set(series) == {"Dubai", "Brent", "WTI"}
    for column, benchmark in enumerate(("Dubai", "Brent", "WTI"), start=1):
        points = series[benchmark]
        assert len(points) == len(rows)
        assert [str(p.value) if p.value is not None else "-" for p in points] == [r[column] for r in rows]
    # dashes are days without that benchmark's price: kept as gaps, the other columns of the row still read
    assert Point(date(2026, 1, 19), None) in series["WTI"] and Point(date(2025, 12, 26), None) in series["Brent"]
    assert series["Dubai"][0].day == date(2025, 11, 3) and series["Dubai"][-1].day == date(2026, 3, 9)


def test_opinet_history_refusals_and_layout_changes() -> None:
    with pytest.raises(SourceError, match="HTML page"):
        opinet.parse(b"<!doctype html><html></html>")
    with pytest.raises(SourceError, match="no 기간"):
        opinet.parse("날짜,Dubai\n".encode("cp949"))
    with pytest.raises(SourceError, match="bad date"):
        opinet.parse("기간,Dubai,Brent,WTI\n2026-01-02,1,2,3\n".encode("cp949"))


def test_opinet_range_form_asks_for_the_range() -> None:
    from oilfx.market.sources.opinet import range_form
    form = dict((k, v) for k, v in range_form(date(2026, 2, 7), date(2026, 3, 9)) if k != "OILSRTCD")
    assert (form["STA_Y"], form["STA_M"], form["STA_D"]) == ("2026", "02", "07")
    assert (form["END_Y"], form["END_M"], form["END_D"]) == ("2026", "03", "09")


def test_naver_world_page_newest_first() -> None:
    body = (HISTORY / "naver_world_OIL_CL_p1.html").read_bytes()
    text = body.decode("cp949")
    points = naver.parse_page(body, None, lambda t: Decimal(t.replace(",", "")))
    assert len(points) == text.count('<td class="date">') == 10
    assert points[0].day == date(2026, 3, 9) and [p.day for p in points] == sorted((p.day for p in points),
                                                                                   reverse=True)
    assert f'<td class="num">{points[0].value:,}</td>' in text


def test_naver_fx_page_reads_the_base_rate_not_the_cash_rates() -> None:
    body = (HISTORY / "naver_fx_p1.html").read_bytes()
    points = naver.parse_page(body)   # EUC-KR without a charset anywhere: decoded by sniffing
    first_row = body.decode("cp949").split('<td class="date">')[1]
    base_rate = first_row.split('<td class="num">')[1].split("</td>")[0]
    assert points[0].value == Decimal(base_rate.replace(",", ""))


def test_naver_empty_and_missing_tables() -> None:
    assert naver.parse_page(EMPTY_PAGE.read_bytes()) == []
    with pytest.raises(SourceError, match="no quote table"):
        naver.parse_page(b"<html><body>busy</body></html>")


def test_naver_implausible_cells_are_refused() -> None:
    """A layout shift that lands on another number (a KRW price in an oil column) is named, not charted."""
    body = (HISTORY / "naver_fx_p1.html").read_bytes()
    with pytest.raises(SourceError, match="implausible WTI close"):
        naver.parse_page(body, None, lambda text: parse_close("WTI", text))


def test_frankfurter_series_exact() -> None:
    rates = json.loads((HISTORY / "frankfurter_usdkrw_series.json").read_text())
    body = json.dumps({"amount": 1.0, "base": "USD", "start_date": "2026-01-02", "end_date": "2026-01-09",
                       "rates": {d: v for d, v in rates.items() if "2026-01-02" <= d <= "2026-01-09"}}).encode()
    points = frankfurter.parse(body)
    assert [p.day.isoformat() for p in points] == [d for d in rates if "2026-01-02" <= d <= "2026-01-09"]
    # parse_float=Decimal: the JSON's digits exactly, no binary float in between
    assert points[0].value == Decimal(json.dumps(rates["2026-01-02"]["KRW"]))


@pytest.mark.parametrize("body", [b"not json", b'{"message":"not found"}', b'{"base":"USD","rates":[1,2]}',
                                  b'{"base":"EUR","rates":{"2026-01-02":{"KRW":1500.1}}}'])
def test_frankfurter_not_a_series_says_so(body: bytes) -> None:
    with pytest.raises(SourceError, match="Frankfurter"):
        frankfurter.parse(body)


def test_clip_keeps_gaps_and_orders() -> None:
    points = [Point(date(2026, 1, 3), Decimal(2)), Point(date(2026, 1, 1), None), Point(date(2026, 1, 1), Decimal(1)),
              Point(date(2025, 12, 31), Decimal(9)), Point(date(2026, 1, 2), None)]
    assert clip(points, date(2026, 1, 1), date(2026, 1, 2)) == [Point(date(2026, 1, 1), Decimal(1)),
                                                                Point(date(2026, 1, 2), None)]
