"""Market against the fixture-pages server: fallback order, failure reasons, HTTP discipline, staleness, caching."""

from __future__ import annotations

import threading
from datetime import date, datetime
from decimal import Decimal

import pytest

from oilfx.config import load_settings
from oilfx.i18n import KO
from oilfx.market import KST, Market, MarketUnavailable, MemoryCache, last_trading_day
from oilfx.market.http import BROWSER_USER_AGENT
from oilfx.market.sources import frankfurter, naver_fx, naver_mobile, opinet
from oilfx.market.sources.base import parse_decimal
from tests.fakes.pages import (
    FRANKFURTER_PATH,
    FRANKFURTER_USDKRW,
    FRED_BRENT,
    FRED_PATH,
    FRED_WTI,
    KNOC_PATH,
    NAVER_FX_PATH,
    NAVER_MOBILE_USDKRW,
    NAVER_WORLD,
    NAVER_WORLD_PATH,
    OPINET_PATH,
    REFERENCE_OIL,
    REFERENCE_OIL_AS_OF,
    REFERENCE_PUMP,
    REFERENCE_USDKRW,
    fixture_bytes,
)

REF_DAY = date.fromisoformat(REFERENCE_OIL_AS_OF)
# The evening of the seed's run: the 2023-11-28 settlements are the latest there can be.
SEED_EVENING = datetime(2023, 11, 29, 18, 0, tzinfo=KST)


def market(server, clock=lambda: SEED_EVENING, **env) -> Market:
    return Market(load_settings(server.env(**{"OILFX_HTTP_READ_TIMEOUT": "0.3", **env})), clock=clock)


def test_reference_case_from_opinet_and_naver(pages_server):
    quote = market(pages_server).quote()
    assert {b: str(p.usd) for b, p in quote.oil.items()} == REFERENCE_OIL
    assert {p.source for p in quote.oil.values()} == {opinet.NAME}
    assert all(p.as_of == REF_DAY and not p.stale for p in quote.oil.values())
    assert quote.fx.rate == parse_decimal(REFERENCE_USDKRW)
    assert quote.fx.source == f"{naver_fx.NAME} (하나은행)" and not quote.fx.stale
    assert quote.missing == {}
    assert quote.fx.as_of.tzinfo is not None and quote.fetched_at.tzinfo is not None
    # Only the first source of each kind was asked.
    assert pages_server.total() == 2


def test_browser_user_agent_is_sent(pages_server):
    market(pages_server).fx()
    assert pages_server.last_headers(NAVER_FX_PATH)["User-Agent"] == BROWSER_USER_AGENT


def test_opinet_posts_its_form_for_the_last_two_weeks_to_the_clock_date(pages_server):
    market(pages_server).oil()
    form = pages_server.last_form(OPINET_PATH)
    assert form == {k: [v for key, v in opinet.form(SEED_EVENING) if key == k] for k, _ in opinet.form(SEED_EVENING)}
    assert (form["END_Y"], form["END_M"], form["END_D"]) == (["2023"], ["11"], ["29"])
    assert pages_server.count(KNOC_PATH) == 0  # crude never comes from KNOC


def test_an_opinet_error_page_falls_back_to_naver(pages_server):
    pages_server.set(OPINET_PATH, fixture="garbage.html")
    oil = market(pages_server).oil()
    assert {b: str(p.usd) for b, p in oil.items()} == REFERENCE_OIL
    assert {p.source for p in oil.values()} == {"Naver"}
    assert pages_server.count(FRED_PATH) == 0


def test_each_benchmark_from_the_first_source_that_has_it(pages_server):
    # FRED first: it has WTI and Brent but no Dubai, which must still come from Opinet.
    oil = market(pages_server, OILFX_OIL_SOURCES="fred,opinet").oil()
    assert {b: p.source for b, p in oil.items()} == {"WTI": "FRED", "Brent": "FRED", "Dubai": "Opinet"}
    assert pages_server.count(FRED_WTI) == pages_server.count(FRED_BRENT) == 1


