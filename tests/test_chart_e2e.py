"""Charts end to end through `python bot.py` (Socket Mode) against the fakes: `/oilprice chart` posts a summary and
uploads the PNG into its thread with no model call; a question whose model turn calls price_history(chart=true)
gets the answer, then the chart, in its thread (streamed and placeholder answers alike). Nothing of oilfx is mocked.

The history comes from FRED's real WTI copy (../shared/real_pages), re-dated by whole weeks so that its last row
falls on today (the bot asks for the month ending today); weekdays stay weekdays and holidays stay empty cells.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from PIL import Image

from oilfx.charts import render_png, summary_line
from oilfx.config import load_settings
from oilfx.i18n import EN, KO
from oilfx.market import KST, Market, format_usd
from oilfx.market.history.series import ChartRequest, Period, Unit
from oilfx.slack.chart_post import describe
from tests.fakes.bot_process import BotProcess, start_connected
from tests.fakes.history_pages import FRED_REAL, HISTORY_END
from tests.fakes.pages import FRED_WTI, PagesServer
from tests.fakes.slack_server import FakeSlack
from tests.test_cli_history import top

TIMEOUT = 20.0
CHART_ARGS = json.dumps({"benchmark": "WTI", "period": "1m", "unit": "usd", "chart": True})


@pytest.fixture(scope="module")
def closes(pages: PagesServer) -> list[tuple[date, Decimal | None]]:
    """The re-dated FRED rows the fake serves: (day, close or None for an empty cell)."""
    today = datetime.now(KST).date()
    shift = timedelta(days=(today - HISTORY_END).days // 7 * 7)
    header, *rows = FRED_REAL["WTI"].read_text().splitlines()
    dated = [(date.fromisoformat(d) + shift, v.strip()) for d, v in (r.split(",", 1) for r in rows if r)]
    body = "\n".join([header, *(f"{d.isoformat()},{v}" for d, v in dated)]) + "\n"
    pages.set(FRED_WTI, body=body.encode(), content_type="text/csv")
    return [(d, Decimal(v) if v not in ("", ".") else None) for d, v in dated]


@pytest.fixture(scope="module")
def month(closes) -> list[tuple[date, Decimal]]:
    """The valued closes of the month ending today (what a 1m chart holds), oldest first."""
    today = datetime.now(KST).date()
    start = Period.M1.start(today)
    return [(d, v) for d, v in closes if start <= d <= today and v is not None]


@pytest.fixture(scope="module")
def bot(slack, openai_fake, pages, closes, tmp_path_factory) -> Iterator[BotProcess]:
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_HISTORY_OIL_SOURCES": "fred",
           "OILFX_DB": str(tmp_path_factory.mktemp("charts") / "oilfx.db"), "OILFX_OPENAI_MAX_RETRIES": "0"}
    process = start_connected(env, slack)
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def clean(slack, openai_fake) -> Iterator[None]:
    yield
    slack.clear_faults()
    openai_fake.answers.clear()


def decoded(png: bytes | None) -> Image.Image:
    assert png is not None and png[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def command(slack: FakeSlack, text: str, channel: str) -> None:
    slack.wait_ack(slack.deliver("slash_commands", slack.slash_command(text=text, channel=channel)))


def test_oilprice_chart_posts_the_summary_and_the_png_in_its_thread_without_the_model(bot, slack, openai_fake,
                                                                                       month):
    model_requests = len(openai_fake.requests)
    command(slack, "chart WTI 1m", "C0CHART001")
    [chart] = slack.wait_for(lambda: slack.uploaded("C0CHART001"), TIMEOUT, what="the chart uploaded")
    [summary] = [m for m in slack.posted("C0CHART001") if m.kind == "message"]
    assert summary.thread_ts is None and chart.shared == [("C0CHART001", summary.ts)]
    (first_day, first), (last_day, last) = month[0], month[-1]
    assert f"{format_usd(first)} ({first_day.isoformat()}) → {format_usd(last)} ({last_day.isoformat()})" \
        in summary.text
    change = last - first
    assert ("-" if change < 0 else "+") + format_usd(abs(change)) in summary.text and "FRED" in summary.text
    assert decoded(chart.data).size[0] >= 800 and chart.filename.endswith(".png")
    assert len(openai_fake.requests) == model_requests  # no model call


def test_oilprice_chart_in_korean_with_an_unknown_word_gets_the_usage_only_to_the_user(bot, slack):
    before = len(slack.responses)
    command(slack, "차트 금 1년", "C0CHART002")
    body = slack.wait_for(lambda: len(slack.responses) > before and slack.responses[-1], TIMEOUT,
                          what="the usage line")["body"]
    # a command typed in Korean is answered in Korean
    assert body["response_type"] == "ephemeral" and "`금`" in body["text"] and "사용법" in body["text"]
    assert not slack.posted("C0CHART002") and not slack.uploaded("C0CHART002")


def test_oilprice_chart_where_the_bot_is_not_a_member_says_how_to_fix_it(bot, slack):
    slack.fail("chat.postMessage", "not_in_channel", when=lambda p: p.get("channel") == "C0CHART003")
    before = len(slack.responses)
    command(slack, "chart wti 1m", "C0CHART003")
    body = slack.wait_for(lambda: len(slack.responses) > before and slack.responses[-1], TIMEOUT,
                          what="the not-a-member note")["body"]
    assert body["response_type"] == "ephemeral" and "/invite @oilfx" in body["text"]
    assert not slack.uploaded("C0CHART003")
    assert all(c.params.get("channel_id") != "C0CHART003" for c in slack.calls_to("files.completeUploadExternal"))


@pytest.mark.parametrize("path", ["stream", "placeholder"])
def test_a_chart_the_model_asks_for_follows_the_answer_in_its_thread_once(bot, slack, openai_fake, month, path):
    if path == "placeholder":
        slack.disable_ai_features()
    channel = "C0CHART1" + ("01" if path == "stream" else "02")
    # The same request twice in one turn: drawn and attached once.
    openai_fake.answers.append(([("price_history", CHART_ARGS), ("price_history", CHART_ARGS)],
                                "Here is how WTI moved over the past month."))
    payload = slack.app_mention("How has WTI moved this month? Show a chart.", channel=channel)
    slack.wait_ack(slack.deliver("events_api", payload))
    thread = payload["event"]["ts"]
    answer = slack.wait_for_message(channel=channel, thread_ts=thread, contains="how WTI moved", timeout=TIMEOUT,
                                    final=True)
    [chart] = slack.wait_for(lambda: slack.uploaded(channel, thread), TIMEOUT, what="the chart in the thread")
    [shared] = [m for m in slack.posted(channel, thread) if m.kind == "file"]
    assert float(shared.ts) > float(answer.ts)
    assert answer.kind == ("stream" if path == "stream" else "message")
    decoded(chart.data)
    (_, last) = month[-1]
    assert format_usd(last) in shared.text  # the summary line is the file's comment
    slack.wait_for(lambda: len(slack.calls_to("files.completeUploadExternal")) >= 1, TIMEOUT)
    assert len(slack.uploaded(channel)) == 1


def test_a_korean_question_gets_its_chart_drawn_and_described_in_korean(bot, slack, openai_fake, pages, month):
    """The asker's language reaches the picture: the uploaded PNG's title band is the one render_png draws in
    Korean for the same series (WTI  (달러/배럴), 2026년 …일~…일, 일별 종가), and its title and comment are the
    catalog's Korean with Korean dates."""
    slack.user_locales["U0CHARTKO"] = "ko-KR"
    openai_fake.answers.append(([("price_history", CHART_ARGS)], "지난 한 달 WTI 흐름이에요."))
    payload = slack.app_mention("이번 달 WTI 흐름을 차트로 보여줘", channel="C0CHART301", user="U0CHARTKO")
    slack.wait_ack(slack.deliver("events_api", payload))
    thread = payload["event"]["ts"]
    [chart] = slack.wait_for(lambda: slack.uploaded("C0CHART301", thread), TIMEOUT, what="the chart in the thread")
    [shared] = [m for m in slack.posted("C0CHART301", thread) if m.kind == "file"]
    series = Market(load_settings({**pages.env(), "OILFX_HISTORY_OIL_SOURCES": "fred"})).history(
        "WTI", Period.M1, Unit.USD)
    assert [(p.day, p.value) for p in series.values()] == month   # the bot's series, fetched again here
    request = ChartRequest(("WTI",), Period.M1, Unit.USD)
    assert chart.title == KO.t("oilfx chart: {chart}", chart=describe(request, KO))
    assert KO.render(summary_line(series)) in shared.text and KO.render(month[-1][0]) in shared.text
    decoded(chart.data)
    assert top(chart.data) == top(render_png([series], KO)) != top(render_png([series], EN))


def test_a_refused_upload_leaves_the_answer_and_a_note(bot, slack, openai_fake):
    slack.fail("files.completeUploadExternal", "not_in_channel")
    openai_fake.answers.append(([("price_history", CHART_ARGS)], "WTI over the month, with a chart."))
    payload = slack.app_mention("WTI this month, chart please", channel="C0CHART201")
    slack.wait_ack(slack.deliver("events_api", payload))
    thread = payload["event"]["ts"]
    note = slack.wait_for_message(channel="C0CHART201", thread_ts=thread, contains="chart could not be attached",
                                  timeout=TIMEOUT)
    assert "not_in_channel" in note.text
    texts = slack.thread_texts("C0CHART201", thread)
    assert any("WTI over the month" in t for t in texts) and not slack.uploaded("C0CHART201")
