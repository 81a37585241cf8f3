"""The turn's orchestration (turns.TurnRunner) through the Reply interface alone: a recording reply and a scripted
engine stand in for Slack and the model; the store is a real SQLite file. No Slack, no OpenAI, no network."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from typing import Any

import pytest

from oilfx.config import load_settings
from oilfx.engines.base import Answer, EngineError, TurnListener
from oilfx.services import Services
from oilfx.slack.replies import SlackCallFailed
from oilfx.slack.reply import FinalAnswer
from oilfx.slack.reply_start import ReplyWhenStarted, start_beside
from oilfx.slack.turn_request import TurnRequest
from oilfx.slack.turns import TurnRunner
from oilfx.store import open_store
from oilfx.store.base import ThreadKey
from oilfx.tools import ToolResult, ToolStep
from oilfx.tools.context import ToolContext

STEP = ToolStep(1, "call_1", "oil_price", '{"benchmark":"WTI"}', "{}", True, 2.0, ToolResult())


class RecordingReply:
    """A Reply that records every call, in order."""

    def __init__(self, fail_start: SlackCallFailed | None = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.ts: str | None = None
        self.fail_start = fail_start

    @property
    def streamed(self) -> bool:
        return False

    def start(self) -> None:
        self.calls.append(("start", None))
        if self.fail_start is not None:
            raise self.fail_start
        self.ts = "900.000001"

    def tool_started(self, call_id: str, name: str, arguments: str) -> None:
        self.calls.append(("tool_started", name))

    def tool_finished(self, step: ToolStep) -> None:
        self.calls.append(("tool_finished", step.name))

    def text_delta(self, delta: str) -> None:
        self.calls.append(("text_delta", delta))

    def finish(self, final: FinalAnswer) -> None:
        self.calls.append(("finish", final))

    def fail(self, reason: str) -> None:
        self.calls.append(("fail", reason))

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


class ScriptedEngine:
    """Plays one tool call and a streamed text, then answers `text` (or raises `error`)."""

    name = "scripted"

    def __init__(self, text: str = "WTI rose today.", error: EngineError | None = None) -> None:
        self.text, self.error = text, error
        self.asked: list[tuple[str, str | None]] = []
        self.contexts: list[ToolContext | None] = []

    def ask(self, text: str, conversation: str | None = None, listener: TurnListener | None = None,
            context: ToolContext | None = None) -> Answer:
        self.asked.append((text, conversation))
        self.contexts.append(context)
        assert listener is not None
        listener.tool_started(STEP.call_id, STEP.name, STEP.arguments)
        listener.tool_finished(STEP)
        if self.error is not None:
            raise self.error
        listener.text_delta(self.text)
        return Answer(self.text, (STEP,), f"conv_{len(self.asked)}", "scripted", "m1")


class Inline(Executor):
    """Runs each submitted task at once, on the caller's thread."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


@pytest.fixture
def services(tmp_path) -> Iterator[Services]:
    settings = load_settings({"OILFX_DB": str(tmp_path / "oilfx.db")})
    store = open_store(settings)
    yield Services(settings, store, None, None, ScriptedEngine(), None)  # type: ignore[arg-type]
    store.close()


def runner_with(services: Services, reply: RecordingReply) -> TurnRunner:
    return TurnRunner(services, lambda team: None, Inline(), choose=lambda request, log: reply)  # type: ignore[arg-type]


def request(event_id: str = "Ev1", text: str = "WTI in dollars?", thread_ts: str | None = "100.000001") -> TurnRequest:
    return TurnRequest(team="T1", channel="C1", user="U1", text=text, event_id=event_id, order=thread_ts or "1.0",
                       thread_ts=thread_ts, reply_thread_ts=thread_ts)


def test_a_turn_tells_the_reply_every_event_then_finishes_it_once(services):
    reply = RecordingReply()
    runner_with(services, reply).submit(request())
    assert reply.names() == ["start", "tool_started", "tool_finished", "text_delta", "finish"]
    final = reply.calls[-1][1]
    assert final.answer.text == "WTI rose today." and final.feedback_key and final.steps_key
    assert not final.show_steps
    assert services.store.get_conversation(ThreadKey("T1", "C1", "100.000001"), "scripted") == "conv_1"


