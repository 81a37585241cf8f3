"""The fake OpenAI server against the real SDK with strict response validation, endpoint by endpoint.

If the fake drifts from the wire shapes the SDK's models require (../shared/OPENAI_WIRE.md), these fail first.
"""

from __future__ import annotations

import json
import time

import openai
import pytest

from tests.fakes.openai_script import NO_TOOLS_ANSWER
from tests.fakes.openai_server import EVIL, FakeOpenAI, Script, question_params, script

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

QUESTION = "현재 WTI 석유 가격을 원화로 알려줄래?"
# The fake, like a real model, calls only declared tools: these are the bot's names, with open parameters.
NAMES = ("oil_price", "usd_krw", "oil_price_krw")
TOOLS = [{"type": "function", "name": n, "parameters": {"type": "object"}} for n in NAMES]
CHAT_TOOLS = [{"type": "function", "function": {"name": n, "parameters": {"type": "object"}}} for n in NAMES]
KRW_OUTPUT = json.dumps({"benchmark": "WTI", "unit": "barrel", "display": "₩1", "formula": "1 × 1 = 1",
                         "sources": [{"label": "WTI", "source": "S", "as_of": "d"}]})


@pytest.fixture
def client(fake_openai: FakeOpenAI) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test-0000000000", base_url=fake_openai.base_url, max_retries=2,
                         timeout=10, _strict_response_validation=True)


def test_responses_with_conversation_walks_the_script(client: openai.OpenAI, fake_openai: FakeOpenAI) -> None:
    conv = client.conversations.create(metadata={"slack_thread_ts": "1700000000.000100"})
    assert client.conversations.retrieve(conv.id).metadata == {"slack_thread_ts": "1700000000.000100"}
    first = client.responses.create(model="gpt-test", conversation=conv.id, input=QUESTION, tools=TOOLS)
    assert [(o.type, o.name) for o in first.output] == [("function_call", "oil_price"), ("function_call", "usd_krw")]
    assert first.usage is not None and first.usage.total_tokens > 0
    second = client.responses.create(model="gpt-test", conversation=conv.id, tools=TOOLS, input=[
        {"type": "function_call_output", "call_id": o.call_id, "output": "{}"} for o in first.output])
    assert json.loads(second.output[0].arguments) == {"benchmark": "WTI", "unit": "barrel"}
    third = client.responses.create(model="gpt-test", conversation=conv.id, input=[
        {"type": "function_call_output", "call_id": second.output[0].call_id, "output": KRW_OUTPUT}])
    assert "₩1" in third.output_text and "1 × 1 = 1" in third.output_text
    items = client.conversations.items.list(conv.id, order="asc")
    assert [i.type for i in items.data][:3] == ["message", "function_call", "function_call"]
    added = client.conversations.items.create(conv.id, items=[{"type": "message", "role": "user", "content": "hi"}])
    assert added.data[0].type == "message"
    assert client.conversations.delete(conv.id).deleted is True
    assert all("x-request-id" not in r["headers"] for r in fake_openai.requests)  # a response header, not request


def test_responses_with_previous_response_id_and_errors(client: openai.OpenAI) -> None:
    first = client.responses.create(model="gpt-test", input=QUESTION, tools=TOOLS)
    second = client.responses.create(model="gpt-test", previous_response_id=first.id, tools=TOOLS, input=[
        {"type": "function_call_output", "call_id": o.call_id, "output": "{}"} for o in first.output])
    assert second.output[0].name == "oil_price_krw"
    with pytest.raises(openai.BadRequestError) as bad:
        client.responses.create(model="gpt-test", input="hi", conversation="conv_x", previous_response_id=first.id)
    assert bad.value.request_id and bad.value.code is None
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="gpt-test", conversation="conv_missing", input="hi")
    with pytest.raises(openai.BadRequestError, match="No tool output found"):
        conv = client.conversations.create()
        client.responses.create(model="gpt-test", conversation=conv.id, input=QUESTION, tools=TOOLS)
        client.responses.create(model="gpt-test", conversation=conv.id, input="and brent?", tools=TOOLS)


