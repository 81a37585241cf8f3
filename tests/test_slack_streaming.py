"""Streaming replies against the fake Slack with the real WebClient: safe release of model text split across
deltas, task chunks, batching, long answers continued in new messages, and every fallback to the placeholder path."""

from __future__ import annotations

import json
import logging
import time
from decimal import Decimal

import pytest

from oilfx.config import load_settings
from oilfx.engines.base import Answer, ToolStep
from oilfx.guard import REMOVED, guard_answer, sourced_figures
from oilfx.i18n import EN
from oilfx.market.quote import krw_per_barrel, krw_per_litre
from oilfx.slack import stream_writer
from oilfx.slack.app import make_client
from oilfx.slack.render import SlackMessage, neutralise, progress_text
from oilfx.slack.reply import FinalAnswer
from oilfx.slack.stream_text import SafeText, task_result, task_title
from oilfx.slack.streaming import StreamingReply
from oilfx.tools import FailureKind, Figure, Source, ToolResult
from oilfx.tools import FigureKind as K
from tests.fakes.openai_server import EVIL, INVENTED

log = logging.getLogger("test")
USD_WTI, RATE_WTI = Decimal("76.41"), Decimal("1289.00")   # the figures KRW_STEP's display strings show
KRW_STEP = ToolStep(1, "call_9", "oil_price_krw", '{"benchmark":"WTI","unit":"barrel"}', "{}", True, 3.0,
                    ToolResult(sources=(Source("WTI", "KNOC", "2026-11-24 settlement"),),
                               figures=(Figure(K.KRW, krw_per_barrel(USD_WTI, RATE_WTI), "₩98,492"),
                                        Figure(K.KRW_PER_LITRE, krw_per_litre(USD_WTI, RATE_WTI), "₩619.50"),
                                        Figure(K.USD, USD_WTI, "$76.41"), Figure(K.RATE, RATE_WTI, "1,289.00")),
                               formula="76.41 × 1,289.00 = 98,492.49"))


@pytest.fixture
def client(slack_server):
    return make_client(load_settings(slack_server.env()))


def feed_all(text: str, sizes: int, allowed_steps: tuple[ToolStep, ...] = ()) -> tuple[str, SafeText]:
    safe = SafeText()
    safe.allowed = sourced_figures(Answer("", allowed_steps, "", ""))
    out = "".join(safe.feed(text[i:i + sizes]) for i in range(0, len(text), sizes)) + safe.end()
    return out, safe


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_streamed_text_is_neutralised_like_render_whatever_the_delta_boundaries(size):
    text = f"WTI is ₩98,492 per barrel. {EVIL} and @here, a < b > c & d, 1,289.00 KRW rate"
    out, _ = feed_all(text, size, (KRW_STEP,))
    expected = neutralise(text).replace("@here", "@\u200bhere")
    assert out == expected
    assert "<!channel>" not in out and "<@U123>" not in out and "<https://" not in out


@pytest.mark.parametrize("size", [1, 4, 1000])
def test_streamed_won_amounts_no_tool_produced_are_scrubbed_like_the_guard(size):
    text = f"WTI is ₩98,492 per barrel; earlier {INVENTED[0]} ({INVENTED[1]})."
    out, safe = feed_all(text, size, (KRW_STEP,))
    guarded, removed = guard_answer(Answer(text, (KRW_STEP,), "c", "responses"), EN)
    assert removed and "₩98,492" in out and INVENTED[0] not in out and REMOVED in out
    assert guarded.text.startswith(safe.shown.rstrip())  # so the final answer only appends the guard's note


def test_task_titles_and_results_come_from_the_tools_words_and_the_step_result():
    assert task_title("oil_price_krw", '{"benchmark":"wti","unit":"liter"}', EN) == "Converting WTI to won per litre"
    assert task_title("get_<!channel>", "{}", EN) == "Calling get_@\u200bchannel"  # escaped as answers are
    assert task_result(KRW_STEP, EN) == "₩98,492 (76.41 × 1,289.00 = 98,492.49)"
    failed = ToolStep(1, "c", "oil_price", "{}", '{"error":"x"}', False, 1.0,
                      ToolResult.failed(FailureKind.DATA, "oil_price failed: KNOC: HTTP 503 <@U1>"))
    assert task_result(failed, EN) == "oil_price failed: KNOC: HTTP 503 @\u200bU1"


