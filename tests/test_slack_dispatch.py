"""The in-process Bolt tier: the real app (build_app) with real services, its Web API client on the fake Slack,
driven by `app.dispatch(BoltRequest(body, mode="socket_mode"))` as Bolt's own scenario tests do
(slackapi/bolt-python tests/scenario_tests). No bot process and no websocket: each listener kind is acked and
answers through the fake Web API in well under a second. The end-to-end modules (test_bot_e2e*.py) cover the
same listeners over Socket Mode and HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_bolt import App, BoltRequest, BoltResponse

from oilfx.config import load_settings
from oilfx.i18n import EN
from oilfx.market import Quote, format_krw
from oilfx.services import Services, build_services
from oilfx.slack.app import build_app
from oilfx.slack.listeners.assistant.thread_started import greeting, prompts
from oilfx.slack.listeners.commands.oilprice import help_text
from oilfx.slack.render import FEEDBACK_ACTION
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.pages import PagesServer
from tests.fakes.slack_server import FakeSlack, Message

TIMEOUT = 10.0
ACK_SECONDS = 3.0  # Slack's ack deadline: dispatch returns the ack; the work runs on the pools after it


@dataclass
class InProcessBot:
    app: App
    services: Services
    slack: FakeSlack

    def dispatch(self, body: dict[str, Any]) -> BoltResponse:
        started = time.monotonic()
        response = self.app.dispatch(BoltRequest(body=body, mode="socket_mode"))
        assert time.monotonic() - started < ACK_SECONDS, "the ack waited for the work"
        return response

    def answer(self, channel: str, thread_ts: str | None, contains: str) -> Message:
        return self.slack.wait_for_message(channel=channel, thread_ts=thread_ts, contains=contains,
                                           timeout=TIMEOUT, final=True)


def start_bot(slack: FakeSlack, openai_fake: FakeOpenAI, pages: PagesServer, db: str,
              **extra: str) -> Iterator[InProcessBot]:
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_DB": db, "OILFX_OPENAI_MAX_RETRIES": "0",
           "OILFX_CACHE_TTL": "0", **extra}
    settings = load_settings(env)
    services = build_services(settings)
    executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="dispatch-turn")
    try:
        yield InProcessBot(build_app(settings, services, executor=executor), services, slack)
    finally:
        executor.shutdown(wait=True)
        services.close()


@pytest.fixture(scope="module")
def streaming(slack, openai_fake, pages, tmp_path_factory) -> Iterator[InProcessBot]:
    """The default bot: answers streamed where the workspace has Slack's streaming."""
    yield from start_bot(slack, openai_fake, pages, str(tmp_path_factory.mktemp("stream") / "oilfx.db"))


@pytest.fixture(scope="module")
def placeholder(slack, openai_fake, pages, tmp_path_factory) -> Iterator[InProcessBot]:
    """OILFX_STREAM=false: a placeholder updated with the answer, with the Show steps button under it."""
    yield from start_bot(slack, openai_fake, pages, str(tmp_path_factory.mktemp("placeholder") / "oilfx.db"),
                         OILFX_STREAM="false")


def wti(quote: Quote) -> str:
    return format_krw(quote.krw_per_barrel("WTI"))


def test_app_mention_is_acked_and_answered_in_its_thread(streaming: InProcessBot, slack: FakeSlack, quote):
    payload = slack.app_mention("WTI in won?", channel="C0DISPMEN")
    assert streaming.dispatch(payload).status == 200
    ts = payload["event"]["ts"]
    reply = streaming.answer("C0DISPMEN", ts, wti(quote))
    assert reply.thread_ts == ts and reply.kind == "stream"
    assert quote.oil["WTI"].source in reply.all_text


def test_a_dm_is_answered_in_the_dm(streaming: InProcessBot, slack: FakeSlack, quote):
    payload = slack.dm_message("Brent per barrel in won?", channel="D0DISPDM")
    assert streaming.dispatch(payload).status == 200
    reply = streaming.answer("D0DISPDM", None, format_krw(quote.krw_per_barrel("Brent")))
    assert reply.thread_ts is None  # a top-level DM is answered beside it, as a chat is


def test_a_message_from_a_bot_is_acked_and_ignored(streaming: InProcessBot, slack: FakeSlack):
    before = len(slack.calls_to("chat.startStream")) + len(slack.calls_to("chat.postMessage"))
    payload = slack.bot_message("WTI?", channel="D0DISPBOT", own=False)
    assert streaming.dispatch(payload).status == 200
    time.sleep(0.5)  # room for a wrong answer
    assert len(slack.calls_to("chat.startStream")) + len(slack.calls_to("chat.postMessage")) == before


def test_oilprice_help_follows_an_empty_ack_to_the_user_alone(streaming: InProcessBot, slack: FakeSlack):
    """The ack does not wait for the user's language (a users.info call): the help follows it, ephemeral."""
    from oilfx.i18n import EN  # local: the import block above is shared with other work in progress

    before = len(slack.responses)
    response = streaming.dispatch(slack.slash_command(text="help", channel="C0DISPHELP"))
    assert response.status == 200 and not response.body
    body = slack.wait_for(lambda: len(slack.responses) > before and slack.responses[-1], TIMEOUT,
                          what="the help")["body"]
    assert body["response_type"] == "ephemeral" and body["text"] == help_text(EN)   # an en-US user


