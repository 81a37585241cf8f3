"""arrivals.py: a thread's follow-up waits for the earlier questions this process read and has not yet queued.
The end-to-end case is tests/test_scaleout_two_bots.py (back to back), which answered out of order before."""

from __future__ import annotations

import inspect
import threading
import time
from typing import Any

import pytest

from oilfx.slack import arrivals
from oilfx.slack.arrivals import Arrivals, expect_question, settled_after


def envelope(event: dict[str, Any]) -> dict[str, Any]:
    return {"type": "events_api", "envelope_id": "e1", "payload": {"event": event}}


def test_a_follow_up_waits_until_the_earlier_question_arrives() -> None:
    log = Arrivals()
    log.expect("C1", "100.0", "100.0")
    log.expect("C1", "100.0", "101.0")
    done: list[list[str]] = []
    waiter = threading.Thread(target=lambda: done.append(log.wait_for_earlier("C1", "100.0", "101.0", 5.0)))
    waiter.start()
    time.sleep(0.2)
    assert not done, "the follow-up went ahead before the root arrived"
    log.arrived("C1", "100.0")
    waiter.join(2.0)
    assert done == [[]]


def test_only_earlier_questions_of_the_same_thread_hold_a_follow_up() -> None:
    log = Arrivals()
    log.expect("C1", "100.0", "102.0")   # later in the thread
    log.expect("C1", "200.0", "200.5")   # another thread
    log.expect("C2", "100.0", "100.5")   # another channel
    assert log.wait_for_earlier("C1", "100.0", "101.0", 0.0) == []


def test_a_question_that_never_arrives_holds_a_follow_up_only_until_the_timeout() -> None:
    log = Arrivals()
    log.expect("C1", "100.0", "100.0")
    started = time.monotonic()
    assert log.wait_for_earlier("C1", "100.0", "101.0", 0.3) == ["100.0"]
    assert 0.3 <= time.monotonic() - started < 2.0


def test_the_oldest_questions_are_forgotten_past_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arrivals, "KEPT", 3)
    log = Arrivals()
    for i in range(5):
        log.expect("C1", "100.0", f"10{i}.0")
    assert log.wait_for_earlier("C1", "100.0", "999.0", 0.0) == ["102.0", "103.0", "104.0"]


@pytest.mark.parametrize(("event", "expected"), [
    ({"type": "app_mention", "channel": "C1", "ts": "5.0"}, True),
    ({"type": "app_mention", "channel": "C1", "ts": "5.0", "thread_ts": "1.0"}, True),
    ({"type": "message", "channel_type": "im", "channel": "D1", "ts": "5.0"}, True),
    ({"type": "message", "channel_type": "im", "channel": "D1", "ts": "5.0", "subtype": "file_share"}, True),
    ({"type": "message", "channel_type": "im", "channel": "D1", "ts": "5.0", "subtype": "message_changed"}, False),
    ({"type": "message", "channel_type": "im", "channel": "D1", "ts": "5.0", "bot_id": "B1"}, False),
    ({"type": "message", "channel_type": "channel", "channel": "C1", "ts": "5.0"}, False),
    ({"type": "reaction_added", "channel": "C1", "ts": "5.0"}, False),
])
def test_the_reader_expects_only_what_the_listeners_answer(monkeypatch: pytest.MonkeyPatch, event: dict[str, Any],
                                                           expected: bool) -> None:
    log = Arrivals()
    monkeypatch.setattr(arrivals, "ARRIVALS", log)
    expect_question(envelope(event))
    root = event.get("thread_ts") or event["ts"]
    assert (log.wait_for_earlier(event["channel"], root, "9.0", 0.0) == ["5.0"]) is expected


def test_a_wrapped_listener_marks_its_question_arrived_even_when_it_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    log = Arrivals()
    monkeypatch.setattr(arrivals, "ARRIVALS", log)
    log.expect("C1", "1.0", "1.0")

    def handle(body: dict[str, Any], event: dict[str, Any]) -> None:
        raise RuntimeError("listener failed")

    wrapped = settled_after(handle)
    # Bolt injects arguments by the names of the unwrapped function (slack_bolt.util.utils)
    assert inspect.getfullargspec(inspect.unwrap(wrapped)).args == ["body", "event"]
    with pytest.raises(RuntimeError):
        wrapped(body={}, event={"channel": "C1", "ts": "1.0"})
    assert log.wait_for_earlier("C1", "1.0", "2.0", 0.0) == []


def test_threads_of_two_workspaces_with_the_same_ids_do_not_wait_for_each_other() -> None:
    log = Arrivals()
    log.expect("C1", "100.0", "101.0", team="T1")
    assert log.wait_for_earlier("C1", "100.0", "102.0", 0.0, team="T2") == []
    assert log.wait_for_earlier("C1", "100.0", "102.0", 0.0, team="T1") == ["101.0"]
    log.arrived("C1", "101.0", team="T2")   # another workspace's message of the same ts: not this one
    assert log.wait_for_earlier("C1", "100.0", "102.0", 0.0, team="T1") == ["101.0"]
    log.arrived("C1", "101.0", team="T1")
    assert log.wait_for_earlier("C1", "100.0", "102.0", 0.0, team="T1") == []