def test_tasks_then_text_then_footer_in_one_streamed_message(slack_server, client, monkeypatch):
    monkeypatch.setattr(stream_writer, "STREAM_INTERVAL", 0.0)
    reply, answer = streamed_turn(client, "100.000001", "WTI is ₩98,492 per barrel.")
    reply.finish(FinalAnswer(answer, EN, feedback_key="k1"))
    msg = slack_server.message("C1", reply.ts)
    assert msg.kind == "stream" and not msg.streaming
    assert msg.params["recipient_user_id"] == "U1" and msg.params["task_display_mode"] == "timeline"
    tasks = [c for c in msg.chunks() if c["type"] == "task_update"]
    assert [t["status"] for t in tasks] == ["in_progress", "complete"]
    assert tasks[1]["output"] == "₩98,492 (76.41 × 1,289.00 = 98,492.49)"
    assert msg.text == "WTI is ₩98,492 per barrel."
    assert [b["type"] for b in msg.blocks] == ["context", "context_actions"]
    assert msg.blocks[1]["elements"][0]["positive_button"]["value"] == "good:k1"


def test_updates_are_batched_to_one_append_per_interval(slack_server, client, monkeypatch):
    monkeypatch.setattr(stream_writer, "STREAM_INTERVAL", 0.3)
    reply = StreamingReply(client, "C1", "101.000001", "T1", "U1", log, EN)
    reply.start()
    for _ in range(200):
        reply.text_delta("word ")
    time.sleep(0.5)  # the timer flushes what the interval held back
    appends = slack_server.calls_to("chat.appendStream")
    assert 1 <= len(appends) <= 2
    answer = Answer("word " * 200, (), "c", "responses")
    reply.finish(FinalAnswer(answer, EN))
    assert slack_server.message("C1", reply.ts).text.strip() == answer.text.strip()


def test_text_held_for_the_next_write_keeps_its_place_before_a_later_task(slack_server, client, monkeypatch):
    # Text deltas are made safe once per write, not per delta: a task queued after them still comes after them.
    monkeypatch.setattr(stream_writer, "STREAM_INTERVAL", 0.3)
    reply = StreamingReply(client, "C1", "101.000002", "T1", "U1", log, EN)
    reply.start()
    for piece in ("Looking ", "it up ", "now. "):
        reply.text_delta(piece)
    reply.tool_started(KRW_STEP.call_id, KRW_STEP.name, KRW_STEP.arguments)
    reply.tool_finished(KRW_STEP)
    reply.text_delta("WTI is ₩98,492 per barrel.")
    text = "Looking it up now. WTI is ₩98,492 per barrel."
    reply.finish(FinalAnswer(Answer(text, (KRW_STEP,), "c", "responses"), EN))
    msg = slack_server.message("C1", reply.ts)
    chunks = msg.chunks()
    first_task = [c["type"] for c in chunks].index("task_update")
    # "Looking " went out at once (a stream's first write does); the rest waited for the interval, then the task
    assert "".join(c["text"] for c in chunks[:first_task] if c["type"] == "markdown_text") == "Looking it up now. "
    assert msg.kind == "stream" and msg.text == text


def test_a_long_answer_continues_in_new_messages_in_the_thread(slack_server, client, monkeypatch):
    monkeypatch.setattr(stream_writer, "STREAM_INTERVAL", 0.0)
    text = "\n\n".join(f"Paragraph {i}: " + "crude " * 40 for i in range(40))  # ~10,000 characters
    reply = StreamingReply(client, "D1", "102.000001", "T1", "U1", log, EN)
    reply.start()
    for i in range(0, len(text), 50):
        reply.text_delta(text[i:i + 50])
    answer = Answer(text, (), "c", "responses")
    reply.finish(FinalAnswer(answer, EN, feedback_key="k2"))
    posted = slack_server.posted("D1", "102.000001")
    assert len(posted) >= 3 and all(not m.streaming for m in posted)
    assert all(len(m.text) <= stream_writer.STREAM_TEXT_LIMIT for m in posted)
    assert "".join(m.text for m in posted) == text
    assert posted[-1].blocks and posted[-1].blocks[-1]["type"] == "context_actions"


