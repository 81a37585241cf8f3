"""The loop's invariant, end to end on every engine (real openai SDK, fake OpenAI, real Market on fixture pages):
a turn leaves its conversation usable whatever failed, stateful requests are never replayed blindly, a failed
first turn leaves no orphan, and finish handling (caps, cut-off answers, commentary, usage) is the same."""

from __future__ import annotations

import json

import openai
import pytest

from oilfx.config import ConfigError, load_settings
from oilfx.engines import EngineError, make_engine
from oilfx.engines.memory import MemoryState
from tests.fakes.openai_responses import REASONING_TOKENS, item_events
from tests.fakes.openai_script import COMMENTARY, tokens
from tests.fakes.openai_server import FakeOpenAI, Script
from tests.fakes.pages import PagesServer
from tests.test_engines import ENGINES, EXPECTED, SEED_QUESTION, _registry, _settings

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
STATEFUL = ("/v1/responses", "/items", "/messages", "/runs", "/submit_tool_outputs", "/cancel")


def _refused(fake: FakeOpenAI, code_or_text: str) -> list[dict]:
    return [r for r in fake.requests if code_or_text in json.dumps(r.get("refused") or {})]


@pytest.mark.parametrize("engine_name", ENGINES)
def test_an_outage_after_tool_calls_does_not_break_the_thread(pages_server: PagesServer, fake_openai: FakeOpenAI,
                                                              engine_name: str) -> None:
    settings = _settings(pages_server, fake_openai, engine_name, OILFX_OPENAI_MAX_RETRIES="1")
    engine = make_engine(settings, _registry(settings), MemoryState())
    first = engine.ask(SEED_QUESTION)
    assert EXPECTED in first.text
    fake_openai.outage = True     # the round carrying tool outputs fails, and so does the repair
    with pytest.raises(EngineError, match="HTTP 500"):
        engine.ask("브렌트유는 리터당 얼마야?", first.conversation)
    if engine_name == "responses":   # the repair was refused too: the Conversation still holds calls without outputs
        items = fake_openai.conversations[first.conversation]["items"]
        outputs = {i["call_id"] for i in items if i["type"] == "function_call_output"}
        assert [i for i in items if i["type"] == "function_call" and i["call_id"] not in outputs]
        assert [r for r in fake_openai.requests if r["path"].endswith("/items") and r["method"] == "POST"
                and r.get("refused")]
    fake_openai.outage = False
    third = engine.ask(SEED_QUESTION, first.conversation)
    fourth = engine.ask("브렌트유는 리터당 얼마야?", first.conversation)
    assert EXPECTED in third.text and "리터당" in fourth.text
    assert third.conversation == fourth.conversation == first.conversation
    assert not _refused(fake_openai, "No tool output found")


def test_a_lost_answer_is_read_from_the_conversation_not_replayed(pages_server: PagesServer,
                                                                  fake_openai: FakeOpenAI) -> None:
    """The round finished on the server but its answer came after the timeout: the SDK's retry would resend the
    question and meet that round's calls without outputs."""
    fake_openai.late_seconds = 1.5
    settings = _settings(pages_server, fake_openai, "responses", OILFX_OPENAI_TIMEOUT="1",
                         OILFX_OPENAI_MAX_RETRIES="2")
    engine = make_engine(settings, _registry(settings), MemoryState())
    fake_openai.script = Script.misbehave("late")
    answer = engine.ask(SEED_QUESTION)
    assert EXPECTED in answer.text
    rounds = [r for r in fake_openai.requests if r["path"] == "/v1/responses"]
    asked = [r for r in rounds if any(i.get("role") == "user" for i in r["body"]["input"])]
    assert len(asked) == 1 and len(rounds) == 3   # the question went once; the lost round's calls were used
    assert all(r["headers"]["x-stainless-retry-count"] == "0" for r in fake_openai.requests
               if r["method"] == "POST" and r["path"].endswith(STATEFUL))
    assert not _refused(fake_openai, "No tool output found")
    fake_openai.script = Script()
    assert EXPECTED in engine.ask(SEED_QUESTION, answer.conversation).text


