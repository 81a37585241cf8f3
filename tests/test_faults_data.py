"""Data faults: parsers fed hostile pages never crash (only SourceError), and no won figure reaches Slack
unless a tool produced it — also when every source is down and the model makes one up."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oilfx.config import load_settings
from oilfx.engines.base import Answer, ToolStep
from oilfx.guard import REMOVED, guard_answer, unsourced
from oilfx.i18n import EN
from oilfx.market import Market, Quote, format_krw, format_krw_litre, now_utc
from oilfx.market.errors import SourceError
from oilfx.market.sources import frankfurter, fred, knoc, naver_fx, naver_mobile, naver_oil, opinet
from oilfx.tools import FailureKind, Figure, FigureKind, ToolResult, default_registry
from tests.fakes.bot_process import BotProcess, start_connected
from tests.fakes.fixed_market import FixedMarket
from tests.fakes.openai_server import INVENTED, FakeOpenAI, Script
from tests.fakes.pages import (
    FRANKFURTER_PATH,
    FRED_PATH,
    NAVER_FX_PATH,
    NAVER_MOBILE_PATH,
    NAVER_WORLD_PATH,
    OPINET_PATH,
    PagesServer,
    fixture_bytes,
)
from tests.fakes.slack_server import FakeSlack

PARSERS = {"opinet": opinet.parse, "knoc": knoc.parse, "naver_fx": naver_fx.parse, "naver_oil": naver_oil.parse,
           "naver_mobile": naver_mobile.parse, "frankfurter": frankfurter.parse, "fred": fred.parse}
SEEDS = {"opinet": "opinet_glopcoil.csv", "knoc": "knoc_home.html",
         "naver_fx": "naver_marketindex.html", "naver_oil": "naver_world_OIL_CL.html",
         "naver_mobile": "naver_mobile_usdkrw.json", "frankfurter": "frankfurter_latest.json",
         "fred": "fred_DCOILWTICO.csv"}


def _step(result: ToolResult, ok: bool = True, name: str = "oil_price_krw") -> ToolStep:
    return ToolStep(round=1, call_id="c1", name=name, arguments="{}", output="{}", ok=ok, duration_ms=1.0,
                    result=result)


def _krw_step(market_quote: Quote, unit: str = "barrel") -> ToolStep:
    registry = default_registry(FixedMarket(market_quote))
    return registry.call("c1", "oil_price_krw", f'{{"benchmark":"WTI","unit":"{unit}"}}', 1)


# --- the guard ---------------------------------------------------------------------------------------------

def test_sourced_won_figures_pass_in_every_spelling(quote):
    step = _krw_step(quote)
    per_barrel = quote.krw_per_barrel("WTI")
    shown = format_krw(per_barrel)                      # ₩98,492
    digits = shown.removeprefix("₩")
    exact = f"{per_barrel.quantize(Decimal('0.01')):,}"  # 98,492.49, the formula's result
    rate = step.result.figures[3].display
    text = f"WTI is {shown} ({digits}원, {digits} 원, KRW {digits}, {exact}원). USD/KRW {rate}원."
    answer = Answer(text, (step,), "conv_1", "responses")
    assert unsourced(answer) == []
    assert guard_answer(answer, EN) == (answer, [])


def test_an_invented_won_figure_is_removed_and_flagged(quote):
    step = _krw_step(quote, "litre")
    sourced = format_krw_litre(quote.krw_per_litre("WTI"))
    answer = Answer(f"WTI is {sourced} per litre, about {INVENTED[0]} a barrel ({INVENTED[1]}).", (step,),
                    "conv_1", "responses")
    guarded, removed = guard_answer(answer, EN)
    assert removed == list(INVENTED)
    assert sourced in guarded.text and REMOVED in guarded.text and "did not come from" in guarded.text
    for invented in INVENTED:
        assert invented not in guarded.text


def test_figures_of_failed_tool_steps_do_not_count():
    failed = _step(replace(ToolResult.failed(FailureKind.DATA, "down"),
                           figures=(Figure(FigureKind.KRW, Decimal("98492"), "₩98,492"),)), ok=False)
    answer = Answer("WTI is ₩98,492.", (failed,), "conv_1", "responses")
    assert unsourced(answer) == ["₩98,492"]


def test_no_tool_steps_means_no_won_figure_survives():
    guarded, removed = guard_answer(Answer("대략 9,800원 또는 ₩ 100,000 정도입니다.", (), "conv_1", "chat"), EN)
    assert removed == ["9,800원", "₩ 100,000"] and "9,800" not in guarded.text and "100,000" not in guarded.text


# --- fuzzed pages --------------------------------------------------------------------------------------------

def _mutations(seed: bytes) -> st.SearchStrategy[bytes]:
    truncated = st.integers(0, len(seed)).map(lambda n: seed[:n])
    reencoded = st.sampled_from(["utf-8", "utf-16", "latin-1", "cp949", "ascii"]).map(
        lambda enc: seed.decode("cp949", errors="replace").encode(enc, errors="replace"))
    odd_numbers = st.sampled_from(["76.41", "1,289.00"]).flatmap(lambda n: st.sampled_from(
        ["76,41", "7.6.41", "1.289,00", "1 289.00", "１,２８９", "-76.41", "1e400", "NaN", "∞", "", "0"]).map(
        lambda odd, n=n: seed.replace(n.encode(), odd.encode())))
    spliced = st.tuples(st.integers(0, len(seed)), st.binary(max_size=64)).map(
        lambda t: seed[:t[0]] + t[1] + seed[t[0]:])
    return st.one_of(truncated, reencoded, odd_numbers, spliced, st.binary(max_size=512))


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_pages_never_crash_a_parser(name, data):
    page = data.draw(_mutations(fixture_bytes(SEEDS[name])))
    try:
        PARSERS[name](page)
    except SourceError as e:
        assert str(e)  # a reason the fallback can name
    except Exception as e:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"{name}.parse raised {type(e).__name__}: {e}")


def test_a_huge_page_is_a_source_error_not_a_hang():
    page = b"<html><body>" + b"<div>" * 30_000 + b"76.41" + b"</div>" * 30_000 + b"<p>x</p>" * 100_000
    for name in ("knoc", "naver_fx", "naver_oil"):
        with pytest.raises(SourceError):
            PARSERS[name](page)


# --- end to end: every source down, and a model that invents ------------------------------------------------

@pytest.fixture(scope="module")
def servers(pages: PagesServer) -> Iterator[tuple[FakeSlack, FakeOpenAI]]:
    slack, openai_fake = FakeSlack().start(), FakeOpenAI().start()
    yield slack, openai_fake
    slack.stop()
    openai_fake.stop()


@pytest.fixture(scope="module")
def bot(servers, pages: PagesServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    slack, openai_fake = servers
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_CACHE_TTL": "0",
           "OILFX_DB": str(tmp_path_factory.mktemp("data") / "oilfx.db"), "OILFX_OPENAI_MAX_RETRIES": "0"}
    process = start_connected(env, slack)
    yield process
    process.stop()


def test_every_source_down_names_them_and_no_invented_figure_reaches_slack(bot, servers, pages):
    slack, openai_fake = servers
    for route in (OPINET_PATH, NAVER_WORLD_PATH, FRED_PATH, NAVER_FX_PATH, NAVER_MOBILE_PATH, FRANKFURTER_PATH):
        pages.set(route, status=503)
    openai_fake.script = Script.misbehave("invent")
    try:
        payload = slack.app_mention("WTI in won?", channel="C0ALLDOWN")
        slack.wait_ack(slack.deliver("events_api", payload))
        reply = slack.wait_for_message(channel="C0ALLDOWN", thread_ts=payload["event"]["ts"],
                                       contains="did not come from", timeout=20)
    finally:
        pages.reset()
        openai_fake.script = Script()
    sent = "\n".join(str(c.params.get("text")) + str(c.params.get("blocks")) for c in slack.calls
                     if c.method in ("chat.postMessage", "chat.update") and c.params.get("channel") == "C0ALLDOWN")
    for invented in INVENTED:
        assert invented.strip("₩원") not in sent
    assert "No market data used" in reply.all_text  # no source is claimed for an answer without data
    assert "Market data unavailable" in reply.all_text
    for source in ("opinet", "naver", "fred", "naver_mobile", "frankfurter"):
        assert f"{source}: " in reply.all_text
    assert "HTTP 503" in reply.all_text


def test_a_sourced_answer_keeps_its_figure_and_loses_the_invented_one(bot, servers, quote):
    slack, openai_fake = servers
    with openai_fake.scripted(Script.misbehave("invent")):
        payload = slack.app_mention("WTI in won per barrel?", channel="C0INVENT")
        slack.wait_ack(slack.deliver("events_api", payload))
        reply = slack.wait_for_message(channel="C0INVENT", thread_ts=payload["event"]["ts"],
                                       contains=format_krw(quote.krw_per_barrel("WTI")), timeout=20)
    assert "did not come from" in reply.all_text
    assert INVENTED[0] not in reply.all_text and INVENTED[1] not in reply.all_text


def test_a_huge_page_from_a_source_is_refused_and_the_next_source_used(pages):
    from oilfx.market.http import MAX_PAGE_BYTES, SourceHttp, new_session

    pages.set(OPINET_PATH, body=b"<html>" + b" " * (MAX_PAGE_BYTES + 1))
    try:
        settings = load_settings(pages.env(OILFX_CACHE_TTL="0"))
        with pytest.raises(SourceError, match="page too large"):
            SourceHttp(new_session(), settings).post(settings.opinet_url, opinet.form(now_utc()),
                                                     setting="OILFX_OPINET_URL")
        prices = Market(settings).oil()
    finally:
        pages.reset()
    assert prices["WTI"].source != opinet.NAME and prices["WTI"].usd == Decimal("76.41")


@pytest.mark.parametrize("page", [b"\r\x00", b"observation_date,X\r\n2023-11-28,\x0076.41\r", b'"unterminated\r\n'])
def test_fred_corrupt_csv_found_by_fuzzing_is_a_source_error(page):
    with pytest.raises(SourceError):
        fred.parse(page)