def test_start_stream_refused_falls_back_to_the_placeholder(slack_server, client):
    slack_server.disable_ai_features()
    reply = StreamingReply(client, "C1", "103.000001", "T1", "U1", log, EN)
    reply.start()
    reply.tool_started("call_9", "oil_price_krw", "{}")
    reply.text_delta("WTI is ₩98,492")
    answer = Answer("WTI is ₩98,492 per barrel.", (KRW_STEP,), "c", "responses")
    reply.finish(FinalAnswer(answer, EN))
    msg = slack_server.message("C1", reply.ts)
    assert msg.kind == "message" and msg.versions[0]["text"] == progress_text(EN)
    assert "₩98,492" in msg.all_text
    assert not slack_server.calls_to("chat.appendStream")


class WithSteps(FinalAnswer):
    """An answer followed by one message (the breakdown, when asked for)."""

    def follow_ups(self) -> list[SlackMessage]:
        return [SlackMessage("steps")]


def test_a_failed_stop_or_text_that_changed_is_replaced_by_the_rendered_answer(slack_server, client, monkeypatch):
    monkeypatch.setattr(stream_writer, "STREAM_INTERVAL", 0.0)
    reply = StreamingReply(client, "C1", "104.000001", "T1", "U1", log, EN)
    reply.start()
    reply.text_delta("Let me look that up. ")  # a tool round's preamble that the final answer does not repeat
    answer = Answer("WTI is ₩98,492 per barrel.", (KRW_STEP,), "c", "responses")
    slack_server.fail("chat.stopStream", "internal_error")
    reply.finish(WithSteps(answer, EN))
    texts = slack_server.thread_texts("C1", "104.000001")
    assert "₩98,492" in texts[0] and "Let me look" not in texts[0] and texts[1].startswith("steps")


def test_failure_mid_stream_ends_running_tasks_with_error_and_says_why(slack_server, client, monkeypatch):
    monkeypatch.setattr(stream_writer, "STREAM_INTERVAL", 0.0)
    reply = StreamingReply(client, "C1", "105.000001", "T1", "U1", log, EN)
    reply.start()
    reply.tool_started("call_1", "oil_price", "{}")
    reply.fail("OpenAI returned HTTP 500 twice; try again in a minute.")
    msg = slack_server.message("C1", reply.ts)
    assert not msg.streaming and "HTTP 500 twice" in msg.text
    assert [c["status"] for c in msg.chunks() if c["type"] == "task_update"] == ["in_progress", "error"]


def test_chunks_reach_slack_as_json(slack_server, client):
    reply = StreamingReply(client, "C1", "106.000001", "T1", "U1", log, EN)
    reply.start()
    start = slack_server.calls_to("chat.startStream")[-1]
    assert start.params["channel"] == "C1" and start.params["thread_ts"] == "106.000001"
    json.dumps(start.params)


def test_feedback_since_accepts_minutes_to_weeks_and_names_the_forms_otherwise():
    from datetime import timedelta

    from oilfx.cli.feedback import parse_since

    assert parse_since("7d") == timedelta(days=7) and parse_since("30m") == timedelta(minutes=30)
    assert parse_since("2w") == timedelta(weeks=2)
    with pytest.raises(ValueError, match="7d"):
        parse_since("yesterday")


# --- Slack refusing a stream's content: finished or replaced, never left open (issue 13, item 2) -----------------

def streamed_turn(client, thread_ts: str, text: str = "WTI is ₩98,492 per barrel. <!here>"
                  ) -> tuple[StreamingReply, Answer]:
    """One tool task, then `text` streamed in two deltas split inside the won amount."""
    reply = StreamingReply(client, "C1", thread_ts, "T1", "U1", log, EN)
    reply.start()
    reply.tool_started("call_9", "oil_price_krw", KRW_STEP.arguments)
    reply.tool_finished(KRW_STEP)
    answer = Answer(text, (KRW_STEP,), "conv", "responses")
    for piece in (text[:11], text[11:]):
        reply.text_delta(piece)
    return reply, answer


def stream_and_finish(slack_server, client, thread_ts: str) -> list:
    """A streamed turn ended with its answer (sources and feedback blocks under it); the thread afterwards."""
    reply, answer = streamed_turn(client, thread_ts)
    reply.finish(FinalAnswer(answer, EN, feedback_key="k"))
    return finished_thread(slack_server, thread_ts)