def test_conversation_locked_is_waited_out(pages_server: PagesServer, fake_openai: FakeOpenAI) -> None:
    """Each round outlives the client's timeout, so the retry meets the first attempt still running."""
    fake_openai.slow_seconds = 1.8    # the resend (after ~0.4 s of backoff) finds the first attempt running
    settings = _settings(pages_server, fake_openai, "responses", OILFX_OPENAI_TIMEOUT="1",
                         OILFX_OPENAI_MAX_RETRIES="1")
    engine = make_engine(settings, _registry(settings), MemoryState())
    fake_openai.script = Script.misbehave("slow")
    answer = engine.ask(SEED_QUESTION)
    assert EXPECTED in answer.text
    assert _refused(fake_openai, "conversation_locked")
    items = fake_openai.conversations[answer.conversation]["items"]
    calls = [i["call_id"] for i in items if i["type"] == "function_call"]
    outputs = [i["call_id"] for i in items if i["type"] == "function_call_output"]
    assert len(calls) == 3 and sorted(calls) == sorted(outputs)   # each round once, each call closed once


@pytest.mark.parametrize("engine_name", ["responses", "assistants"])
def test_a_failed_first_turn_leaves_no_orphan_conversation(pages_server: PagesServer, fake_openai: FakeOpenAI,
                                                           engine_name: str) -> None:
    settings = _settings(pages_server, fake_openai, engine_name, OILFX_OPENAI_MAX_RETRIES="0")
    fake_openai.script = Script.misbehave("500_after_tools")
    with pytest.raises(EngineError):
        make_engine(settings, _registry(settings)).ask(SEED_QUESTION)
    assert fake_openai.conversations == {} and fake_openai.threads == {}


def test_a_transient_failure_is_retried_by_the_loop_not_the_sdk(pages_server: PagesServer,
                                                                 fake_openai: FakeOpenAI) -> None:
    settings = _settings(pages_server, fake_openai, "responses", OILFX_OPENAI_MAX_RETRIES="1")
    engine = make_engine(settings, _registry(settings), MemoryState())
    first = engine.ask(SEED_QUESTION)
    fake_openai.script = Script.misbehave("500_after_tools")
    with pytest.raises(EngineError, match="HTTP 500 after 2 attempts"):
        engine.ask(SEED_QUESTION, first.conversation)
    posts = [r for r in fake_openai.requests if r["method"] == "POST" and r["path"].endswith(STATEFUL)]
    assert posts and all(r["headers"]["x-stainless-retry-count"] == "0" for r in posts)
    assert len([r for r in posts if r["path"] == "/v1/responses" and r.get("refused")]) == 2


@pytest.mark.parametrize("engine_name", ENGINES)
def test_a_cut_off_answer_is_never_the_answer(pages_server: PagesServer, fake_openai: FakeOpenAI,
                                              engine_name: str) -> None:
    settings = _settings(pages_server, fake_openai, engine_name, OILFX_MAX_OUTPUT_TOKENS="300")
    engine = make_engine(settings, _registry(settings), MemoryState())
    fake_openai.script = Script.misbehave("length")
    with pytest.raises(EngineError) as caught:
        engine.ask(SEED_QUESTION)
    message = str(caught.value)
    assert "cut off" in message and "OILFX_MAX_OUTPUT_TOKENS" in message and "300" in message
    assert EXPECTED not in message
    caps = {"responses": "max_output_tokens", "chat": "max_completion_tokens", "assistants": "max_completion_tokens"}
    sent = [r["body"] for r in fake_openai.requests if r["method"] == "POST" and (
        r["path"] in ("/v1/responses", "/v1/chat/completions") or r["path"].endswith("/runs"))]
    assert sent and all(b[caps[engine_name]] == 300 for b in sent)
    if engine_name == "responses":
        assert all(b["truncation"] == "auto" for b in sent)
    # A cap below the answer's length cuts it the same way; the thread goes on.
    low = _settings(pages_server, fake_openai, engine_name, OILFX_MAX_OUTPUT_TOKENS="16")
    fake_openai.script = Script()
    with pytest.raises(EngineError, match="cut off"):
        make_engine(low, _registry(low), MemoryState()).ask(SEED_QUESTION)


def test_max_output_tokens_is_validated() -> None:
    assert load_settings({}).max_output_tokens == 4096
    for bad in ("0", "15", "many"):
        with pytest.raises(ConfigError, match="OILFX_MAX_OUTPUT_TOKENS"):
            load_settings({"OILFX_MAX_OUTPUT_TOKENS": bad})


