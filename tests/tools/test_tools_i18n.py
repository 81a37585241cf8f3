"""What the tools, the engines and the guard hand up to users is Text: rendered in the reader's language (Korean
dates, 두바이유/브렌트유, Korean sentences from the catalog), while str() and the model's JSON stay English/ISO."""

from __future__ import annotations

import json

import httpx2 as httpx
import openai

from oilfx.config import Settings
from oilfx.engines import Answer, EngineError
from oilfx.engines.base import with_notices
from oilfx.engines.client import LOST_CONTEXT, describe
from oilfx.guard import guard_answer, removed_warning
from oilfx.i18n import EN, KO, Lang, Msg, format_day, format_moment, lazy
from oilfx.i18n.joins import joined
from oilfx.market import Market
from oilfx.tools import FailureKind, ToolResult, ToolStep, default_registry


def test_a_conversions_sources_and_summary_read_in_either_language(market: Market) -> None:
    step = default_registry(market).call("c1", "oil_price_krw", '{"benchmark": "Dubai", "unit": "litre"}')
    result, payload = step.result, json.loads(step.output)
    oil, fx = result.sources
    day, moment = market.oil()["Dubai"].as_of, market.fx().as_of
    assert (EN.render(oil.label), KO.render(oil.label)) == ("Dubai", "두바이유")
    assert str(oil.as_of) == f"{day.isoformat()} settlement"
    assert KO.render(oil.as_of) == f"{format_day(day, Lang.KO)} 정산가"
    assert KO.render(oil.as_of).startswith(f"{day.year}년 ")
    assert (str(fx.as_of), KO.render(fx.as_of)) == (format_moment(moment, Lang.EN), format_moment(moment, Lang.KO))
    shown, formula = result.figures[0].display, payload["formula"]
    assert str(result.summary) == f"{shown} ({formula})"
    assert KO.render(result.summary) == f"{shown} (계산: {formula})"
    # the model's JSON and `ask --json` stay English and ISO, whoever reads the answer
    assert payload["sources"][0] == {"label": "Dubai", "source": oil.source, "as_of": f"{day.isoformat()} settlement"}
    assert result.as_json()["sources"] == payload["sources"]


def test_each_benchmarks_line_is_its_own_entry_joined_as_a_list(market: Market) -> None:
    result = default_registry(market).call("c1", "oil_price", "{}").result
    prices = market.oil()
    english = "; ".join(f"{b} {f.display} ({p.source}, {p.as_of.isoformat()} settlement)"
                        for (b, p), f in zip(prices.items(), result.figures, strict=True))
    assert str(result.summary) == EN.render(result.summary) == english
    korean = KO.render(result.summary)
    names = {"Dubai": "두바이유", "WTI": "WTI", "Brent": "브렌트유"}
    assert korean == " · ".join(
        f"{names[b]} {f.display} ({p.source}, {format_day(p.as_of, Lang.KO)} 정산가 기준)"
        for (b, p), f in zip(prices.items(), result.figures, strict=True))


def test_joined_is_empty_one_item_or_a_list() -> None:
    assert joined([]) == ""
    assert joined(["a"]) == "a"
    assert (str(joined(["a", lazy("done"), "c"])), KO.render(joined(["a", lazy("done"), "c"]))) == \
        ("a; done; c", "a · 완료 · c")


def _status_error(status: int, message: str) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://127.0.0.1:9/v1/responses")
    body = {"message": message, "type": "server_error", "code": None}
    return openai.InternalServerError(message, response=httpx.Response(status, request=request), body=body)


def test_an_engine_error_is_english_for_logs_and_the_readers_language_for_users() -> None:
    settings = Settings(openai_max_retries=1)
    error = EngineError(describe(_status_error(500, "boom"), settings))
    assert str(error) == "OpenAI returned HTTP 500 after 2 attempts (server_error: boom)."
    assert isinstance(error.text, Msg) and EN.render(error.text) == str(error)
    assert KO.render(error.text) == "OpenAI가 HTTP 500 오류를 돌려줬어요(2번 시도, server_error: boom)."
    once = EngineError(describe(_status_error(500, "boom"), Settings(openai_max_retries=0)))
    assert KO.render(once.text) == KO.t("OpenAI returned HTTP {status} ({detail}).", status=500,
                                        detail="server_error: boom")


def test_notices_are_appended_in_the_readers_language() -> None:
    answer = Answer("WTI는 ₩98,492입니다.", (), "conv_2", "responses", notices=(LOST_CONTEXT,))
    assert with_notices(answer, KO).text == f"WTI는 ₩98,492입니다.\n\nℹ️ {KO.render(LOST_CONTEXT)}"
    assert with_notices(answer, EN).text.endswith(f"ℹ️ {LOST_CONTEXT}")
    assert "이전 대화" in KO.render(LOST_CONTEXT)


def _failed_step(message: Msg) -> ToolStep:
    result = ToolResult.failed(FailureKind.DATA, message, lazy("Fetching {title}", title=lazy("the USD/KRW rate")))
    return ToolStep(1, "c1", "usd_krw", "{}", json.dumps(result.payload), False, 1.0, result)


def test_the_guards_lines_follow_the_reader_and_count_in_their_plural() -> None:
    down = _failed_step(lazy("{name} failed: {error}", name="usd_krw", error="naver: HTTP 503"))
    answer = Answer("환율은 ₩1,300 정도예요.", (down,), "conv_3", "responses")
    korean, removed = guard_answer(answer, KO)
    assert removed == ["₩1,300"]
    assert korean.text.endswith("\n\n⚠️ 시장 데이터를 가져오지 못했어요: usd_krw 실패: naver: HTTP 503\n"
                                + KO.render(removed_warning(1)))
    assert KO.render(removed_warning(2)).startswith("⚠️ oilfx가 시장 데이터에서 나오지 않은 수치 2개를")
    english, _ = guard_answer(answer, EN)
    assert english.text.endswith("⚠️ Market data unavailable: usd_krw failed: naver: HTTP 503\n⚠️ oilfx removed 1 "
                                 "figure from this answer that did not come from its market data; ask again for a "
                                 "sourced figure.")
    assert "2 figures from" in EN.render(removed_warning(2))
    # the model quoted the failure (it reads English): not repeated
    quoted = Answer("Sorry: usd_krw failed: naver: HTTP 503", (down,), "conv_3", "responses")
    assert guard_answer(quoted, KO) == (quoted, [])