def test_naver_only_fetches_the_benchmarks_still_missing(pages_server):
    # Blank the Brent column: Opinet gives Dubai and WTI only.
    lines = [line.split(",") for line in fixture_bytes("opinet_glopcoil.csv").decode("cp949").splitlines()]
    brent = lines[0].index("Brent")
    body = "\r\n".join(",".join("" if i == brent and row is not lines[0] else c for i, c in enumerate(row))
                        for row in lines)
    pages_server.set(OPINET_PATH, body=body.encode("cp949"))
    oil = market(pages_server).oil()
    assert {b: p.source for b, p in oil.items()} == {"Dubai": "Opinet", "WTI": "Opinet", "Brent": "Naver"}
    assert pages_server.count(NAVER_WORLD["Brent"]) == 1
    assert pages_server.count(NAVER_WORLD_PATH) == 1


def test_missing_benchmark_is_reported_with_reasons(pages_server):
    quote = market(pages_server, OILFX_OIL_SOURCES="fred").quote()
    assert set(quote.oil) == {"WTI", "Brent"}
    assert quote.missing == {"Dubai": "fred: FRED has no Dubai series"}


def test_all_oil_sources_fail_with_one_error_naming_each(pages_server):
    pages_server.set(OPINET_PATH, fixture="garbage.html")
    pages_server.set(NAVER_WORLD_PATH, status=503)
    pages_server.set(FRED_PATH, delay=1.0)
    with pytest.raises(MarketUnavailable) as e:
        market(pages_server).oil()
    html = "Opinet answered an HTML page, not the CSV (form refused or site changed)"
    assert str(e.value) == f"no crude prices: opinet: {html}; naver: HTTP 503; fred: timeout after 0.3 s"
    assert e.value.failures == [("opinet", html), ("naver", "HTTP 503"), ("fred", "timeout after 0.3 s")]


def test_empty_quote_table_is_a_reason(pages_server):
    pages_server.set(NAVER_WORLD_PATH, fixture="naver_world_empty.html")
    with pytest.raises(MarketUnavailable) as e:
        market(pages_server, OILFX_OIL_SOURCES="naver").oil()
    assert e.value.failures == [("naver", "empty quote table")]


def test_fx_fallback_order(pages_server):
    pages_server.set(NAVER_FX_PATH, fixture="garbage.html")
    assert market(pages_server).fx().source == naver_mobile.NAME
    pages_server.set(NAVER_MOBILE_USDKRW, status=500)
    rate = market(pages_server).fx()
    assert rate.source == frankfurter.NAME
    assert rate.rate == frankfurter.parse(fixture_bytes("frankfurter_latest.json"))[0]


def test_quote_with_oil_and_fx_down_names_every_failure(pages_server):
    pages_server.set(OPINET_PATH, status=404)
    pages_server.set(NAVER_FX_PATH, status=404)
    with pytest.raises(MarketUnavailable) as e:
        market(pages_server, OILFX_OIL_SOURCES="opinet", OILFX_FX_SOURCES="naver").quote()
    assert str(e.value) == "no crude prices: opinet: HTTP 404; no USD/KRW rate: naver: HTTP 404"
    assert e.value.failures == [("opinet", "HTTP 404"), ("naver", "HTTP 404")]


def test_every_naver_page_down_dubai_from_opinet_rate_from_frankfurter(pages_server):
    for route in (NAVER_FX_PATH, NAVER_WORLD_PATH, NAVER_MOBILE_USDKRW):
        pages_server.set(route, status=503)
    quote = market(pages_server).quote()
    assert quote.oil["Dubai"].source == opinet.NAME and str(quote.oil["Dubai"].usd) == REFERENCE_OIL["Dubai"]
    assert quote.fx.source == frankfurter.NAME
    assert quote.fx.rate == frankfurter.parse(fixture_bytes("frankfurter_latest.json"))[0]


def test_pump_prices_from_knoc_cached_and_failing_clearly(pages_server):
    m = market(pages_server)
    assert {p.product: str(p.krw_per_litre) for p in m.pump()} == REFERENCE_PUMP
    m.pump()
    assert pages_server.count(KNOC_PATH) == 1
    assert str(m.pump_line()).startswith("Pump prices (KNOC national average, ")
    assert KO.render(m.pump_line()).startswith(KO.t("Pump prices ({sources} national average, {day}): {items}",
                                                    sources="KNOC", day=m.pump()[0].as_of, items=""))
    pages_server.set(KNOC_PATH, status=503)
    fresh = market(pages_server)
    with pytest.raises(MarketUnavailable) as e:
        fresh.pump()
    assert e.value.failures == [("knoc", "HTTP 503")]
    assert str(fresh.pump_line()) == "Pump prices unavailable (no pump prices: knoc: HTTP 503)"
    pages_server.set(KNOC_PATH, status=200, fixture="garbage.html")
    with pytest.raises(MarketUnavailable, match=r"no div#panel1-1 \(휘발유\)"):
        market(pages_server).pump()