@pytest.mark.parametrize("stream", [False, True])
def test_commentary_phase_text_is_not_the_answer(pages_server: PagesServer, fake_openai: FakeOpenAI,
                                                 stream: bool) -> None:
    deltas: list[str] = []

    class Collect:
        def tool_started(self, *args: object) -> None:
            pass

        def tool_finished(self, *args: object) -> None:
            pass

        def text_delta(self, delta: str) -> None:
            deltas.append(delta)

    settings = _settings(pages_server, fake_openai, "responses")
    fake_openai.script = Script.misbehave("commentary")
    answer = make_engine(settings, _registry(settings), stream=stream).ask(SEED_QUESTION,
                                                                           listener=Collect())
    assert EXPECTED in answer.text and COMMENTARY not in answer.text
    assert COMMENTARY not in "".join(deltas)
    if stream:
        assert "".join(deltas).strip() == answer.text


@pytest.mark.parametrize("engine_name", ["responses", "chat"])
def test_reasoning_and_cached_tokens_are_recorded(pages_server: PagesServer, fake_openai: FakeOpenAI,
                                                  engine_name: str) -> None:
    settings = _settings(pages_server, fake_openai, engine_name)
    fake_openai.script = Script.misbehave("reasoning")
    answer = make_engine(settings, _registry(settings)).ask(SEED_QUESTION)
    assert EXPECTED in answer.text
    steps = answer.model_steps
    assert [s.reasoning_tokens for s in steps] == [REASONING_TOKENS] * 3
    if engine_name == "responses":
        served = [r["response"]["usage"]["input_tokens_details"]["cached_tokens"]
                  for r in fake_openai.responses.values()]
        assert [s.cached_tokens for s in steps] == served
    assert steps[0].cached_tokens == 0 and steps[-1].cached_tokens and steps[-1].cached_tokens > 0


def test_repair_closes_dangling_calls_in_batches_of_20(pages_server: PagesServer, fake_openai: FakeOpenAI) -> None:
    """A process died after the model asked for 25 calls (e.g. a model run wild): the next turn closes them all."""
    settings = _settings(pages_server, fake_openai, "responses")
    engine = make_engine(settings, _registry(settings), MemoryState())
    first = engine.ask(SEED_QUESTION)
    dangling = [{"type": "function_call", "call_id": f"call_dead{i}", "name": "oil_price", "arguments": "{}"}
                for i in range(25)]
    client = openai.OpenAI(api_key="sk-test-0000000000", base_url=fake_openai.base_url)
    for start in (0, 20):
        client.conversations.items.create(first.conversation, items=dangling[start:start + 20])
    answer = engine.ask(SEED_QUESTION, first.conversation)
    assert EXPECTED in answer.text
    posts = [r["body"]["items"] for r in fake_openai.requests if r["method"] == "POST"
             and r["path"].endswith("/items") and not r.get("refused")][2:]
    assert [len(batch) for batch in posts] == [20, 5]
    assert all("interrupted" in json.loads(i["output"])["error"] for batch in posts for i in batch)


def test_a_server_without_conversations_is_named(pages_server: PagesServer, fake_openai: FakeOpenAI) -> None:
    settings = _settings(pages_server, fake_openai, "responses")
    fake_openai.conversations_api = False        # llama.cpp: no such route
    with pytest.raises(EngineError) as caught:
        make_engine(settings, _registry(settings)).ask(SEED_QUESTION)
    assert f"{fake_openai.base_url}/conversations" in str(caught.value)
    assert "OILFX_ENGINE=chat" in str(caught.value)
    fake_openai.conversations_api, fake_openai.keeps_conversations = True, False   # LiteLLM: `conversation` ignored
    before = len(fake_openai.requests)
    with pytest.raises(EngineError) as caught:
        make_engine(settings, _registry(settings)).ask(SEED_QUESTION)
    assert f"{fake_openai.base_url}/responses" in str(caught.value) and "OILFX_ENGINE=chat" in str(caught.value)
    assert "kept asking" not in str(caught.value)
    assert len([r for r in fake_openai.requests[before:] if r["path"] == "/v1/responses"]) == 1   # detected in round 1


def test_a_thread_longer_than_the_context_window_still_answers(pages_server: PagesServer,
                                                               fake_openai: FakeOpenAI) -> None:
    fake_openai.context_window = 1500   # a few turns of this bot (tool outputs are ~1 kB of JSON each)
    settings = _settings(pages_server, fake_openai, "responses")
    engine = make_engine(settings, _registry(settings), MemoryState())
    conversation = None
    for _ in range(4):
        answer = engine.ask(SEED_QUESTION, conversation)
        assert EXPECTED in answer.text
        conversation = answer.conversation
    assert tokens(item_events(fake_openai.conversations[conversation]["items"])) > fake_openai.context_window
    assert not _refused(fake_openai, "context_length_exceeded")