def test_chat_completions_round_trip(client: openai.OpenAI) -> None:
    messages: list[dict] = [{"role": "system", "content": "bot"}, {"role": "user", "content": QUESTION}]
    first = client.chat.completions.create(model="gpt-test", messages=messages, tools=CHAT_TOOLS)
    calls = first.choices[0].message.tool_calls
    assert first.choices[0].finish_reason == "tool_calls" and [c.function.name for c in calls] == [
        "oil_price", "usd_krw"]
    messages.append({"role": "assistant", "content": None, "tool_calls": [
        {"id": c.id, "type": "function", "function": {"name": c.function.name, "arguments": c.function.arguments}}
        for c in calls]})
    messages += [{"role": "tool", "tool_call_id": c.id, "content": "{}"} for c in calls]
    second = client.chat.completions.create(model="gpt-test", messages=messages, tools=CHAT_TOOLS)
    krw = second.choices[0].message.tool_calls[0]
    messages.append({"role": "assistant", "content": None, "tool_calls": [
        {"id": krw.id, "type": "function", "function": {"name": krw.function.name,
                                                         "arguments": krw.function.arguments}}]})
    messages.append({"role": "tool", "tool_call_id": krw.id, "content": KRW_OUTPUT})
    third = client.chat.completions.create(model="gpt-test", messages=messages, tools=CHAT_TOOLS)
    assert third.choices[0].finish_reason == "stop" and "₩1" in third.choices[0].message.content
    assert third.usage is not None and third.usage.total_tokens > 0


def test_assistants_flow_with_poll_helpers(client: openai.OpenAI, fake_openai: FakeOpenAI) -> None:
    beta = client.beta
    assistant = beta.assistants.create(model="gpt-test", name="t", instructions="x", tools=CHAT_TOOLS)
    assert beta.assistants.retrieve(assistant.id).id == assistant.id
    thread = beta.threads.create(metadata={"slack_thread_ts": "1"})
    assert beta.threads.retrieve(thread.id).id == thread.id
    beta.threads.messages.create(thread.id, role="user", content=QUESTION)
    run = beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "requires_action"
    with pytest.raises(openai.BadRequestError, match="while a run"):
        beta.threads.messages.create(thread.id, role="user", content="again")
    calls = run.required_action.submit_tool_outputs.tool_calls
    run = beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": c.id, "output": "{}"} for c in calls])
    krw = run.required_action.submit_tool_outputs.tool_calls[0]
    run = beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": krw.id, "output": KRW_OUTPUT}])
    assert run.status == "completed" and run.usage is not None
    messages = beta.threads.messages.list(thread.id, order="desc")
    assert messages.data[0].role == "assistant" and "₩1" in messages.data[0].content[0].text.value
    steps = beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc").data
    assert [s.type for s in steps] == ["tool_calls", "tool_calls", "message_creation"]
    assert steps[0].step_details.tool_calls[0].function.output == "{}"
    assert [r.id for r in beta.threads.runs.list(thread.id).data] == [run.id]
    polls = [r for r in fake_openai.requests if r["method"] == "GET" and r["path"].endswith(run.id)]
    assert polls and all(r["headers"].get("openai-beta") == "assistants=v2" for r in polls)
    with pytest.raises(openai.BadRequestError, match="Cannot cancel"):
        beta.threads.runs.cancel(run.id, thread_id=thread.id)
    assert beta.threads.delete(thread.id).deleted and beta.assistants.delete(assistant.id).deleted


@pytest.mark.parametrize("mode", ["failed", "expired", "cancelled", "incomplete"])
def test_run_terminal_misbehaviours(client: openai.OpenAI, fake_openai: FakeOpenAI, mode: str) -> None:
    assistant = client.beta.assistants.create(model="gpt-test", tools=[])
    thread = client.beta.threads.create()
    fake_openai.script = Script.misbehave(mode)
    client.beta.threads.messages.create(thread.id, role="user", content="WTI?")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == mode
    if mode == "failed":
        assert run.last_error is not None and run.last_error.code == "server_error"