def test_one_retry_at_most_on_server_errors_none_on_client_errors(pages_server):
    pages_server.set(NAVER_FX_PATH, status=503)
    pages_server.set(NAVER_MOBILE_USDKRW, status=404)
    assert market(pages_server).fx().source == frankfurter.NAME
    assert pages_server.count(NAVER_FX_PATH) == 2
    assert pages_server.count(NAVER_MOBILE_USDKRW) == 1
    assert pages_server.count(FRANKFURTER_USDKRW) == 1


def test_timeouts_are_not_retried(pages_server):
    pages_server.set(NAVER_FX_PATH, delay=1.0)
    assert market(pages_server).fx().source == naver_mobile.NAME
    assert pages_server.count(NAVER_FX_PATH) == 1


def test_a_source_shares_one_retry_across_its_pages(pages_server):
    pages_server.set(NAVER_WORLD_PATH, status=502)
    with pytest.raises(MarketUnavailable):
        market(pages_server, OILFX_OIL_SOURCES="naver").oil()
    assert pages_server.count(NAVER_WORLD_PATH) == 4  # three pages, one of them retried once


def test_connection_refused_is_a_reason(pages_server):
    settings = load_settings(pages_server.env(OILFX_FX_SOURCES="frankfurter"))
    pages_server.stop()
    with pytest.raises(MarketUnavailable) as e:
        Market(settings).fx()
    assert e.value.failures == [("frankfurter", "connection failed (connection refused)")]


def test_redirects_are_not_followed(pages_server):
    elsewhere = "/not-from-settings/"
    pages_server.set(elsewhere, fixture="naver_marketindex.html")
    pages_server.set(NAVER_FX_PATH, status=302, body=b"", headers={"Location": pages_server.url + elsewhere})
    with pytest.raises(MarketUnavailable) as e:
        market(pages_server, OILFX_FX_SOURCES="naver").fx()
    assert e.value.failures == [("naver", f"HTTP 302 redirect to {pages_server.url}{elsewhere}; "
                                          "if that is the new address, set OILFX_NAVER_URL")]
    assert pages_server.count(elsewhere) == 0


def test_the_old_frankfurter_host_redirect_names_the_new_url_and_the_setting(pages_server):
    # api.frankfurter.app/latest has answered 301 -> api.frankfurter.dev/v1/latest since 2026 (PROVENANCE.md).
    old = "/frankfurter-app/latest"
    new = "https://api.frankfurter.dev/v1/latest?from=USD&to=KRW"
    pages_server.set(old, status=301, body=b"", headers={"Location": new})
    with pytest.raises(MarketUnavailable) as e:
        market(pages_server, OILFX_FX_SOURCES="frankfurter", OILFX_FRANKFURTER_URL=pages_server.url + old).fx()
    (name, reason), = e.value.failures
    assert name == "frankfurter" and new in reason and "OILFX_FRANKFURTER_URL" in reason
    assert pages_server.count(FRANKFURTER_PATH) == 0


def test_a_retried_request_keeps_the_size_cap_and_the_body_deadline(pages_server):
    from oilfx.market.http import MAX_PAGE_BYTES

    pages_server.set(NAVER_FX_PATH, fail_first=1, body=b"<html>" + b" " * (MAX_PAGE_BYTES + 1))
    with pytest.raises(MarketUnavailable) as e:
        market(pages_server, OILFX_FX_SOURCES="naver").fx()
    assert e.value.failures[0][1].startswith("page too large")
    assert pages_server.count(NAVER_FX_PATH) == 2  # 503, retried once, then refused for its size
    # Each piece arrives well within the 0.3 s read timeout, but the whole body would take ~2 s: past the deadline.
    pages_server.reset()
    pages_server.set(NAVER_FX_PATH, fail_first=1, body=b"x" * 2000, trickle=0.1)
    with pytest.raises(MarketUnavailable) as e:
        market(pages_server, OILFX_FX_SOURCES="naver").fx()
    assert e.value.failures == [("naver", "page kept streaming past the read deadline")]
    assert pages_server.count(NAVER_FX_PATH) == 4


