"""Market.history against the fake pages server: fallback order, failures named, won series equal to the Decimal
products of the paired inputs, holiday gaps kept, the cache fetching a range once (also across processes through
Redis), a range with no data."""

from __future__ import annotations

import bisect
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from oilfx.config import load_settings
from oilfx.i18n import KO
from oilfx.market import KST, LITRES_PER_BARREL, Market, MarketUnavailable, MemoryCache
from oilfx.market.history import Period, Point, Series, Unit, frankfurter, naver, opinet
from oilfx.market.history.combine import RATE_LOOKBACK_DAYS
from oilfx.market.history.naver import fx_page_url
from oilfx.metrics import METRICS
from oilfx.tools.price_history import sources_of
from tests.fakes.history_pages import (
    HISTORY,
    HISTORY_END,
    frankfurter_rates,
    frankfurter_target,
    naver_page_target,
    serve_history,
)
from tests.fakes.pages import FRED_PATH, FRED_WTI, NAVER_WORLD_PATH, OPINET_PATH, PagesServer

EVENING = datetime(2026, 3, 9, 20, 0, tzinfo=KST)   # the history fixtures' last day, after the close


@pytest.fixture
def pages(pages_server: PagesServer) -> PagesServer:
    return serve_history(pages_server)


def market(server: PagesServer, clock=lambda: EVENING, **env: str) -> Market:
    return Market(load_settings(server.env(**{"OILFX_HTTP_READ_TIMEOUT": "0.5", **env})), clock=clock)


def valued(series: Series) -> dict[date, Decimal]:
    return {p.day: p.value for p in series.points if p.value is not None}


def test_usd_history_from_opinet_over_the_period_ending_today(pages) -> None:
    series = market(pages).history("WTI", Period.M1, Unit.USD)
    start = Period.M1.start(HISTORY_END)
    expected = [p for p in opinet.parse((HISTORY / "opinet_history.csv").read_bytes())["WTI"]
                if start <= p.day <= HISTORY_END]
    assert series.points == tuple(expected) and series.sources == ("Opinet",)
    assert (series.start, series.end, series.unit, series.benchmark) == (start, HISTORY_END, Unit.USD, "WTI")
    assert series.fetched_at.tzinfo is not None and series.pairing_note is None
    form = pages.last_form(OPINET_PATH)   # the download asked for that range, not the quote's two weeks
    assert (form["STA_Y"][0], form["STA_M"][0], form["STA_D"][0]) == (str(start.year), f"{start:%m}", f"{start:%d}")
    assert pages.count(OPINET_PATH) == 1 and pages.total() == 1


def paired(oil: Series, rates: Series) -> dict[date, tuple[Decimal, Decimal, date]]:
    """The test's own pairing: each valued close with the rate of that day or the latest before."""
    days = sorted(valued(rates))
    out = {}
    for day, usd in valued(oil).items():
        rate_day = days[bisect.bisect_right(days, day) - 1]
        out[day] = (usd, valued(rates)[rate_day], rate_day)
    return out