def test_stuck_run_can_be_cancelled(client: openai.OpenAI, fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script.misbehave("stuck")
    assistant = client.beta.assistants.create(model="gpt-test", tools=[])
    thread = client.beta.threads.create()
    client.beta.threads.messages.create(thread.id, role="user", content="WTI?")
    run = client.beta.threads.runs.create(thread.id, assistant_id=assistant.id)
    assert client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == "in_progress"
    assert client.beta.threads.runs.cancel(run.id, thread_id=thread.id).status == "cancelled"


def test_429_then_success_uses_retry_after_ms(client: openai.OpenAI, fake_openai: FakeOpenAI) -> None:
    fake_openai.script = Script.misbehave("429")
    started = time.perf_counter()
    reply = client.responses.create(model="gpt-test", input="WTI in won?", tools=TOOLS)
    assert reply.output[0].type == "function_call"
    retries = [r["headers"]["x-stainless-retry-count"] for r in fake_openai.requests]
    assert retries == ["0", "1"]
    assert time.perf_counter() - started < 2  # retry-after-ms: 10, not the SDK's 0.5 s+ backoff


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_use_the_real_envelope(fake_openai: FakeOpenAI, status: int) -> None:
    client = openai.OpenAI(api_key="sk-test-0000000000", base_url=fake_openai.base_url, max_retries=1,
                           _strict_response_validation=True)
    fake_openai.script = Script.misbehave(str(status))
    with pytest.raises(openai.InternalServerError) as err:
        client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "WTI?"}])
    assert err.value.status_code == status and err.value.type == "server_error" and err.value.request_id
    assert len(fake_openai.requests) == 2  # the SDK retried once, as configured