def finished_thread(slack_server, thread_ts: str) -> list:
    posted = slack_server.posted("C1", thread_ts)
    assert posted and not any(m.streaming for m in posted)  # nothing left open with only task cards
    return posted


def test_append_refused_the_stream_is_stopped_and_replaced_by_the_answer(slack_server, client, monkeypatch):
    monkeypatch.setattr(stream_writer, "STREAM_INTERVAL", 0.0)
    slack_server.refuse_text("msg_too_long", methods=("chat.appendStream",))
    [msg] = stream_and_finish(slack_server, client, "200.000001")
    assert "₩98,492" in msg.all_text and "<!here>" not in msg.all_text
    assert msg.blocks[-1]["type"] == "context_actions"


def test_stop_refusing_the_closing_blocks_stops_with_the_sources_as_plain_text(slack_server, client, monkeypatch):
    monkeypatch.setattr(stream_writer, "STREAM_INTERVAL", 0.0)
    slack_server.refuse_blocks("invalid_blocks", methods=("chat.stopStream",))
    [msg] = stream_and_finish(slack_server, client, "201.000001")
    assert msg.kind == "stream" and "₩98,492 per barrel" in msg.text and "Sources: WTI: KNOC" in msg.text
    assert "<!here>" not in msg.text


@pytest.mark.parametrize("append_refused", [False, True])
def test_stop_refused_altogether_the_stream_is_deleted_and_the_answer_posted(slack_server, client, monkeypatch,
                                                                             append_refused):
    monkeypatch.setattr(stream_writer, "STREAM_INTERVAL", 0.0)
    if append_refused:
        slack_server.refuse_text("msg_too_long", methods=("chat.appendStream",))
    slack_server.fail("chat.stopStream", "internal_error", times=None)
    reply, answer = streamed_turn(client, "202.000001")
    reply.finish(FinalAnswer(answer, EN, feedback_key="k"))
    [msg] = finished_thread(slack_server, "202.000001")
    assert msg.kind == "message" and msg.ts == reply.ts and "₩98,492" in msg.all_text
    assert [m.deleted for m in slack_server.posted("C1", "202.000001", include_deleted=True)] == [True, False]


def test_stream_and_answer_blocks_refused_the_answer_comes_as_plain_text(slack_server, client, monkeypatch):
    monkeypatch.setattr(stream_writer, "STREAM_INTERVAL", 0.0)
    slack_server.refuse_text("msg_too_long", methods=("chat.appendStream",))
    slack_server.refuse_blocks("invalid_blocks")
    [msg] = stream_and_finish(slack_server, client, "203.000001")
    assert not msg.blocks and "₩98,492 per barrel" in msg.text and "<!here>" not in msg.text


def test_failure_with_the_stop_refused_still_says_why(slack_server, client, monkeypatch):
    monkeypatch.setattr(stream_writer, "STREAM_INTERVAL", 0.0)
    reply = StreamingReply(client, "C1", "204.000001", "T1", "U1", log, EN)
    reply.start()
    reply.tool_started("call_1", "oil_price", "{}")
    slack_server.fail("chat.stopStream", "internal_error", times=1)
    reply.fail("OpenAI returned HTTP 500 twice; try again in a minute.")
    [msg] = finished_thread(slack_server, "204.000001")
    assert "HTTP 500 twice" in msg.all_text


def test_an_adopted_stream_left_open_by_a_killed_process_is_stopped_and_replaced(slack_server, client):
    dead = client.chat_startStream(channel="C1", thread_ts="205.000001", recipient_team_id="T1",
                                   recipient_user_id="U1")["ts"]
    client.chat_appendStream(channel="C1", ts=dead, chunks=[{"type": "task_update", "id": "task_1",
                                                            "title": "Fetching", "status": "in_progress"}])
    reply = StreamingReply(client, "C1", "205.000001", "T1", "U1", log, EN)
    reply.adopt(dead)
    reply.tool_started("call_9", "oil_price_krw", KRW_STEP.arguments)  # the new turn streams nothing into it
    answer = Answer("WTI is ₩98,492 per barrel.", (KRW_STEP,), "conv", "responses")
    reply.finish(FinalAnswer(answer, EN))
    [msg] = finished_thread(slack_server, "205.000001")
    assert msg.ts == dead and "₩98,492" in msg.all_text
    assert len(slack_server.calls_to("chat.appendStream")) == 1  # only the dead process's
