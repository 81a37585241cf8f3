"""A cold burst over Socket Mode against `python bot.py` (one bot process for the module): every envelope is acked
within Slack's 3 s and answered once, and a starved process does not mistake its healthy connection for a dead
one (slack_sdk's own check did, and the envelopes unread on the replaced socket were never acked or answered).

Starvation is made exact with SIGSTOP: the bot gets no CPU at all for PAUSE seconds while Slack keeps sending,
the extreme of a loaded host or a CPU-throttled container. The fake's own websocket keepalive is set longer than
the pause, so the only thing that could end the connection is the bot's judgement.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

from oilfx.market import format_krw
from tests.fakes.bot_process import BotProcess, start_connected
from tests.fakes.slack_server import FakeSlack

BURST = 300             # mentions sent to the cold process ...
BURST_SECONDS = 2.0     # ... within this many seconds
PAUSED_BURST = 60       # mentions sent while the process is stopped (they wait in the socket)
PAUSE = 6.0             # seconds without CPU: slack_sdk's check (4 pings of 1 s) called the socket stale after ~5
ACK_DEADLINE = 3.0      # Slack's
ANSWER_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    fake.ws_keepalive = 30.0  # longer than PAUSE: the fake itself never drops the stopped bot
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def bot(servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    slack, openai_fake, pages = servers
    env = {**slack.env(), **openai_fake.env(), **pages.env(),
           "OILFX_DB": str(tmp_path_factory.mktemp("burst") / "oilfx.db")}
    process = start_connected(env, slack)
    yield process
    process.stop()


def mentions(slack: FakeSlack, prefix: str, n: int) -> list[dict[str, Any]]:
    return [slack.app_mention(f"WTI in won? ({prefix} #{i})", channel=f"C0{prefix}{i:04d}") for i in range(n)]


def deliver_over(slack: FakeSlack, payloads: list[dict[str, Any]], seconds: float) -> list[str]:
    """Deliver the payloads evenly over `seconds`; their envelope ids."""
    start, ids = time.monotonic(), []
    for i, payload in enumerate(payloads):
        time.sleep(max(0.0, start + i * seconds / len(payloads) - time.monotonic()))
        ids.append(slack.deliver("events_api", payload))
    return ids


def answers(slack: FakeSlack, payload: dict[str, Any], figure: str) -> int:
    """Messages in the mention's thread that carry the answer's figure."""
    event = payload["event"]
    return sum(figure in m.all_text for m in slack.posted(event["channel"], event["ts"]))


def wait_answered(slack: FakeSlack, payloads: list[dict[str, Any]], figure: str) -> None:
    slack.wait_for(lambda: all(answers(slack, p, figure) for p in payloads), ANSWER_TIMEOUT,
                   what=f"answers to all {len(payloads)} mentions")
    time.sleep(1.0)  # a second copy would follow the first closely


def opened_after(slack: FakeSlack, connection: int) -> list[int]:
    return [c for _, c, what in list(slack.connection_log) if what == "open" and c > connection]


def test_a_cold_burst_is_acked_within_3_s_and_answered_once_without_reconnecting(bot, servers, quote):
    slack, _, _ = servers
    first = max(slack.connections())
    figure = format_krw(quote.krw_per_barrel("WTI"))
    payloads = mentions(slack, "BURST", BURST)
    ids = deliver_over(slack, payloads, BURST_SECONDS)
    wait_answered(slack, payloads, figure)
    late = {e: slack.acks[e].latency if e in slack.acks else None for e in ids
            if e not in slack.acks or slack.acks[e].latency > ACK_DEADLINE}
    assert not late, f"{len(late)} of {BURST} envelopes not acked within {ACK_DEADLINE} s: {list(late.values())[:10]}"
    assert [answers(slack, p, figure) for p in payloads] == [1] * BURST
    assert opened_after(slack, first) == [], "the bot reconnected during the burst"


def test_a_starved_process_keeps_its_connection_and_loses_no_envelope(bot, servers, quote):
    slack, _, _ = servers
    first = max(slack.connections())
    figure = format_krw(quote.krw_per_barrel("WTI"))
    payloads = mentions(slack, "PAUSE", PAUSED_BURST)
    assert bot.proc is not None
    stopped = time.monotonic()
    os.kill(bot.proc.pid, signal.SIGSTOP)
    try:
        ids = deliver_over(slack, payloads, BURST_SECONDS)
        time.sleep(max(0.0, stopped + PAUSE - time.monotonic()))
    finally:
        os.kill(bot.proc.pid, signal.SIGCONT)
    resumed = time.time()
    wait_answered(slack, payloads, figure)
    assert opened_after(slack, first) == [], f"the bot replaced its healthy connection:\n{bot.log()[-3000:]}"
    # Sent while the bot had no CPU, so acked only after it resumed: then at once, not after a minute's retry.
    acked_at = [slack.envelopes[e].sent_at + slack.acks[e].latency for e in ids if e in slack.acks]
    assert len(acked_at) == PAUSED_BURST
    assert max(acked_at) - resumed <= ACK_DEADLINE
    assert [answers(slack, p, figure) for p in payloads] == [1] * PAUSED_BURST