def test_missing_key_is_401(fake_openai: FakeOpenAI) -> None:
    import httpx2

    response = httpx2.post(fake_openai.base_url + "/responses", json={"model": "m", "input": "hi"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "missing_api_key"
    assert response.headers["x-request-id"].startswith("req_")


def test_script_reads_benchmark_unit_and_misbehaviours() -> None:
    assert question_params("브렌트유 리터당 얼마?") == ("Brent", "litre")
    assert question_params("Dubai per barrel") == ("Dubai", "barrel")
    user = [{"kind": "user", "text": "WTI"}]
    assert script(user, None, allowed={"oil_price"}) == ("calls", [("oil_price", "{}")])  # declared tools only
    assert script(user, None, allowed=set()) == ("text", NO_TOOLS_ANSWER)               # tool_choice "none"
    with pytest.raises(json.JSONDecodeError):
        json.loads(script(user, "bad_json")[1][0][1])
    calls = [{"kind": "call", "call_id": "c1", "name": "oil_price_krw", "arguments": "{}"},
             {"kind": "output", "call_id": "c1", "output": KRW_OUTPUT}]
    assert script(user + calls, "evil")[1].endswith(EVIL)
    failed = [{"kind": "call", "call_id": "c1", "name": "oil_price", "arguments": "{}"},
              {"kind": "output", "call_id": "c1", "output": json.dumps({"error": "KNOC: HTTP 503"})}]
    kind, text = script(user + failed, None)
    assert kind == "text" and "unavailable" in text and "KNOC: HTTP 503" in text
    assert script(user + calls, "loop")[0] == "calls"


def test_responses_stream_satisfies_the_sdk_stream_helper(client: openai.OpenAI) -> None:
    with client.responses.stream(model="gpt-test", input=QUESTION, tools=TOOLS) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert [o.name for o in final.output] == ["oil_price", "usd_krw"]
    answer = client.responses.create(model="gpt-test", previous_response_id=final.id, stream=True, tools=TOOLS, input=[
        {"type": "function_call_output", "call_id": o.call_id, "output": "{}"} for o in final.output])
    events = list(answer)
    assert events[-1].type == "response.completed" and events[-1].response.output[0].name == "oil_price_krw"


def test_chat_stream_rebuilds_tool_calls_and_text(client: openai.OpenAI) -> None:
    messages: list[dict] = [{"role": "user", "content": QUESTION}]
    with client.chat.completions.stream(model="gpt-test", messages=messages, tools=CHAT_TOOLS) as stream:
        final = stream.get_final_completion()
    calls = final.choices[0].message.tool_calls
    assert [c.function.name for c in calls] == ["oil_price", "usd_krw"]
    messages.append({"role": "assistant", "content": None, "tool_calls": [
        {"id": c.id, "type": "function", "function": {"name": "oil_price_krw", "arguments": "{}"}} for c in calls]})
    messages += [{"role": "tool", "tool_call_id": c.id, "content": KRW_OUTPUT} for c in calls]
    chunks = list(client.chat.completions.create(model="gpt-test", messages=messages, stream=True, tools=CHAT_TOOLS,
                                                 stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "₩1" in text and chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0


# -- the refusals and finishes the real API has, each with its real status, message and code

def _conversation_with_calls(client: openai.OpenAI) -> tuple[str, list]:
    conv = client.conversations.create()
    first = client.responses.create(model="gpt-test", conversation=conv.id, input=QUESTION, tools=TOOLS)
    return conv.id, [o for o in first.output if o.type == "function_call"]


def test_outputs_must_answer_calls_and_calls_must_get_outputs(client: openai.OpenAI) -> None:
    conv, calls = _conversation_with_calls(client)
    with pytest.raises(openai.BadRequestError, match=f"No tool output found for function call {calls[0].call_id}"):
        client.responses.create(model="gpt-test", conversation=conv, input="and brent?", tools=TOOLS)
    with pytest.raises(openai.BadRequestError) as unknown:
        client.responses.create(model="gpt-test", conversation=conv, tools=TOOLS, input=[
            {"type": "function_call_output", "call_id": "call_never", "output": "{}"}])
    assert unknown.value.body["message"] == "No tool call found for function call output with call_id call_never."
    with pytest.raises(openai.BadRequestError, match="No tool call found"):
        client.conversations.items.create(conv, items=[
            {"type": "function_call_output", "call_id": "call_never", "output": "{}"}])
    with pytest.raises(openai.BadRequestError) as long:
        client.conversations.items.create(conv, items=[{"type": "message", "role": "user", "content": "x"}] * 21)
    assert long.value.code == "array_above_max_length" and "maximum length 20" in long.value.message
    client.conversations.items.create(conv, items=[
        {"type": "function_call_output", "call_id": c.call_id, "output": "{}"} for c in calls])
    assert client.responses.create(model="gpt-test", conversation=conv, input="and brent?", tools=TOOLS).output


def test_a_conversation_is_locked_while_a_response_on_it_runs(client: openai.OpenAI,
                                                              fake_openai: FakeOpenAI) -> None:
    import threading

    fake_openai.slow_seconds = 0.5
    conv = client.conversations.create()
    fake_openai.script = Script.misbehave("slow")  # the second request is refused before its model round
    slow = threading.Thread(target=client.responses.create, kwargs={
        "model": "gpt-test", "conversation": conv.id, "input": "WTI?", "tools": TOOLS})
    slow.start()
    time.sleep(0.2)
    once = client.with_options(max_retries=0)
    with pytest.raises(openai.BadRequestError) as locked:
        once.responses.create(model="gpt-test", conversation=conv.id, input="and brent?", tools=TOOLS)
    with pytest.raises(openai.BadRequestError, match="currently operating on this conversation"):
        once.conversations.items.create(conv.id, items=[{"type": "message", "role": "user", "content": "x"}])
    slow.join()
    assert locked.value.status_code == 400 and locked.value.code == "conversation_locked"
    assert "Another process is currently operating on this conversation" in locked.value.message


def test_tool_choice_none_and_undeclared_tools_are_honoured(client: openai.OpenAI) -> None:
    none = client.responses.create(model="gpt-test", input=QUESTION, tools=TOOLS, tool_choice="none")
    assert [o.type for o in none.output] == ["message"] and none.output_text == NO_TOOLS_ANSWER
    only = client.responses.create(model="gpt-test", input=QUESTION, tools=TOOLS[:1])
    assert [o.name for o in only.output] == ["oil_price"]
    chat = client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": QUESTION}],
                                          tools=CHAT_TOOLS, tool_choice="none")
    assert chat.choices[0].finish_reason == "stop" and not chat.choices[0].message.tool_calls


def _to_answer(client: openai.OpenAI, fake: FakeOpenAI, script: Script, **extra: object) -> object:
    fake.script = script
    first = client.responses.create(model="gpt-test", input=QUESTION, tools=TOOLS, **extra)
    second = client.responses.create(model="gpt-test", previous_response_id=first.id, tools=TOOLS, **extra, input=[
        {"type": "function_call_output", "call_id": o.call_id, "output": "{}"} for o in first.output
        if o.type == "function_call"])
    return client.responses.create(model="gpt-test", previous_response_id=second.id, tools=TOOLS, **extra, input=[
        {"type": "function_call_output", "call_id": o.call_id, "output": KRW_OUTPUT} for o in second.output
        if o.type == "function_call"])


def test_incomplete_reasoning_and_commentary_responses(client: openai.OpenAI, fake_openai: FakeOpenAI) -> None:
    full = _to_answer(client, fake_openai, Script())
    cut = _to_answer(client, fake_openai, Script.misbehave("length"))
    assert cut.status == "incomplete" and cut.incomplete_details.reason == "max_output_tokens"
    assert cut.output[-1].status == "incomplete" and full.output_text.startswith(cut.output_text)
    assert len(cut.output_text) < len(full.output_text)
    with pytest.raises(openai.BadRequestError, match="Expected a value >= 16"):
        client.responses.create(model="gpt-test", input=QUESTION, tools=TOOLS, max_output_tokens=15)
    capped = _to_answer(client, fake_openai, Script.misbehave("long"), max_output_tokens=16)
    assert capped.status == "incomplete" and len(capped.output_text) == 16 * 4
    thought = _to_answer(client, fake_openai, Script.misbehave("reasoning"))
    assert thought.output[0].type == "reasoning" and thought.usage.output_tokens_details.reasoning_tokens > 0
    assert thought.usage.input_tokens_details.cached_tokens > 0
    fake_openai.script = Script.misbehave("commentary")
    talk = client.responses.create(model="gpt-test", input=QUESTION, tools=TOOLS)
    assert talk.output[0].type == "message" and talk.output[0].phase == "commentary"
    assert [o.type for o in talk.output[1:]] == ["function_call", "function_call"]
    fake_openai.script = Script.misbehave("long")
    chat = client.chat.completions.create(model="gpt-test", max_completion_tokens=16, tools=CHAT_TOOLS, messages=[
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "oil_price_krw", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": KRW_OUTPUT}])
    assert chat.choices[0].finish_reason == "length" and len(chat.choices[0].message.content) == 16 * 4


def test_servers_without_conversations(client: openai.OpenAI, fake_openai: FakeOpenAI) -> None:
    fake_openai.conversations_api = False
    with pytest.raises(openai.NotFoundError, match="File Not Found"):
        client.conversations.create()
    fake_openai.conversations_api, fake_openai.keeps_conversations = True, False
    conv = client.conversations.create()
    reply = client.responses.create(model="gpt-test", conversation=conv.id, input=QUESTION, tools=TOOLS)
    assert reply.conversation is None and fake_openai.conversations[conv.id]["items"] == []
