"""oilfx/engines/response_wire.py against the fake OpenAI: the SDK sends, we read the raw body.

Streamed faults must end the same way as when the SDK typed every event: a reset mid-stream is the SDK's
APIConnectionError, a stall its APITimeoutError, an `error` event an EngineError naming it; and the responses
engine, retrying, still answers.
"""

from __future__ import annotations

import time

import openai
import pytest

from oilfx.engines import EngineError, make_engine
from oilfx.engines import response_wire as wire
from oilfx.engines.base import NullListener
from oilfx.engines.items import Finish
from oilfx.engines.memory import MemoryState
from oilfx.engines.responses import read_response
from tests.fakes.openai_server import FakeOpenAI
from tests.test_engines import EXPECTED, SEED_QUESTION, _registry, _settings

TOOLS = [{"type": "function", "name": n, "parameters": {"type": "object"}} for n in ("oil_price", "usd_krw")]


@pytest.fixture
def client(fake_openai: FakeOpenAI) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test-0000000000", base_url=fake_openai.base_url, max_retries=0, timeout=0.5)


def _body(client: openai.OpenAI, question: str = SEED_QUESTION) -> dict:
    conversation = client.conversations.create().id
    return {"model": "gpt-test", "conversation": conversation, "input": question, "tools": TOOLS}


def test_streamed_and_plain_rounds_read_the_same(client: openai.OpenAI) -> None:
    deltas: list[str] = []
    streamed = read_response(wire.stream(client, _body(client), deltas.append))
    plain = read_response(wire.create(client, _body(client)))
    assert streamed.finish is plain.finish is Finish.TOOL_CALLS
    assert [c.name for c in streamed.calls] == [c.name for c in plain.calls] == ["oil_price", "usd_krw"]
    assert streamed.usage.input_tokens and streamed.usage.input_tokens == plain.usage.input_tokens
    assert deltas == []   # a round of tool calls has no text


def test_an_answer_streams_as_deltas_that_make_the_final_text(client: openai.OpenAI) -> None:
    body = _body(client)
    first = read_response(wire.create(client, body))
    outputs = [{"type": "function_call_output", "call_id": c.call_id, "output": "{}"} for c in first.calls]
    deltas: list[str] = []
    final = read_response(wire.stream(client, {**body, "input": outputs}, deltas.append))
    # the fake's model, offered no oil_price_krw here, answers that it cannot: text all the same
    assert final.finish is Finish.DONE and len(deltas) > 1 and "".join(deltas) == final.text
    assert "no tools were available" in final.text


def test_a_reset_mid_stream_is_the_sdks_connection_error(client: openai.OpenAI, fake_openai: FakeOpenAI) -> None:
    fake_openai.stream_faults.set("reset", after=3)
    with pytest.raises(openai.APIConnectionError) as raised:
        wire.stream(client, _body(client), lambda _: None)
    assert not isinstance(raised.value, openai.APITimeoutError)


def test_a_stall_mid_stream_is_the_sdks_timeout(client: openai.OpenAI, fake_openai: FakeOpenAI) -> None:
    fake_openai.slow_seconds = 2.0
    fake_openai.stream_faults.set("stall", after=3)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        wire.stream(client, _body(client), lambda _: None)
    assert time.monotonic() - started < 1.5


def test_an_error_event_names_what_the_api_said(client: openai.OpenAI, fake_openai: FakeOpenAI) -> None:
    fake_openai.stream_faults.set("error", after=2)
    with pytest.raises(EngineError, match="server_error: The server had an error"):
        wire.stream(client, _body(client), lambda _: None)


def test_a_stream_cut_short_without_a_final_event_is_an_engine_error(client: openai.OpenAI,
                                                                     fake_openai: FakeOpenAI) -> None:
    # a clean close (no reset) after some events: nothing to type the response from
    fake_openai.stream_faults.set("close", after=4)
    with pytest.raises(EngineError, match="ended before the response was complete"):
        wire.stream(client, _body(client), lambda _: None)


def test_an_http_error_before_the_stream_is_still_the_sdks_status_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        wire.stream(client, {"model": "gpt-test", "conversation": "conv_missing", "input": "hi"}, lambda _: None)


@pytest.mark.parametrize("kind", ["reset", "stall", "error"])
def test_the_streaming_engine_still_answers_after_a_fault_mid_stream(pages_server, fake_openai: FakeOpenAI,
                                                                     kind: str) -> None:
    settings = _settings(pages_server, fake_openai, "responses", OILFX_OPENAI_TIMEOUT="1")
    fake_openai.slow_seconds = 2.0
    engine = make_engine(settings, _registry(settings), MemoryState(), stream=True)
    fake_openai.stream_faults.set(kind, after=3)
    if kind == "error":   # not a transport failure: no resend, the turn fails with the API's words
        with pytest.raises(EngineError, match="server_error"):
            engine.ask(SEED_QUESTION, listener=NullListener())
        assert fake_openai.stream_faults.fired == 1
        return
    answer = engine.ask(SEED_QUESTION, listener=NullListener())
    assert EXPECTED in answer.text
    assert fake_openai.stream_faults.fired == 1   # the fault happened, and the answer came from the resend


def test_a_new_conversation_is_made_with_its_metadata(client: openai.OpenAI, fake_openai: FakeOpenAI) -> None:
    ref = wire.new_conversation(client, {"metadata": {"app": "oilfx"}})
    assert ref.startswith("conv_") and client.conversations.retrieve(ref).metadata == {"app": "oilfx"}
