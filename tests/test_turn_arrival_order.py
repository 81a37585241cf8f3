"""A thread's messages are answered in message order even when the worker pool picks an earlier one up late.

Under load (2 cores, bursts) a turn may start 1-2 s after its message arrived; a follow-up picked up first must
still wait, because the message entered its thread's queue when it arrived (TurnRunner.submit), not when a worker
took it. In-process TurnRunner on both stores, against the loopback fakes; only the pool is slowed, for one task.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from oilfx.config import load_settings
from oilfx.market import Market, format_krw
from oilfx.services import Services, build_services
from oilfx.slack.app import make_client
from oilfx.slack.clients import SingleWorkspace
from oilfx.slack.turns import TurnRequest, TurnRunner
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.pages import PagesServer
from tests.fakes.slack_server import FakeSlack

PICKUP_DELAY = 1.0  # the loaded pool's delay for the first task, the thread's earlier message


class SlowFirstPickup(ThreadPoolExecutor):
    """A pool whose first task starts PICKUP_DELAY late, as a busy pool's would."""

    def __init__(self) -> None:
        super().__init__(max_workers=8, thread_name_prefix="test-turn")
        self._first = threading.Lock()
        self._delayed = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        with self._first:
            delay, self._delayed = (0.0 if self._delayed else PICKUP_DELAY), True

        def late() -> Any:
            time.sleep(delay)
            return fn(*args, **kwargs)

        return super().submit(late)


@pytest.fixture(params=["sqlite", "redis"])
def services(request, slack_server: FakeSlack, fake_openai: FakeOpenAI, pages_server: PagesServer,
             tmp_path) -> Iterator[Services]:
    env = {**slack_server.env(), **fake_openai.env(), **pages_server.env(), "OILFX_DB": str(tmp_path / "oilfx.db"),
           "OILFX_OPENAI_MAX_RETRIES": "0"}
    if request.param == "redis":
        env["REDIS_URL"] = request.getfixturevalue("redis_url")
    built = build_services(load_settings(env))
    yield built
    built.close()


def test_an_earlier_message_picked_up_late_is_still_answered_first(services, slack_server, pages_server):
    executor = SlowFirstPickup()
    runner = TurnRunner(services, SingleWorkspace(make_client(services.settings)), executor)
    channel, root = f"C0ORDER{type(services.store).__name__}", "1700000100.000100"
    asked = [("WTI", "WTI per barrel in won? (first)", root), ("Brent", "Brent per barrel in won? (second)",
                                                             "1700000100.000200")]
    for n, (_, text, ts) in enumerate(asked):
        runner.submit(TurnRequest(team="T0ORDER", channel=channel, user="U0ORDER", text=text, event_id=f"EvOrd{n}",
                                  order=ts, thread_ts=root, reply_thread_ts=root))
    quote = Market(load_settings(pages_server.env())).quote()
    expected = [format_krw(quote.krw_per_barrel(benchmark)) for benchmark, _, _ in asked]
    try:
        slack_server.wait_for(lambda: sum(any(e in t for e in expected)
                                          for t in slack_server.thread_texts(channel, root)) >= 2, 20,
                              what="two answers")
    finally:
        executor.shutdown(wait=True)
    texts = slack_server.thread_texts(channel, root)  # in the order they were posted
    assert len(texts) == 2
    assert expected[0] in texts[0] and expected[1] in texts[1]
