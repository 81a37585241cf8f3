"""End to end, Slack's AI-app surface: `python bot.py` (streaming: the default) against the fake Slack, the fake OpenAI
(streaming Responses) and the fixture pages. The assistant panel's greeting and prompts, a question streamed with its
tool calls as tasks and feedback buttons at the end, the fallback when a workspace refuses streaming, a tool failure,
a feedback click stored and listed by `python -m oilfx feedback`, and a 10,000-character answer in both paths.

One bot process serves the module; tests use distinct channels and threads.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from oilfx.i18n import EN
from oilfx.market import format_krw
from oilfx.slack.listeners.assistant.thread_started import greeting, prompts
from oilfx.slack.render import FEEDBACK_ACTION, MESSAGE_LIMIT
from oilfx.slack.streaming import STREAM_TEXT_LIMIT
from tests.fakes.bot_process import REPO, BotProcess, clean_env, start_connected
from tests.fakes.openai_server import LONG_ANSWER, Script
from tests.fakes.pages import FRED_PATH, NAVER_WORLD_PATH, OPINET_PATH
from tests.fakes.slack_server import FakeSlack, Message

TIMEOUT = 20.0
DM = "D0AIPANEL"


@pytest.fixture(scope="module")
def bot_env(slack, openai_fake, pages, tmp_path_factory) -> dict[str, str]:
    db = tmp_path_factory.mktemp("ai") / "oilfx.db"
    return {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_DB": str(db),
            "OILFX_OPENAI_MAX_RETRIES": "0", "OILFX_LOG_LEVEL": "INFO", "OILFX_CACHE_TTL": "0"}


@pytest.fixture(scope="module")
def bot(slack, bot_env) -> Iterator[BotProcess]:
    process = start_connected(bot_env, slack)
    yield process
    process.stop()
    assert slack.bot_token not in process.log() and bot_env["OPENAI_API_KEY"] not in process.log()


@pytest.fixture
def ai_off(slack) -> Iterator[None]:
    slack.disable_ai_features()
    try:
        yield
    finally:
        slack.clear_faults()


def deliver(slack: FakeSlack, payload: dict[str, Any], kind: str = "events_api") -> None:
    slack.wait_ack(slack.deliver(kind, payload))


def open_panel(slack: FakeSlack) -> str:
    payload = slack.assistant_thread_started(channel=DM)
    deliver(slack, payload)
    return payload["event"]["assistant_thread"]["thread_ts"]


def ask_in_panel(slack: FakeSlack, thread_ts: str, text: str) -> None:
    deliver(slack, slack.dm_message(text, channel=DM, thread_ts=thread_ts))


def streamed(slack: FakeSlack, channel: str, thread_ts: str, contains: str) -> Message:
    return slack.wait_for_message(channel=channel, thread_ts=thread_ts, contains=contains, timeout=TIMEOUT,
                                  final=True)


def chunk_kinds(msg: Message) -> list[str]:
    """Each chunk as `task:<status>` or `text`, in the order Slack received them."""
    return [f"task:{c['status']}" if c["type"] == "task_update" else "text" for c in msg.chunks()]


def feedback_buttons(msg: Message) -> dict[str, Any]:
    return next(e for b in msg.blocks or [] if b["type"] == "context_actions" for e in b["elements"]
                if e["type"] == "feedback_buttons")


def test_panel_greets_and_offers_the_prompts(bot, slack):
    thread_ts = open_panel(slack)
    greeted = slack.wait_for_message(channel=DM, thread_ts=thread_ts, contains="Hi, I'm oilfx", timeout=TIMEOUT)
    assert greeted.text == greeting(EN)  # the fake's users have Slack locale en-US
    call = slack.wait_for_call("assistant.threads.setSuggestedPrompts",
                               where=lambda c: c.params.get("thread_ts") == thread_ts)
    assert call.params["prompts"] == prompts(EN)


def test_panel_question_streams_tasks_then_text_then_feedback(bot, slack, quote):
    thread_ts = open_panel(slack)
    ask_in_panel(slack, thread_ts, "WTI in won now?")
    figure = format_krw(quote.krw_per_barrel("WTI"))
    msg = streamed(slack, DM, thread_ts, figure)
    title = slack.wait_for_call("assistant.threads.setTitle", where=lambda c: c.params["thread_ts"] == thread_ts)
    assert title.params["title"] == "WTI in won now?"
    assert slack.calls_to("assistant.threads.setStatus")
    kinds = chunk_kinds(msg)
    first_text = kinds.index("text")
    assert kinds[:2] == ["task:in_progress", "task:in_progress"]      # oil_price and usd_krw, in parallel
    assert kinds[:first_text].count("task:complete") == 3 and "task:error" not in kinds
    tasks = [c for c in msg.chunks() if c["type"] == "task_update"]
    done = {t["title"]: t.get("output", "") for t in tasks if t["status"] == "complete"}
    wti = quote.oil["WTI"]
    assert f"WTI ${wti.usd}" in done["Fetching Dubai, WTI and Brent prices"]
    assert wti.source in done["Fetching Dubai, WTI and Brent prices"]
    assert done["Converting WTI to won per barrel"].startswith(figure)
    assert figure in msg.text and quote.fx.source in msg.all_text      # the sources line under the answer
    stop = msg.stream_events[-1]
    assert stop["method"] == "chat.stopStream" and feedback_buttons(msg)["action_id"] == FEEDBACK_ACTION
    assert not slack.calls_to("chat.update")  # streaming replaced placeholder-and-update


def test_channel_mention_streams_to_its_recipient(bot, slack, quote):
    payload = slack.app_mention("Brent in won?", channel="C0AISTREAM")
    deliver(slack, payload)
    msg = streamed(slack, "C0AISTREAM", payload["event"]["ts"], format_krw(quote.krw_per_barrel("Brent")))
    assert msg.kind == "stream" and msg.params["recipient_user_id"] == payload["event"]["user"]
    assert msg.params["recipient_team_id"] == payload["team_id"]


def test_refused_streaming_answers_through_the_placeholder(bot, slack, quote, ai_off):
    payload = slack.app_mention("WTI in won now?", channel="C0AIOFF")
    deliver(slack, payload)
    figure = format_krw(quote.krw_per_barrel("WTI"))
    msg = slack.wait_for_message(channel="C0AIOFF", thread_ts=payload["event"]["ts"], contains=figure,
                                 timeout=TIMEOUT)
    assert msg.kind == "message" and msg.versions[0]["text"].startswith("Looking up crude prices")
    assert feedback_buttons(msg)["positive_button"]["value"].startswith("good:")
    assert slack.calls_to("chat.startStream")[-1].response["error"] == "not_allowed_token_type"


def test_panel_question_without_ai_features_is_still_answered(bot, slack, quote, ai_off):
    thread_ts = slack.next_ts()
    ask_in_panel(slack, thread_ts, "WTI in won now?")
    msg = slack.wait_for_message(channel=DM, thread_ts=thread_ts, contains=format_krw(quote.krw_per_barrel("WTI")),
                                 timeout=TIMEOUT)
    assert msg.kind == "message"


def test_a_failed_tool_ends_its_task_with_error_and_the_answer_says_why(bot, slack, pages):
    for route in (OPINET_PATH, NAVER_WORLD_PATH, FRED_PATH):
        pages.set(route, status=503)
    try:
        payload = slack.app_mention("WTI in won now?", channel="C0AIFAIL")
        deliver(slack, payload)
        msg = streamed(slack, "C0AIFAIL", payload["event"]["ts"], "unavailable")
    finally:
        pages.reset()
    failed = [c for c in msg.chunks() if c["type"] == "task_update" and c["status"] == "error"]
    assert failed and failed[0]["title"] == "Fetching Dubai, WTI and Brent prices"
    assert "503" in failed[0]["output"] and "503" in msg.text
    assert "₩" not in msg.text


def test_feedback_click_is_acknowledged_stored_and_listed(bot, slack, bot_env):
    payload = slack.app_mention("Dubai in won?", channel="C0AIFEED")
    deliver(slack, payload)
    msg = streamed(slack, "C0AIFEED", payload["event"]["ts"], "₩")
    value = feedback_buttons(msg)["negative_button"]["value"]
    click = slack.block_action(FEEDBACK_ACTION, value=value, message=msg.as_event(), channel="C0AIFEED")
    deliver(slack, click, "interactive")
    ack = slack.wait_for(lambda: [e for e in slack.ephemerals if e["channel"] == "C0AIFEED"], TIMEOUT,
                         what="the feedback acknowledgement")[0]
    assert ack["user"] == slack.workspace.user_id and "feedback" in ack["text"].lower()
    env = clean_env({"OILFX_DB": bot_env["OILFX_DB"], "PYTHONPATH": str(REPO)})
    out = subprocess.run([sys.executable, "-m", "oilfx", "feedback", "--since", "7d", "--json"], env=env,
                         capture_output=True, text=True, timeout=30, cwd=REPO)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    row = next(r for r in rows if r["message_ts"] == msg.ts)
    assert row["value"] == "bad" and row["question"] == "Dubai in won?" and "₩" in row["answer"]
    assert row["engine"].startswith("responses")


def long_thread_text(slack: FakeSlack, channel: str, thread_ts: str) -> tuple[list[Message], str]:
    msgs = slack.wait_for(lambda: (m := slack.posted(channel, thread_ts)) and all(not x.streaming for x in m)
                          and " ok" in "".join(x.all_text for x in m) and m, TIMEOUT, what="the long answer")
    return msgs, "".join(m.text for m in msgs)


@pytest.mark.parametrize("path", ["stream", "placeholder"])
def test_a_10000_character_answer_arrives_whole_in_pieces(bot, slack, openai_fake, path, request):
    if path == "placeholder":
        request.getfixturevalue("ai_off")
    channel = f"C0AILONG{path.upper()[:4]}"
    with openai_fake.scripted(Script.misbehave("long")):
        payload = slack.app_mention("WTI in won, in detail", channel=channel)
        deliver(slack, payload)
        msgs, text = long_thread_text(slack, channel, payload["event"]["ts"])
    limit = STREAM_TEXT_LIMIT if path == "stream" else MESSAGE_LIMIT
    assert len(msgs) >= 3 and all(len(m.text) <= limit + 600 for m in msgs)  # + the sources line on the last
    assert {m.kind for m in msgs} == ({"stream"} if path == "stream" else {"message"})
    assert not [c for c in slack.calls if not c.ok and c.response.get("error") in {"msg_too_long", "invalid_blocks"}]
    notes = [int(n) for n in re.findall(r"Note (\d+):", text)]
    assert notes and notes == list(range(1, len(notes) + 1))                     # nothing lost between pieces
    assert len(text) >= LONG_ANSWER - 50


def test_context_changed_is_kept_in_the_store(bot, slack, bot_env):
    from oilfx.slack.listeners.assistant.context_store import META_PREFIX
    from oilfx.store.sqlite import SqliteStore

    thread_ts = open_panel(slack)
    deliver(slack, slack.assistant_thread_context_changed(channel=DM, thread_ts=thread_ts,
                                                          context_channel="C0VIEWED"))
    store = SqliteStore(bot_env["OILFX_DB"])
    deadline = time.monotonic() + TIMEOUT
    try:
        while not (raw := store.get_meta(f"{META_PREFIX}{DM}:{thread_ts}")) and time.monotonic() < deadline:
            time.sleep(0.05)  # the bot writes it in another process; nothing to wait on but the file
    finally:
        store.close()
    assert raw, "the panel context was not saved"
    assert json.loads(raw)["channel_id"] == "C0VIEWED"
    assert not slack.calls_to("conversations.replies")
