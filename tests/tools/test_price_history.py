"""price_history through the registry, on a real Market against the history fixtures: the summary figures equal
what the test computes from the series, the guard keeps them (and the percent and dates) and removes a made-up one,
a chart is asked for with chart=true, bad arguments name what is allowed."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest

from oilfx.config import load_settings
from oilfx.engines.base import Answer
from oilfx.guard import guard_answer
from oilfx.i18n import EN, KO, Lang, format_day
from oilfx.market import KST, Market
from oilfx.market.history import ChartRequest, Period, Series, Unit
from oilfx.market.quote import format_krw, format_krw_litre, format_usd
from oilfx.tools import default_registry
from oilfx.tools.result import FailureKind
from tests.fakes.history_pages import serve_history
from tests.fakes.pages import OPINET_PATH, PagesServer

EVENING = datetime(2026, 3, 9, 20, 0, tzinfo=KST)
SHOW = {Unit.USD: format_usd, Unit.KRW_PER_BARREL: format_krw, Unit.KRW_PER_LITRE: format_krw_litre}


@pytest.fixture
def history_market(pages_server: PagesServer) -> Market:
    serve_history(pages_server)
    return Market(load_settings(pages_server.env()), clock=lambda: EVENING)


def call(market: Market, **args):
    return default_registry(market).call("c1", "price_history", json.dumps(args))


def expected(series: Series) -> dict:
    """The summary computed here from the series' valued points, oldest first."""
    points = [p for p in series.points if p.value is not None]
    first, last = points[0], points[-1]
    low = min(points, key=lambda p: (p.value, p.day))
    high = max(points, key=lambda p: (p.value, -p.day.toordinal()))
    change = last.value - first.value
    return {"first": first, "last": last, "min": low, "max": high, "change": change,
            "percent": change / first.value * 100}


@pytest.mark.parametrize("unit", list(Unit))
def test_summary_figures_are_the_series_own(history_market: Market, unit: Unit) -> None:
    step = call(history_market, benchmark="WTI", period="1m", unit=unit.value, chart=False)
    assert step.ok, step.output
    out = json.loads(step.output)
    want = expected(history_market.history("WTI", Period.M1, unit))
    for key in ("first", "last", "min", "max"):
        point = want[key]
        assert out[key] == {"date": point.day.isoformat(), "exact": str(point.value),
                            "display": SHOW[unit](point.value)}
    assert Decimal(out["change"]["exact"]) == want["change"]
    assert Decimal(out["percent_change"]["exact"]) == want["percent"]
    assert out["percent_change"]["display"] == \
        f"{want['percent'].quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):+}%"
    assert (out["from"], out["to"]) == ("2026-02-07", "2026-03-09")
    assert step.result.chart is None and "chart" not in out
    values = {f.value for f in step.result.figures}
    assert {want[k].value for k in ("first", "last", "min", "max")} | {want["change"]} <= values
    if unit is Unit.USD:
        assert [s.source for s in step.result.sources] == ["Opinet"] and "pairing_note" not in out
    else:
        assert [(str(s.label), s.source) for s in step.result.sources] == [("WTI", "Opinet"),
                                                                      ("USD/KRW", "Frankfurter (ECB)")]
        assert out["pairing_note"].startswith("Each close × the USD/KRW rate")


@pytest.mark.parametrize("unit", [Unit.USD, Unit.KRW_PER_BARREL])
def test_guard_keeps_the_tools_figures_percent_and_dates_and_removes_a_made_up_one(
        pages_server: PagesServer, unit: Unit) -> None:
    # Brent fell over December 2025 in FRED's real copy: the change is negative, as prose rarely writes it
    serve_history(pages_server)
    market = Market(load_settings(pages_server.env(OILFX_HISTORY_OIL_SOURCES="fred")),
                    clock=lambda: datetime(2025, 12, 31, 20, 0, tzinfo=KST))
    step = call(market, benchmark="Brent", period="1m", unit=unit.value, chart=False)
    out = json.loads(step.output)
    change = Decimal(out["change"]["exact"])
    assert change < 0
    honest = (f"브렌트유는 {out['first']['date']} {out['first']['display']}에서 {out['last']['date']} "
              f"{out['last']['display']}로 {SHOW[unit](-change)} 내렸습니다 ({out['percent_change']['display']}). "
              f"최저 {out['min']['display']} ({out['min']['date']}), 최고 {out['max']['display']}. "
              f"Change: {out['change']['display']}, −{out['percent_change']['display'].lstrip('+-')}.")
    kept, removed = guard_answer(Answer(honest, (step,), "conv_1", "responses"), EN)
    assert removed == [] and kept.text == honest
    invented = SHOW[unit](Decimal(out["max"]["exact"]) + 1000)
    made_up, removed = guard_answer(Answer(honest + f" 평균은 {invented}입니다.", (step,), "conv_1", "responses"), KO)
    assert removed == [invented] and invented not in made_up.text and out["percent_change"]["display"] in made_up.text