@pytest.mark.parametrize("now,stale", [
    (SEED_EVENING, False),
    (datetime(2023, 11, 29, 0, 5, tzinfo=KST), False),          # just after midnight KST: last trading day is 11-28
    (datetime(2023, 11, 30, 9, 0, tzinfo=KST), True),           # the 11-29 settlement should exist by now
    (datetime(2023, 12, 4, 9, 0, tzinfo=KST), True),            # Monday: last trading day is Friday 12-01
])
def test_stale_flag_follows_the_clock(pages_server, now, stale):
    quote = market(pages_server, clock=lambda: now).quote()
    assert all(p.stale is stale for p in quote.oil.values())
    assert (last_trading_day(now) > REF_DAY) is stale


def test_friday_settlement_is_fresh_on_monday(pages_server):
    page = fixture_bytes("naver_world_OIL_CL.html").decode("cp949").replace("2023.11.28", "2023.12.01", 1)
    pages_server.set(NAVER_WORLD["WTI"], body=page.encode("cp949"))
    monday = datetime(2023, 12, 4, 9, 0, tzinfo=KST)
    oil = market(pages_server, clock=lambda: monday, OILFX_OIL_SOURCES="naver").oil()
    assert oil["WTI"].as_of == date(2023, 12, 1) and not oil["WTI"].stale
    assert oil["Brent"].stale


def test_stale_is_recomputed_from_cache_with_the_current_clock(pages_server):
    now = [SEED_EVENING]
    m = market(pages_server, clock=lambda: now[0])
    assert not m.oil()["WTI"].stale
    now[0] = datetime(2023, 12, 5, 9, 0, tzinfo=KST)
    assert m.oil()["WTI"].stale
    assert pages_server.count(OPINET_PATH) == 1


def test_warm_cache_makes_no_request(pages_server):
    m = market(pages_server)
    first = m.quote()
    before = pages_server.total()
    second = m.quote()
    assert pages_server.total() == before
    assert second.oil == first.oil and second.fx == first.fx


def test_ttl_zero_refetches(pages_server):
    m = market(pages_server, OILFX_CACHE_TTL="0")
    m.fx()
    m.fx()
    assert pages_server.count(NAVER_FX_PATH) == 2


def test_failures_are_not_cached(pages_server):
    pages_server.set(NAVER_FX_PATH, status=404)
    m = market(pages_server, OILFX_FX_SOURCES="naver")
    with pytest.raises(MarketUnavailable):
        m.fx()
    pages_server.reset()
    assert m.fx().rate == parse_decimal(REFERENCE_USDKRW)


def test_fifty_cold_callers_cause_one_request_per_source(pages_server):
    # Opinet is broken, so oil needs two sources: each must still be asked once, not fifty times.
    pages_server.set(OPINET_PATH, fixture="garbage.html")
    pages_server.delay = 0.2  # keep the first flight in the air while the others arrive
    m = market(pages_server)
    start = threading.Barrier(50)
    quotes, errors = [], []

    def call() -> None:
        start.wait()
        try:
            quotes.append(m.quote())
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=call) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == [] and len(quotes) == 50
    assert pages_server.count(OPINET_PATH) == 1
    assert all(pages_server.count(NAVER_WORLD[b]) == 1 for b in NAVER_WORLD)
    assert pages_server.count(NAVER_FX_PATH) == 1
    assert pages_server.total() == 5
    assert len({q.oil["WTI"].usd for q in quotes}) == 1


def test_oil_and_fx_are_fetched_concurrently(pages_server):
    # Each page holds its request open long enough that a sequential client could never overlap them.
    pages_server.set(OPINET_PATH, delay=0.3)
    pages_server.set(NAVER_FX_PATH, delay=0.3)
    market(pages_server, OILFX_HTTP_READ_TIMEOUT="5").quote()
    assert pages_server.total() == 2
    assert pages_server.peak_in_flight() == 2


def test_injected_cache_is_used(pages_server):
    cache = MemoryCache()
    market(pages_server).quote()
    m1 = Market(load_settings(pages_server.env()), cache=cache, clock=lambda: SEED_EVENING)
    m2 = Market(load_settings(pages_server.env()), cache=cache, clock=lambda: SEED_EVENING)
    before = pages_server.total()
    assert m1.quote().fx.rate == m2.quote().fx.rate == Decimal(parse_decimal(REFERENCE_USDKRW))
    assert pages_server.total() - before == 2
