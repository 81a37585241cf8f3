"""End to end: `python bot.py` in its own process, driven through the fake Slack's Socket Mode, answering with
the fake OpenAI (scripted model) and the fixture market pages. Nothing of oilfx is mocked.

The module runs twice: on the defaults a user gets (mentions streamed: chat.startStream / appendStream /
stopStream) and on the placeholder path (OILFX_STREAM=false: chat.postMessage, then chat.update), each with its own
fake Slack and one bot process (start-up costs ~1 s); tests use distinct threads/channels.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import pytest

from oilfx.i18n import KO
from oilfx.market import Quote, format_krw, format_krw_litre, format_usd
from oilfx.slack.render import progress_text
from oilfx.store.records import RECORD_TTL
from tests.fakes.bot_process import BotProcess, start_connected
from tests.fakes.openai_server import EVIL, FakeOpenAI, Script
from tests.fakes.pages import FRED_PATH, NAVER_WORLD_PATH, OPINET_PATH, PagesServer
from tests.fakes.slack_server import FakeSlack

ANSWER_TIMEOUT = 20.0


@pytest.fixture(scope="module", params=["streaming", "placeholder"])
def path(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def slack(path: str) -> Iterator[FakeSlack]:
    """A fake Slack per path (overrides tests/fakes/module_fakes.py's), so the two runs' calls never mix."""
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def openai_fake(path: str) -> Iterator[FakeOpenAI]:
    """A fake OpenAI per path too: tests count the requests that carried their question."""
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def bot_env(slack: FakeSlack, openai_fake: FakeOpenAI, pages: PagesServer, path: str,
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    db = tmp_path_factory.mktemp("store") / "oilfx.db"
    return {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_DB": str(db),
            "OILFX_OPENAI_MAX_RETRIES": "0", "OILFX_LOG_LEVEL": "INFO",
            **({"OILFX_STREAM": "false"} if path == "placeholder" else {}),
            "OILFX_CACHE_TTL": "0"}  # every turn reads the pages, so a test can take a source down


@pytest.fixture(scope="module")
def bot(slack: FakeSlack, bot_env: dict[str, str]) -> Iterator[BotProcess]:
    process = start_connected(bot_env, slack)
    yield process
    process.stop()
    logs = process.log()
    for secret in (slack.bot_token, slack.app_token, bot_env["OPENAI_API_KEY"]):
        assert secret not in logs, "a secret reached the bot's log"


def mention(slack: FakeSlack, text: str, channel: str, thread_ts: str | None = None) -> tuple[dict[str, Any], str]:
    payload = slack.app_mention(text, channel=channel, thread_ts=thread_ts)
    envelope = slack.deliver("events_api", payload)
    slack.wait_ack(envelope)
    return payload, envelope


def answer_in(slack: FakeSlack, channel: str, thread_ts: str, contains: str, count: int = 1):
    return slack.wait_for_message(channel=channel, thread_ts=thread_ts, contains=contains, count=count,
                                  timeout=ANSWER_TIMEOUT, final=True)


def first_post(path: str) -> str:
    """The Web API call that puts a mention's reply up on this path."""
    return "chat.startStream" if path == "streaming" else "chat.postMessage"


def placeholder_only(path: str, why: str) -> None:
    if path != "placeholder":
        pytest.skip(why)


def conversations_for(openai_fake: FakeOpenAI, question: str) -> set[str]:
    """The OpenAI conversation ids of every Responses request that carried `question` as the user input."""
    found = set()
    for r in openai_fake.requests:
        body = r["body"] or {}
        if r["path"] == "/v1/responses" and any(
                isinstance(i, dict) and i.get("content") == question for i in body.get("input") or []):
            found.add(body["conversation"])
    return found


def wti_barrel(quote: Quote) -> str:
    return format_krw(quote.krw_per_barrel("WTI"))


# --- tests ------------------------------------------------------------------------------------------------------

def test_mention_is_acked_and_answered_in_its_thread_with_sources(bot, slack, quote, path):
    payload, envelope = mention(slack, "현재 WTI 석유 가격을 원화로 알려줄래?", channel="C0MENTION")
    assert slack.acks[envelope].latency < 3.0
    ts = payload["event"]["ts"]
    reply = answer_in(slack, "C0MENTION", ts, wti_barrel(quote))
    assert reply.thread_ts == ts
    assert reply.versions[0]["method"] == first_post(path)
    if path == "placeholder":
        # the placeholder came first, in the question's language (Korean, though the user's locale is en-US)
        assert reply.versions[0]["text"] == progress_text(KO)
        assert any(b["type"] == "section" for b in reply.blocks)
    else:  # one streamed message: tasks, then the text, then sources and feedback under it
        assert reply.kind == "stream" and [b["type"] for b in reply.blocks] == ["context", "context_actions"]
        assert [c["status"] for c in reply.chunks() if c["type"] == "task_update"].count("complete") >= 2
    assert quote.oil["WTI"].source in reply.all_text and quote.fx.source in reply.all_text
    assert quote.oil["WTI"].as_of.isoformat() in reply.all_text
    assert reply.text


def test_a_slow_turn_shows_which_data_is_being_fetched(bot, slack, openai_fake, quote, path):
    placeholder_only(path, "streamed, each tool is a task the moment it starts (test_bot_ai_e2e.py)")
    openai_fake.latency = 0.6  # three model rounds: progress updates (at most one a second) get a chance
    try:
        payload, _ = mention(slack, "WTI in won? (slow)", channel="C0SLOW")
        reply = answer_in(slack, "C0SLOW", payload["event"]["ts"], wti_barrel(quote))
    finally:
        openai_fake.latency = 0.0
    texts = [v["text"] for v in reply.versions]
    assert texts[0].startswith("Looking up crude prices")
    progress = [t for t in texts[1:-1] if "Fetching" in t or "✓" in t]
    assert progress, texts
    assert all(b["time"] - a["time"] >= 0.9 for a, b in zip(reply.versions, reply.versions[1:-1], strict=False))
    assert wti_barrel(quote) in texts[-1]


def test_the_first_model_round_does_not_wait_for_the_placeholder(bot, slack, openai_fake, quote):
    question = "WTI in won? (slow Slack)"
    starts = ("chat.postMessage", "chat.startStream")
    for method in starts:
        slack.set_latency(1.0, method)
    try:
        payload, _ = mention(slack, question, channel="C0BESIDE")
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while not conversations_for(openai_fake, question) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert conversations_for(openai_fake, question), "the model was never asked"
        # The fake Slack records a call only after its 1 s delay: the model was asked while the first post waited.
        assert not [c for c in slack.calls if c.params.get("channel") == "C0BESIDE"]
    finally:
        for method in starts:
            slack.set_latency(0.0, method)
    answer_in(slack, "C0BESIDE", payload["event"]["ts"], wti_barrel(quote))
    assert len(slack.posted("C0BESIDE", payload["event"]["ts"])) == 1  # the answer went where the first post was


def test_follow_up_in_the_thread_continues_the_same_openai_conversation(bot, slack, openai_fake, quote):
    first_q, second_q = "WTI in won per barrel?", "And Brent per litre?"
    payload, _ = mention(slack, first_q, channel="C0FOLLOW")
    ts = payload["event"]["ts"]
    answer_in(slack, "C0FOLLOW", ts, wti_barrel(quote))
    mention(slack, second_q, channel="C0FOLLOW", thread_ts=ts)
    answer_in(slack, "C0FOLLOW", ts, format_krw_litre(quote.krw_per_litre("Brent")))
    first, second = conversations_for(openai_fake, first_q), conversations_for(openai_fake, second_q)
    assert len(first) == 1 and first == second


def test_dm_top_level_and_thread_conversations_and_ignored_events(bot, slack, openai_fake, quote):
    channel = "D0DMTEST1"
    q1, q2, q3 = "WTI price in won?", "Brent in won?", "Dubai in won?"
    dm1 = slack.dm_message(q1, channel=channel)
    slack.wait_ack(slack.deliver("events_api", dm1))
    top = slack.wait_for_message(channel=channel, contains=wti_barrel(quote), timeout=ANSWER_TIMEOUT)
    assert top.thread_ts is None  # answered in place, not in a thread
    # Our own echo, another bot, an edit and a deletion: none of them may be answered.
    for ignored in (slack.bot_message("echo", channel=channel), slack.bot_message("hi", channel=channel, own=False),
                    slack.message_changed(channel=channel, ts=dm1["event"]["ts"], new_text="WTI now?"),
                    slack.message_deleted(channel=channel, deleted_ts=dm1["event"]["ts"])):
        slack.wait_ack(slack.deliver("events_api", ignored))
    slack.wait_ack(slack.deliver("events_api", slack.dm_message(q2, channel=channel)))
    slack.wait_for_message(channel=channel, contains=format_krw(quote.krw_per_barrel("Brent")),
                           timeout=ANSWER_TIMEOUT)
    assert conversations_for(openai_fake, q1) == conversations_for(openai_fake, q2)  # the DM's running one
    # A thread under a DM message is its own conversation.
    dm3 = slack.dm_message(q3, channel=channel, thread_ts=dm1["event"]["ts"])
    slack.wait_ack(slack.deliver("events_api", dm3))
    answer_in(slack, channel, dm1["event"]["ts"], format_krw(quote.krw_per_barrel("Dubai")))
    assert conversations_for(openai_fake, q3).isdisjoint(conversations_for(openai_fake, q1))
    assert len(slack.posted(channel)) == 3  # three questions, three answers, nothing for the ignored events


def test_oilprice_bare_posts_the_table_without_the_model(bot, slack, openai_fake, quote):
    model_requests, before = len(openai_fake.requests), len(slack.responses)
    envelope = slack.deliver("slash_commands", slack.slash_command(text="", channel="C0TABLE"))
    slack.wait_ack(envelope)
    body = slack.wait_for(lambda: len(slack.responses) > before and slack.responses[-1], ANSWER_TIMEOUT,
                          what="the /oilprice table")["body"]
    assert body["response_type"] == "in_channel"
    for name, price in quote.oil.items():
        assert format_usd(price.usd) in body["text"]
        assert format_krw(quote.krw_per_barrel(name)) in body["text"]
        assert format_krw_litre(quote.krw_per_litre(name)) in body["text"]
    assert quote.fx.source in body["text"]
    assert len(openai_fake.requests) == model_requests


def test_oilprice_bare_with_every_crude_source_down_names_the_sources(bot, slack, pages, openai_fake):
    for route in (OPINET_PATH, NAVER_WORLD_PATH, FRED_PATH):
        pages.set(route, status=503)
    try:
        before = len(slack.responses)
        slack.wait_ack(slack.deliver("slash_commands", slack.slash_command(text="", channel="C0DOWN")))
        body = slack.wait_for(lambda: len(slack.responses) > before and slack.responses[-1], ANSWER_TIMEOUT,
                              what="the /oilprice failure")["body"]
    finally:
        pages.reset()
    assert body["response_type"] == "ephemeral" and "unavailable" in body["text"]
    for source in ("opinet", "naver", "fred"):
        assert source in body["text"]
    assert "₩" not in body["text"]  # no figure without data


def test_oilprice_help_follows_the_ack_to_the_user_alone(bot, slack):
    payload = slack.slash_command(text="help", channel="C0HELP")
    slack.wait_ack(slack.deliver("slash_commands", payload))
    body = slack.wait_for(lambda: next((r["body"] for r in slack.responses if r["url"] == payload["response_url"]),
                                       None), ANSWER_TIMEOUT, what="the help")
    assert body["response_type"] == "ephemeral" and "/oilprice" in body["text"]


def test_oilprice_question_is_answered_in_the_channel_and_its_thread_continues(bot, slack, openai_fake, quote):
    question = "WTI per barrel in won please"
    slack.wait_ack(slack.deliver("slash_commands", slack.slash_command(text=question, channel="C0ASK")))
    posted = slack.wait_for_message(channel="C0ASK", contains=wti_barrel(quote), timeout=ANSWER_TIMEOUT)
    assert posted.thread_ts is None and question in posted.all_text
    follow_up = "Now Dubai per barrel?"
    mention(slack, follow_up, channel="C0ASK", thread_ts=posted.ts)
    answer_in(slack, "C0ASK", posted.ts, format_krw(quote.krw_per_barrel("Dubai")))
    assert conversations_for(openai_fake, question) == conversations_for(openai_fake, follow_up)


def test_oilprice_question_where_the_bot_is_not_a_member_uses_the_response_url(bot, slack, quote):
    slack.fail("chat.postMessage", "not_in_channel", when=lambda p: p.get("channel") == "C0NOTIN")
    before = len(slack.responses)
    slack.wait_ack(slack.deliver("slash_commands", slack.slash_command(text="WTI in won?", channel="C0NOTIN")))
    body = slack.wait_for(lambda: len(slack.responses) > before and slack.responses[-1], ANSWER_TIMEOUT,
                          what="an answer through response_url")["body"]
    assert body["response_type"] == "in_channel" and wti_barrel(quote) in body["text"]


def test_slack_retries_of_one_event_get_one_answer(bot, slack, openai_fake, quote):
    question = "WTI now? (retried)"
    payload = slack.app_mention(question, channel="C0RETRY")
    first = slack.deliver("events_api", payload)
    retries = [slack.redeliver(first, retry_attempt=n, retry_reason="timeout") for n in (1, 2)]
    for envelope in (first, *retries):
        slack.wait_ack(envelope)
    ts = payload["event"]["ts"]
    answer_in(slack, "C0RETRY", ts, wti_barrel(quote))
    time.sleep(1.0)  # room for a wrongly accepted retry to post
    assert len(slack.posted("C0RETRY", ts)) == 1
    user_turns = [r for r in openai_fake.requests if r["path"] == "/v1/responses"
                  and any(isinstance(i, dict) and i.get("content") == question for i in r["body"].get("input") or [])]
    assert len(user_turns) == 1


def test_two_messages_in_one_thread_are_answered_in_order(bot, slack, quote):
    root, _ = mention(slack, "WTI in won?", channel="C0ORDER")
    ts = root["event"]["ts"]
    answer_in(slack, "C0ORDER", ts, wti_barrel(quote))
    earlier = slack.app_mention("Brent in won?", channel="C0ORDER", thread_ts=ts)
    later = slack.app_mention("Dubai in won?", channel="C0ORDER", thread_ts=ts)
    # The later message arrives first, as can happen with Slack's delivery.
    for envelope in (slack.deliver("events_api", later), slack.deliver("events_api", earlier)):
        slack.wait_ack(envelope)
    answer_in(slack, "C0ORDER", ts, format_krw(quote.krw_per_barrel("Dubai")))
    answer_in(slack, "C0ORDER", ts, format_krw(quote.krw_per_barrel("Brent")))
    texts = slack.thread_texts("C0ORDER", ts)
    assert len(texts) == 3
    assert format_krw(quote.krw_per_barrel("Brent")) in texts[1]
    assert format_krw(quote.krw_per_barrel("Dubai")) in texts[2]


def test_show_steps_button_posts_the_breakdown(bot, slack, path):
    placeholder_only(path, "streamed, the task timeline stands in for the Show steps button")
    payload, _ = mention(slack, "WTI per litre in won?", channel="C0STEPS")
    ts = payload["event"]["ts"]
    answer = answer_in(slack, "C0STEPS", ts, "₩")
    button = next(e for b in answer.blocks if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == "oilfx_show_steps")
    click = slack.block_action("oilfx_show_steps", value=button["value"], message=answer.as_event(),
                               channel="C0STEPS")
    slack.wait_ack(slack.deliver("interactive", click))
    breakdown = answer_in(slack, "C0STEPS", ts, "Run steps")
    for tool in ("oil_price", "usd_krw", "oil_price_krw"):
        assert tool in breakdown.all_text
    assert " ms" in breakdown.all_text and "tokens" in breakdown.all_text


def test_a_turns_records_expire_or_end_with_it(bot, slack, bot_env):
    """steps:/answer: records back an answer's buttons for RECORD_TTL; the open reply (for a takeover, or a
    restarted bot's finishing of it) is dropped when the turn ends; nothing a turn writes is kept for good."""
    payload, _ = mention(slack, "Brent per barrel in won? (meta expiry)", channel="C0META")
    answer_in(slack, "C0META", payload["event"]["ts"], "₩")
    after = time.time()
    db = sqlite3.connect(f"file:{bot_env['OILFX_DB']}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT name, expires_at FROM meta WHERE name LIKE 'steps:%' OR name LIKE 'answer:%'"
                          " OR name LIKE 'reply:%'").fetchall()
        deadline = time.monotonic() + 5  # the turn ends (finish_event) just after its answer is posted
        while (open_replies := db.execute("SELECT event_id FROM replies").fetchall()) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        db.close()
    expected = {"steps": RECORD_TTL, "answer": RECORD_TTL}
    assert {name.split(":")[0] for name, _ in rows} == set(expected)
    for name, expires_at in rows:  # this module's earlier turns wrote some of them
        ttl = expected[name.split(":")[0]]
        assert expires_at is not None and expires_at <= after + ttl, f"{name}: expires at {expires_at}"
    assert open_replies == []  # every turn of this module has ended


def test_asking_for_steps_shows_them_with_the_answer(bot, slack, quote):
    payload, _ = mention(slack, "WTI in won? show the steps", channel="C0ASKSTEPS")
    ts = payload["event"]["ts"]
    answer_in(slack, "C0ASKSTEPS", ts, wti_barrel(quote))
    steps = answer_in(slack, "C0ASKSTEPS", ts, "Run steps")
    assert "oil_price_krw" in steps.all_text


def test_mentions_and_links_from_the_model_reach_slack_neutralised(bot, slack, openai_fake, quote):
    with openai_fake.scripted(Script.misbehave("evil")):
        payload, _ = mention(slack, "WTI in won?", channel="C0EVIL")
        ts = payload["event"]["ts"]
        answer = answer_in(slack, "C0EVIL", ts, wti_barrel(quote))
    sent = [c for c in slack.calls if c.method in ("chat.postMessage", "chat.update")
            and c.params.get("channel") == "C0EVIL"]
    everything = "\n".join(str(c.params.get("text")) + str(c.params.get("blocks")) for c in sent)
    for dangerous in ("<!channel>", "<@U123>", "<https://evil.example|click>", *EVIL.split()):
        assert dangerous not in everything
    assert "evil.example" in answer.all_text  # shown as plain text, not hidden behind "click"


def test_a_model_failure_ends_in_a_message_in_the_thread(bot, slack, openai_fake):
    with openai_fake.scripted(Script.misbehave("500")):
        payload, _ = mention(slack, "WTI in won?", channel="C0FAIL")
        ts = payload["event"]["ts"]
        reply = answer_in(slack, "C0FAIL", ts, ":warning:")
    assert "500" in reply.all_text or "OpenAI" in reply.all_text
    assert "Looking up" not in reply.all_text  # the placeholder was replaced, not left hanging


def test_slack_errors_are_logged_and_other_threads_still_answered(bot, slack, quote, path):
    for method in {first_post(path), "chat.postMessage"}:  # a refused stream falls back to a placeholder post
        slack.fail(method, "channel_not_found", times=None, when=lambda p: p.get("channel") == "C0GONE")
    try:
        mention(slack, "WTI in won? (gone channel)", channel="C0GONE")
        payload, _ = mention(slack, "WTI in won? (healthy channel)", channel="C0HEALTHY")
        answer_in(slack, "C0HEALTHY", payload["event"]["ts"], wti_barrel(quote))
        slack.wait_for(lambda: f"{first_post(path)} failed: channel_not_found" in bot.log(), 10,
                       what="the Slack error in the bot's log")
    finally:
        slack.clear_faults()
    assert slack.posted("C0GONE") == []


def test_rate_limited_update_is_retried_after_retry_after(bot, slack, quote, path):
    last = "chat.update" if path == "placeholder" else "chat.stopStream"  # the call that puts the answer up
    slack.fail(last, "ratelimited", times=1, retry_after=1)
    payload, _ = mention(slack, "WTI in won? (rate limited)", channel="C0RATE")
    reply = answer_in(slack, "C0RATE", payload["event"]["ts"], wti_barrel(quote))
    limited = [c for c in slack.calls_to(last) if c.status == 429]
    assert limited and reply.versions[-1]["time"] - limited[0].time >= 0.9


def test_restart_continues_the_same_conversation(bot, slack, openai_fake, bot_env, quote):
    before_q, after_q = "WTI in won before restart?", "Brent in won after restart?"
    payload, _ = mention(slack, before_q, channel="C0RESTART")
    ts = payload["event"]["ts"]
    answer_in(slack, "C0RESTART", ts, wti_barrel(quote))
    old_connections = slack.connections()
    bot.kill()
    slack.wait_for(lambda: not set(old_connections) & set(slack.connections()), 10, what="old connection closed")
    bot.start()
    slack.wait_new_connection(max(old_connections), timeout=30)
    mention(slack, after_q, channel="C0RESTART", thread_ts=ts)
    answer_in(slack, "C0RESTART", ts, format_krw(quote.krw_per_barrel("Brent")))
    assert conversations_for(openai_fake, before_q) == conversations_for(openai_fake, after_q)