def test_chart_true_asks_the_bot_for_a_chart(history_market: Market) -> None:
    step = call(history_market, benchmark="wti", period="1M", unit="krw_per_litre", chart=True)
    assert step.ok
    assert step.result.chart == ChartRequest(("WTI",), Period.M1, Unit.KRW_PER_LITRE)
    assert "attached" in json.loads(step.output)["chart"]


@pytest.mark.parametrize(("args", "named"), [
    ({"benchmark": "Gold", "period": "1m", "unit": "usd", "chart": False}, "'Gold' is not one of ['Dubai', 'WTI'"),
    ({"benchmark": "WTI", "period": "2w", "unit": "usd", "chart": False}, "'2w' is not one of ['1w', '1m', '3m'"),
    ({"benchmark": "WTI", "period": "1m", "unit": "eur", "chart": False}, "'eur' is not one of ['usd', 'krw_per_"),
])
def test_bad_arguments_are_a_call_failure_naming_the_choices(history_market: Market, args, named) -> None:
    step = call(history_market, **args)
    assert not step.ok and step.result.failure.kind is FailureKind.CALL
    assert named in str(step.result.failure.message)


def test_no_data_is_a_data_failure_naming_the_sources(history_market: Market, pages_server: PagesServer) -> None:
    pages_server.set(OPINET_PATH, status=503)
    market = Market(load_settings(pages_server.env(OILFX_HISTORY_OIL_SOURCES="opinet")), clock=lambda: EVENING)
    step = call(market, benchmark="Dubai", period="1w", unit="usd", chart=False)
    assert not step.ok and step.result.failure.kind is FailureKind.DATA
    assert "no Dubai closes between 2026-03-03 and 2026-03-09: opinet: HTTP 503" in str(step.result.failure.message)


def test_describe_names_the_call_before_it_runs() -> None:
    registry = default_registry(None)  # type: ignore[arg-type]  # describing needs no market
    call = registry.describe("price_history", '{"benchmark": "Brent", "period": "3m"}')
    assert EN.render(call) == str(call) == "Fetching Brent price history (3 months)"
    assert KO.render(call) == "브렌트유 가격 추이 조회 중 (3개월)"
    vague = registry.describe("price_history", '{"benchmark": "<@U1>"}')   # the model's words never shown
    assert (EN.render(vague), KO.render(vague)) == ("Fetching crude price history", "원유 가격 추이 조회 중")


def test_no_percent_change_from_a_negative_close(pages_server: PagesServer) -> None:
    """FRED's real WTI copy: Cushing spot below zero on 2020-04-20. A week starting there has a change but no
    percent change (from a negative base it would flip sign); the low is that negative close, kept exact."""
    serve_history(pages_server)
    market = Market(load_settings(pages_server.env(OILFX_HISTORY_OIL_SOURCES="fred")),
                    clock=lambda: datetime(2020, 4, 26, 20, 0, tzinfo=KST))
    step = call(market, benchmark="WTI", period="1w", unit="usd", chart=False)
    out = json.loads(step.output)
    series = market.history("WTI", Period.W1, Unit.USD)
    want = expected(series)
    assert want["first"].value < 0 and out["first"]["date"] == "2020-04-20"
    assert out["percent_change"] == {"exact": None, "display": "n/a"}
    assert Decimal(out["change"]["exact"]) == want["change"] and out["min"]["exact"] == str(want["first"].value)


def test_the_summary_and_sources_show_dates_and_names_in_the_readers_language(history_market: Market) -> None:
    """The formula line and the sources' span carry real dates: ISO in English (and for the model), Korean dates
    in Korean; the benchmark as 두바이유."""
    step = call(history_market, benchmark="Dubai", period="1m", unit="usd", chart=False)
    out = json.loads(step.output)
    first, last = (date.fromisoformat(out[k]["date"]) for k in ("first", "last"))
    english, korean = EN.render(step.result.formula), KO.render(step.result.formula)
    assert english == str(step.result.formula) and f"({english})" in str(step.result.summary)
    assert english.startswith(f"{first.isoformat()} {out['first']['display']} → {last.isoformat()} ")
    assert korean.startswith(f"{format_day(first, Lang.KO)} {out['first']['display']} → {format_day(last, Lang.KO)} ")
    assert f"변동 {out['change']['display']}" in korean and f"(계산: {korean})" in KO.render(step.result.summary)
    source = step.result.sources[0]
    assert (KO.render(source.label), str(source.label)) == ("두바이유", "Dubai")
    start, end = date.fromisoformat(out["from"]), date.fromisoformat(out["to"])
    assert KO.render(source.as_of) == f"{format_day(start, Lang.KO)}~{format_day(end, Lang.KO)} 일별"
    assert out["sources"][0]["as_of"] == f"{start.isoformat()}..{end.isoformat()} daily"