def test_the_engine_is_told_who_the_turn_is_for(services):
    """Tools that act for someone (create_alert) get the asker's team, channel and user from the turn."""
    runner_with(services, RecordingReply()).submit(request())
    assert services.engine.contexts == [ToolContext("T1", "C1", "U1")]


def test_the_reply_gets_the_guarded_answer(services):
    services.engine.text = "WTI is $76.41 a barrel."  # no tool produced that figure
    reply = RecordingReply()
    runner_with(services, reply).submit(request())
    final = reply.calls[-1][1]
    assert "$76.41" not in final.answer.text and "removed" in final.answer.text


def test_asking_for_steps_shows_them_instead_of_keeping_them_behind_a_button(services):
    reply = RecordingReply()
    runner_with(services, reply).submit(request(text="WTI in dollars? show steps"))
    final = reply.calls[-1][1]
    assert final.show_steps and final.steps_key is None


def test_an_engine_failure_fails_the_reply_with_its_reason(services):
    services.engine.error = EngineError("OpenAI returned HTTP 500 twice; try again in a minute.")
    reply = RecordingReply()
    runner_with(services, reply).submit(request())
    assert reply.names() == ["start", "tool_started", "tool_finished", "fail"]
    assert reply.calls[-1][1] == "OpenAI returned HTTP 500 twice; try again in a minute."


def test_a_reply_that_cannot_start_abandons_the_turn_and_drops_its_events(services):
    reply = RecordingReply(fail_start=SlackCallFailed("chat.postMessage", "channel_not_found"))
    runner_with(services, reply).submit(request())
    assert reply.names() == ["start"]  # no events, no finish, no failure message: there is nowhere to say it


def test_a_redelivered_event_is_answered_once(services):
    reply = RecordingReply()
    runner = runner_with(services, reply)
    runner.submit(request())
    runner.submit(request())
    assert reply.names().count("finish") == 1 and len(services.engine.asked) == 1


def test_the_next_turn_of_a_thread_continues_its_conversation(services):
    runner = runner_with(services, RecordingReply())
    runner.submit(request("Ev1"))
    runner.submit(request("Ev2"))
    assert [c for _, c in services.engine.asked] == [None, "conv_1"]


def test_the_start_runs_beside_the_caller_and_reraises_what_it_raised():
    assert start_beside(lambda: RecordingReply()).result(timeout=5).names() == []

    def refused() -> RecordingReply:
        raise SlackCallFailed("chat.startStream", "channel_not_found")

    with pytest.raises(SlackCallFailed):
        start_beside(refused).result(timeout=5)


def test_events_wait_for_the_start_and_are_dropped_if_it_failed():
    started: Future = Future()
    reply = RecordingReply()
    started.set_result(reply)
    ReplyWhenStarted(started, logging.LoggerAdapter(logging.getLogger("t"))).text_delta("hi")
    assert reply.calls == [("text_delta", "hi")]
    failed: Future = Future()
    failed.set_exception(SlackCallFailed("chat.postMessage", "channel_not_found"))
    ReplyWhenStarted(failed, logging.LoggerAdapter(logging.getLogger("t"))).tool_finished(STEP)  # no raise


def test_a_question_over_the_cap_never_reaches_the_model(services):
    reply = RecordingReply()
    runner_with(services, reply).submit(request(text="WTI? " * 2000))
    assert reply.names() == ["start", "fail"] and "OILFX_MAX_QUESTION_CHARS" in reply.calls[-1][1]
    assert services.engine.asked == []


def test_a_store_failure_in_the_threads_queue_is_told_and_counted(services, monkeypatch):
    """The queue step runs before _turn (which counts its own outcomes): a store failing there is told to the user
    where the answer would have gone and counted as an error in /metrics, once."""
    from oilfx.metrics import METRICS
    from oilfx.store import StoreError

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise StoreError("database is locked")

    def errors() -> float:
        return METRICS.registry.get_sample_value("oilfx_turns_total", {"kind": "mention", "outcome": "error"}) or 0

    monkeypatch.setattr(services.store, "thread_turn", broken)
    reply, before = RecordingReply(), errors()
    runner_with(services, reply).submit(request(event_id="EvQueue"))
    assert reply.names() == ["fail"] and "StoreError" in reply.calls[0][1]
    assert errors() == before + 1 and services.engine.asked == []