def test_oilprice_bare_posts_the_table_through_the_response_url(streaming: InProcessBot, slack: FakeSlack,
                                                                openai_fake: FakeOpenAI, quote):
    model_requests, before = len(openai_fake.requests), len(slack.responses)
    response = streaming.dispatch(slack.slash_command(text="", channel="C0DISPTAB"))
    assert response.status == 200 and not response.body  # an empty ack: the table follows
    body = slack.wait_for(lambda: len(slack.responses) > before and slack.responses[-1], TIMEOUT,
                          what="the /oilprice table")["body"]
    assert body["response_type"] == "in_channel" and wti(quote) in body["text"]
    assert len(openai_fake.requests) == model_requests  # the table needs no model


def test_oilprice_question_starts_a_thread_in_the_channel(streaming: InProcessBot, slack: FakeSlack, quote):
    question = "WTI per barrel in won please"
    assert streaming.dispatch(slack.slash_command(text=question, channel="C0DISPASK")).status == 200
    posted = streaming.answer("C0DISPASK", None, wti(quote))
    assert posted.thread_ts is None and question in posted.all_text


def test_assistant_thread_started_greets_and_offers_prompts(streaming: InProcessBot, slack: FakeSlack):
    payload = slack.assistant_thread_started(channel="D0DISPPANEL")
    assert streaming.dispatch(payload).status == 200
    thread_ts = payload["event"]["assistant_thread"]["thread_ts"]
    greeted = streaming.answer("D0DISPPANEL", thread_ts, "Hi, I'm oilfx")
    assert greeted.text == greeting(EN)  # the fake's users have Slack locale en-US
    call = slack.wait_for_call("assistant.threads.setSuggestedPrompts",
                               where=lambda c: c.params.get("thread_ts") == thread_ts)
    assert call.params["prompts"] == prompts(EN)


def test_assistant_user_message_is_streamed_with_tasks(streaming: InProcessBot, slack: FakeSlack, quote):
    started = slack.assistant_thread_started(channel="D0DISPASST")
    streaming.dispatch(started)
    thread_ts = started["event"]["assistant_thread"]["thread_ts"]
    question = slack.dm_message("Dubai in won now?", channel="D0DISPASST", thread_ts=thread_ts)
    assert streaming.dispatch(question).status == 200
    reply = streaming.answer("D0DISPASST", thread_ts, format_krw(quote.krw_per_barrel("Dubai")))
    assert reply.kind == "stream"
    assert [c["status"] for c in reply.chunks() if c["type"] == "task_update"].count("complete") >= 2
    slack.wait_for_call("assistant.threads.setStatus", where=lambda c: c.params.get("thread_ts") == thread_ts)


def test_show_steps_click_posts_the_breakdown(placeholder: InProcessBot, slack: FakeSlack):
    payload = slack.app_mention("WTI per litre in won?", channel="C0DISPSTEPS")
    placeholder.dispatch(payload)
    ts = payload["event"]["ts"]
    answer = placeholder.answer("C0DISPSTEPS", ts, "₩")
    button = next(e for b in answer.blocks if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == "oilfx_show_steps")
    click = slack.block_action("oilfx_show_steps", value=button["value"], message=answer.as_event(),
                               channel="C0DISPSTEPS")
    assert placeholder.dispatch(click).status == 200
    breakdown = placeholder.answer("C0DISPSTEPS", ts, "Run steps")
    for tool in ("oil_price", "usd_krw", "oil_price_krw"):
        assert tool in breakdown.all_text


def test_feedback_click_is_acknowledged_to_the_user_and_stored(streaming: InProcessBot, slack: FakeSlack):
    payload = slack.app_mention("Dubai in won?", channel="C0DISPFEED")
    streaming.dispatch(payload)
    msg = streaming.answer("C0DISPFEED", payload["event"]["ts"], "₩")
    buttons = next(e for b in msg.blocks or [] if b["type"] == "context_actions" for e in b["elements"]
                   if e["type"] == "feedback_buttons")
    click = slack.block_action(FEEDBACK_ACTION, value=buttons["positive_button"]["value"],
                               message=msg.as_event(), channel="C0DISPFEED")
    assert streaming.dispatch(click).status == 200
    ack = slack.wait_for(lambda: [e for e in slack.ephemerals if e["channel"] == "C0DISPFEED"], TIMEOUT,
                         what="the feedback acknowledgement")[0]
    assert ack["user"] == slack.workspace.user_id and "Glad the answer helped" in ack["text"]
    stored = list(streaming.services.store.list_feedback(datetime.fromtimestamp(0, UTC)))
    assert any(row.message_ts == msg.ts and row.value == "good" for row in stored)