@pytest.mark.parametrize("unit", [Unit.KRW_PER_BARREL, Unit.KRW_PER_LITRE])
def test_won_series_equals_the_decimal_products_of_the_paired_inputs(pages, unit) -> None:
    m = market(pages, OILFX_HISTORY_OIL_SOURCES="fred")
    end = date(2026, 1, 10)
    won = m.history("WTI", Period.M1, unit, end=end)
    start = Period.M1.start(end)
    oil = m.histories.oil("WTI", start, end)
    rates = m.histories.fx(start - timedelta(days=RATE_LOOKBACK_DAYS), end)
    inputs = paired(oil, rates)
    divisor = LITRES_PER_BARREL if unit is Unit.KRW_PER_LITRE else Decimal(1)
    assert valued(won) == {day: usd * rate / divisor if divisor != 1 else usd * rate
                           for day, (usd, rate, _) in inputs.items()}
    assert [(p.day, p.usd, p.rate, p.rate_day) for p in won.pairs] == [(d, *v) for d, v in sorted(inputs.items())]
    assert won.sources == ("FRED", "Frankfurter (ECB)") and won.unit is unit
    # WTI traded on 2025-12-26, a TARGET holiday without an ECB rate: the 24th's rate, and the note says so
    assert inputs[date(2025, 12, 26)][2] == date(2025, 12, 24)
    note = str(won.pairing_note)   # the English; the reader's language renders the same Msg
    assert "2025-12-26 used 2025-12-24's rate" in note
    earlier = [d for d, (_, _, rate_day) in inputs.items() if rate_day != d]
    assert len(earlier) == 1 and "1 date had no rate that day and used the latest before it: " in note
    assert KO.t("{day} used {rate_day}'s rate", day=date(2025, 12, 26), rate_day=date(2025, 12, 24)) \
        in KO.render(won.pairing_note)
    # holidays stay gaps in won as in USD: FRED lists 12-25 and 01-01 without a value
    gaps = [p.day for p in won.points if p.value is None]
    assert gaps == [p.day for p in oil.points if p.value is None] and date(2025, 12, 25) in gaps


def test_naver_fx_fallback_pairs_seollal_with_the_rate_before(pages) -> None:
    frankfurter = frankfurter_target(Period.M1.start(HISTORY_END) - timedelta(days=RATE_LOOKBACK_DAYS), HISTORY_END)
    pages.set(frankfurter, status=503)
    won = market(pages).history("Brent", Period.M1, Unit.KRW_PER_BARREL)
    assert won.sources == ("Opinet", "Naver")
    by_day = {p.day: p for p in won.pairs}
    for day in (date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18)):   # Seollal: no Korean bank rate
        assert by_day[day].rate_day == date(2026, 2, 13)
        assert valued(won)[day] == by_day[day].usd * by_day[day].rate
    note = str(won.pairing_note)
    assert "3 dates had no rate that day" in note and "(Naver)" in note
    assert pages.count(frankfurter) == 2   # one retry of the 503, then the next source


def test_a_won_series_from_one_source_for_both_halves_still_names_the_rates_source(pages) -> None:
    """Naver serves the closes and the rates: the series keeps both by position (the oil's, then the rate's), so
    the tool and the chart footer still say where the USD/KRW rates came from."""
    won = market(pages, OILFX_HISTORY_OIL_SOURCES="naver", OILFX_HISTORY_FX_SOURCES="naver").history(
        "Dubai", Period.W1, Unit.KRW_PER_BARREL)
    assert won.sources == ("Naver", "Naver")
    tool_sources = sources_of(won)
    assert [(str(s.label), s.source) for s in tool_sources] == [("Dubai", "Naver"), ("USD/KRW", "Naver")]


def test_history_fetches_and_failures_are_counted_per_source_like_quotes(pages) -> None:
    def count(family: str, source: str) -> float:
        return METRICS.registry.get_sample_value(family, {"quantity": "oil_history", "source": source}) or 0

    before = {(f, s): count(f, s) for f in ("oilfx_source_fetches_total", "oilfx_source_failures_total")
              for s in ("opinet", "fred")}
    pages.set(OPINET_PATH, status=503)
    assert market(pages).history("Brent", Period.W1, Unit.USD).sources == ("FRED",)
    after = {key: count(*key) - value for key, value in before.items()}
    assert after == {("oilfx_source_fetches_total", "opinet"): 1, ("oilfx_source_failures_total", "opinet"): 1,
                     ("oilfx_source_fetches_total", "fred"): 1, ("oilfx_source_failures_total", "fred"): 0}


