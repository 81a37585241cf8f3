"""Slack-side faults against `python bot.py` over the fake Slack's Socket Mode (one bot process for the module):
a burst into one thread, Web API rate limits and hard errors, and a Socket Mode connection dropped mid-turn."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from oilfx.market import Quote, format_krw, format_krw_litre
from tests.fakes.bot_process import BotProcess, start_connected

ANSWER_TIMEOUT = 20.0
FIRST_POST = "chat.startStream"  # a reply's first Web API call on the default (streaming) path
# Each question names a different (benchmark, unit), so every answer's figure says which question it answers.
QUESTIONS = [("WTI", "barrel"), ("Brent", "barrel"), ("Dubai", "barrel"), ("WTI", "litre"), ("Brent", "litre"),
             ("Dubai", "litre")]


@pytest.fixture(scope="module")
def bot(servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    slack, openai_fake, pages = servers
    # The defaults: a mention's answer is streamed (chat.startStream first); the placeholder path's own run of the
    # same faults is tests/test_bot_e2e.py's placeholder module run and tests/test_faults_slack_refusals.py.
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_OPENAI_MAX_RETRIES": "0",
           "OILFX_DB": str(tmp_path_factory.mktemp("slack") / "oilfx.db")}
    process = start_connected(env, slack)
    yield process
    process.stop()


def figure(quote: Quote, benchmark: str, unit: str) -> str:
    if unit == "litre":
        return format_krw_litre(quote.krw_per_litre(benchmark))
    return format_krw(quote.krw_per_barrel(benchmark))


def question(i: int) -> str:
    benchmark, unit = QUESTIONS[i % len(QUESTIONS)]
    return f"{benchmark} per {unit} in won? (burst #{i})"


def test_ten_messages_into_one_thread_within_a_second_are_answered_in_order_in_one_conversation(
        bot, servers, quote):
    slack, openai_fake, _ = servers
    root = slack.app_mention(question(0), channel="C0BURST")
    ts = root["event"]["ts"]
    payloads = [root] + [slack.app_mention(question(i), channel="C0BURST", thread_ts=ts) for i in range(1, 10)]
    started = time.monotonic()
    envelopes = [slack.deliver("events_api", p) for p in payloads]
    assert time.monotonic() - started < 1.0
    for envelope in envelopes:
        slack.wait_ack(envelope)
    slack.wait_for(lambda: sum("₩" in t for t in slack.thread_texts("C0BURST", ts)) >= 10, 60,
                   what="ten answers in the burst thread")
    texts = slack.thread_texts("C0BURST", ts)
    assert len(texts) == 10
    for i, text in enumerate(texts):
        benchmark, unit = QUESTIONS[i % len(QUESTIONS)]
        assert figure(quote, benchmark, unit) in text, (i, text)
    # One OpenAI conversation, and its requests come turn by turn: question i's rounds all before question i+1's.
    calls = [r["body"] for r in openai_fake.requests if r["path"] == "/v1/responses"]
    conversation = next(b["conversation"] for b in calls if question(0) in str(b.get("input")))
    sequence = []
    for body in calls:
        if body.get("conversation") != conversation:
            continue
        users = [i["content"] for i in body.get("input") or [] if isinstance(i, dict) and "content" in i]
        sequence.append(users[0] if users else "round")
    asked = [q for q in sequence if q != "round"]
    assert asked == [question(i) for i in range(10)]  # every question went to this one conversation, in order
    # No interleaving: after each question come its own two tool rounds, then the next question.
    assert sequence == [x for q in asked for x in (q, "round", "round")]


def test_rate_limited_post_is_posted_after_retry_after(bot, servers, quote):
    slack, _, _ = servers
    slack.fail(FIRST_POST, "ratelimited", times=1, retry_after=1,
               when=lambda p: p.get("channel") == "C0POSTRATE")
    payload = slack.app_mention("WTI in won? (post rate limited)", channel="C0POSTRATE")
    slack.wait_ack(slack.deliver("events_api", payload))
    reply = slack.wait_for_message(channel="C0POSTRATE", thread_ts=payload["event"]["ts"],
                                   contains=figure(quote, "WTI", "barrel"), timeout=ANSWER_TIMEOUT)
    limited = [c for c in slack.calls_to(FIRST_POST) if c.status == 429
               and c.params.get("channel") == "C0POSTRATE"]
    assert len(limited) == 1 and reply.versions[0]["time"] - limited[0].time >= 0.9
    assert len(slack.posted("C0POSTRATE")) == 1


@pytest.mark.parametrize("error", ["invalid_auth", "channel_not_found"])
def test_hard_slack_errors_are_logged_and_other_threads_keep_being_served(bot, servers, quote, error):
    slack, _, _ = servers
    broken, healthy = f"C0{error.upper()[:6]}", f"C0OK{error.upper()[:4]}"
    for method in (FIRST_POST, "chat.postMessage"):  # a refused stream falls back to a placeholder post
        slack.fail(method, error, times=None, when=lambda p: p.get("channel") == broken)
    try:
        slack.wait_ack(slack.deliver("events_api", slack.app_mention("WTI in won?", channel=broken)))
        payload = slack.app_mention("Brent in won?", channel=healthy)
        slack.wait_ack(slack.deliver("events_api", payload))
        slack.wait_for_message(channel=healthy, thread_ts=payload["event"]["ts"],
                               contains=figure(quote, "Brent", "barrel"), timeout=ANSWER_TIMEOUT)
        slack.wait_for(lambda: f"channel={broken}" in bot.log()
                       and f"chat.postMessage failed: {error}" in bot.log(), 10, what=f"{error} in the log")
    finally:
        slack.clear_faults()
    assert slack.posted(broken) == [] and bot.alive


@pytest.mark.parametrize("abrupt", [False, True], ids=["close", "tcp_cut"])
def test_socket_dropped_mid_turn_still_delivers_the_answer_and_reconnects_quickly(bot, servers, quote, abrupt):
    slack, openai_fake, _ = servers
    channel = "C0DROP" + ("CUT" if abrupt else "CLOSE")
    openai_fake.latency = 0.4
    try:
        payload = slack.app_mention("Dubai in won? (socket drop)", channel=channel)
        slack.wait_ack(slack.deliver("events_api", payload))
        slack.wait_for_call(FIRST_POST, where=lambda c: c.params.get("channel") == channel)  # mid-turn
        old = slack.connections()
        dropped_at = time.monotonic()
        slack.drop(abrupt=abrupt)
        slack.wait_for_message(channel=channel, thread_ts=payload["event"]["ts"],
                               contains=figure(quote, "Dubai", "barrel"), timeout=ANSWER_TIMEOUT)
        # slack_sdk's default 10 s ping leaves the app deaf 10-40 s; bot.py's 1 s ping reconnects within seconds
        slack.wait_new_connection(max(old), timeout=30)
        assert time.monotonic() - dropped_at < (8.0 if abrupt else 4.0)
    finally:
        openai_fake.latency = 0.0
    after = slack.app_mention("Brent per litre in won? (after reconnect)", channel=channel)
    slack.wait_ack(slack.deliver("events_api", after))
    slack.wait_for_message(channel=channel, thread_ts=after["event"]["ts"],
                           contains=figure(quote, "Brent", "litre"), timeout=ANSWER_TIMEOUT)