def test_fallback_order_and_each_failure_named(pages, caplog) -> None:
    pages.set(OPINET_PATH, status=503)
    series = market(pages).history("Brent", Period.W1, Unit.USD)
    assert series.sources == ("FRED",) and valued(series)[HISTORY_END] == Decimal("94.35")
    assert "history source opinet: HTTP 503" in caplog.text
    pages.set(FRED_PATH, status=404)
    series = market(pages).history("Brent", Period.W1, Unit.USD)
    assert series.sources == ("Naver",)
    pages.set(NAVER_WORLD_PATH, status=503)
    for page in range(1, 3):
        pages.set(naver_page_target("world", "OIL_BRT", page), status=503)
    with pytest.raises(MarketUnavailable) as error:
        market(pages).history("Brent", Period.W1, Unit.USD)
    assert [name for name, _ in error.value.failures] == ["opinet", "fred", "naver"]
    assert str(error.value).startswith(f"no Brent closes between {Period.W1.start(HISTORY_END)} and {HISTORY_END}: "
                                       "opinet: HTTP 503; fred: HTTP 404; naver: HTTP 503")


def test_dubai_skips_fred_with_a_reason(pages) -> None:
    pages.set(OPINET_PATH, status=500)
    series = market(pages, OILFX_HISTORY_OIL_SOURCES="opinet,fred,naver").history("두바이", Period.W1, Unit.USD)
    assert series.sources == ("Naver",) and series.benchmark == "Dubai"
    assert pages.count(FRED_PATH) == 0   # FRED was not asked for a series it does not have


def test_naver_pages_are_read_until_the_range_is_covered(pages) -> None:
    series = market(pages, OILFX_HISTORY_OIL_SOURCES="naver").history("WTI", Period.M1, Unit.USD)
    start = Period.M1.start(HISTORY_END)
    pages_needed = next(n for n in range(1, 5) if _oldest_on(n) <= start)
    assert pages.count(NAVER_WORLD_PATH) == pages_needed and pages_needed > 1
    assert min(p.day for p in series.points) >= start and max(p.day for p in series.points) == HISTORY_END
    fx_url = fx_page_url("http://x/naver/marketindex/", 1)
    assert fx_url.endswith("exchangeDailyQuote.naver?marketindexCd=FX_USDKRW&page=1")


def _oldest_on(page: int) -> date:
    text = (HISTORY / f"naver_world_OIL_CL_p{page}.html").read_bytes().decode("cp949")
    return min(date.fromisoformat(cell.split("<")[0].replace(".", "-"))
               for cell in text.split('<td class="date">')[1:])


def test_a_range_asked_twice_is_fetched_once(pages) -> None:
    m = market(pages)
    first = m.history("WTI", Period.M1, Unit.USD)
    assert m.history("WTI", Period.M1, Unit.USD) == first
    assert pages.total() == 1
    m.history("WTI", Period.M1, Unit.KRW_PER_LITRE)   # the closes are reused; only the rates are fetched
    assert pages.total() == 2
    m.history("WTI", Period.M1, Unit.KRW_PER_BARREL)
    assert pages.total() == 2


def test_history_ttl_is_hours_and_expires(pages) -> None:
    assert load_settings({}).history_ttl >= 3600   # the default: hours, not the quotes' seconds
    seconds = [0.0]
    m = Market(load_settings(pages.env(OILFX_HISTORY_TTL="7200")), cache=MemoryCache(clock=lambda: seconds[0]),
               clock=lambda: EVENING)
    m.history("WTI", Period.W1, Unit.USD)
    seconds[0] = 7199.0
    m.history("WTI", Period.W1, Unit.USD)
    assert pages.count(OPINET_PATH) == 1
    seconds[0] = 7201.0
    m.history("WTI", Period.W1, Unit.USD)
    assert pages.count(OPINET_PATH) == 2


def test_naver_says_how_far_back_its_pages_reach(pages, monkeypatch) -> None:
    monkeypatch.setattr(naver, "MAX_PAGES", 2)
    with pytest.raises(MarketUnavailable, match=r"naver: Naver's first 2 pages reach back only to 2026-0"):
        market(pages, OILFX_HISTORY_OIL_SOURCES="naver").history("WTI", Period.M3, Unit.USD)
    assert pages.count(NAVER_WORLD_PATH) == 2


def test_redis_shares_a_range_between_processes(pages, redis_url) -> None:
    from redis import Redis

    from oilfx.store.redis_cache import RedisQuoteCache

    settings = load_settings(pages.env())
    one, two = (Market(settings, cache=RedisQuoteCache(Redis.from_url(redis_url)), clock=lambda: EVENING)
                for _ in range(2))
    assert one.history("Dubai", Period.M3, Unit.USD) == two.history("Dubai", Period.M3, Unit.USD)
    assert pages.count(OPINET_PATH) == 1


def test_a_range_with_no_data_says_so(pages) -> None:
    with pytest.raises(MarketUnavailable) as error:
        market(pages, OILFX_HISTORY_OIL_SOURCES="opinet,fred").history("WTI", Period.M1, Unit.USD,
                                                                       end=date(2019, 6, 30))
    assert str(error.value) == ("no WTI closes between 2019-05-31 and 2019-06-30: opinet: no rows in that range; "
                                "fred: no rows in that range")


def test_gaps_are_kept_as_none_not_filled(pages) -> None:
    series = market(pages, OILFX_HISTORY_OIL_SOURCES="fred").history("WTI", Period.M1, Unit.USD)
    assert Point(date(2026, 2, 16), None) in series.points   # Presidents' Day: FRED's empty cell
    assert pages.count(FRED_WTI) == 1


def test_frankfurter_is_asked_in_daily_windows(pages) -> None:
    """Frankfurter has sampled long ranges by week; a 3m range (with the rate lookback) is asked in 90-day windows."""
    m = market(pages)
    won = m.history("Dubai", Period.M3, Unit.KRW_PER_BARREL)
    start = Period.M3.start(HISTORY_END) - timedelta(days=RATE_LOOKBACK_DAYS)
    targets = [frankfurter_target(a, b) for a, b in frankfurter.windows(start, HISTORY_END)]
    assert len(targets) == 2 and targets[0].startswith(f"/frankfurter/v1/{start}..")
    assert [pages.count(t) for t in targets] == [1, 1]
    assert pages.total() == 1 + len(targets)   # Opinet's CSV, then the windows
    # every close on an ECB day used that day's rate
    ecb_days = set(frankfurter_rates())
    assert all(p.rate_day == p.day for p in won.pairs if p.day in ecb_days)


def test_the_pairing_note_is_whole_sentences_in_either_language() -> None:
    """note(): one sentence per fact, each a catalog entry; the earlier-rate dates a list of whole items (five
    named, the rest counted), the days in the reader's form; str() is the English the model reads."""
    from oilfx.market.history.pairing import NOTE_DATES, note

    earlier = [(date(2026, 2, 16 + i), date(2026, 2, 13)) for i in range(NOTE_DATES + 2)]
    msg = note(("Naver",), earlier, [date(2026, 1, 2)])
    assert str(msg) == (
        "Each close × the USD/KRW rate (Naver) of the same day. 7 dates had no rate that day and used the latest "
        "before it: 2026-02-16 used 2026-02-13's rate, 2026-02-17 used 2026-02-13's rate, 2026-02-18 used "
        "2026-02-13's rate, 2026-02-19 used 2026-02-13's rate, 2026-02-20 used 2026-02-13's rate, and 2 more dates. "
        "No rate on or before 2026-01-02, so 1 date is left without a value.")
    korean = KO.render(msg)
    items = [KO.t("{day} used {rate_day}'s rate", day=d, rate_day=r) for d, r in earlier[:NOTE_DATES]]
    items.append(KO.n("and {count} more date", "and {count} more dates", 2))
    assert korean == " ".join([
        KO.t("Each close × the USD/KRW rate ({sources}) of the same day.", sources="Naver"),
        KO.n("{count} date had no rate that day and used the latest before it: {dates}.",
             "{count} dates had no rate that day and used the latest before it: {dates}.", 7,
             dates=", ".join(items)),
        KO.n("No rate on or before {day}, so {count} date is left without a value.",
             "No rate on or before {day}, so {count} dates are left without a value.", 1, day=date(2026, 1, 2))])
    assert "2026년 2월 16일" in korean and "2026-" not in korean and "used" not in korean
    assert str(note(("FRED",), [], [])) == "Each close × the USD/KRW rate (FRED) of the same day."
