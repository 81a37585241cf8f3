"""Each engine end to end: the real openai SDK against the fake OpenAI server, the real Market on the fixture pages."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from oilfx.config import Settings, load_settings
from oilfx.engines import EngineError, make_engine
from oilfx.engines.base import ToolStep
from oilfx.engines.chat import trim_history
from oilfx.engines.memory import MemoryState
from oilfx.market import Market
from oilfx.market.quote import format_krw, krw_per_barrel
from oilfx.tools import ToolRegistry, default_registry
from tests.fakes.openai_script import NO_TOOLS_ANSWER
from tests.fakes.openai_server import EVIL, FakeOpenAI, Script
from tests.fakes.pages import NAVER_FX_PATH, OPINET_PATH, PagesServer

ENGINES = ("responses", "assistants", "chat")
SEED_QUESTION = "현재 WTI 석유 가격을 원화로 알려줄래?"
# The reference case the fixture pages serve (Opinet WTI 76.41, Naver USD/KRW 1,289.00)
EXPECTED = format_krw(krw_per_barrel(Decimal("76.41"), Decimal("1289.00")))
SEED_DAY = datetime(2023, 11, 29, 8, 0, tzinfo=UTC)
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK's Assistants API warnings
PREFIX = {"responses": "conv_", "assistants": "thread_", "chat": "chat_"}


def _settings(pages: PagesServer, fake: FakeOpenAI, engine: str, **extra: str) -> Settings:
    env = {**pages.env(), **fake.env(), "OILFX_ENGINE": engine, "OILFX_OPENAI_TIMEOUT": "5",
           "OILFX_OPENAI_MAX_RETRIES": "1", "OILFX_MAX_TOOL_ROUNDS": "3", **extra}
    return load_settings(env)


def _registry(settings: Settings) -> ToolRegistry:
    return default_registry(Market(settings, clock=lambda: SEED_DAY))


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return request.param


def test_seed_question_answers_exactly_with_both_tools_in_one_round(
        pages_server: PagesServer, fake_openai: FakeOpenAI, engine_name: str) -> None:
    settings = _settings(pages_server, fake_openai, engine_name)
    answer = make_engine(settings, _registry(settings)).ask(SEED_QUESTION)
    assert EXPECTED in answer.text and "Opinet" in answer.text and "KST" in answer.text
    assert answer.engine == engine_name and answer.conversation.startswith(PREFIX[engine_name])
    first_round = {s.name for s in answer.tool_steps if s.round == 1}
    assert first_round == {"oil_price", "usd_krw"}
    krw = [s for s in answer.tool_steps if s.name == "oil_price_krw"]
    assert krw and krw[0].ok and krw[0].result.figures[0].display == EXPECTED
    assert [m.round for m in answer.model_steps] == [1, 2, 3]
    assert all(m.input_tokens and m.output_tokens for m in answer.model_steps)
    assert answer.model_steps[0].tool_calls == 2


def test_tools_of_one_round_run_concurrently(pages_server: PagesServer, fake_openai: FakeOpenAI,
                                             engine_name: str) -> None:
    pages_server.set(OPINET_PATH, delay=0.3)
    pages_server.set(NAVER_FX_PATH, delay=0.3)
    times: dict[str, list[float]] = {"start": [], "finish": []}
    lock = threading.Lock()

    class Clock:
        def tool_started(self, call_id: str, name: str, arguments: str) -> None:
            with lock:
                times["start"].append(time.perf_counter())

        def tool_finished(self, step: ToolStep) -> None:
            if step.round == 1:
                with lock:
                    times["finish"].append(time.perf_counter())

        def text_delta(self, delta: str) -> None:
            pass

    settings = _settings(pages_server, fake_openai, engine_name)
    answer = make_engine(settings, _registry(settings)).ask(SEED_QUESTION, listener=Clock())
    assert EXPECTED in answer.text
    # Overlap, not elapsed time (a loaded 2-core CI machine stretched a timed bound): run one after another, the
    # second 300 ms tool would start only after the first finished.
    assert len(times["start"]) >= 2 and len(times["finish"]) == 2
    assert max(times["start"][:2]) < min(times["finish"]), "round 1's tools ran one after another"


def test_second_question_continues_the_conversation(pages_server: PagesServer, fake_openai: FakeOpenAI,
                                                     engine_name: str) -> None:
    settings = _settings(pages_server, fake_openai, engine_name)
    engine = make_engine(settings, _registry(settings), MemoryState())
    first = engine.ask(SEED_QUESTION)
    second = engine.ask("브렌트유는 리터당 얼마야?", first.conversation)
    assert second.conversation == first.conversation
    assert "리터당" in second.text and [s.name for s in second.tool_steps][-1] == "oil_price_krw"
    if engine_name == "responses":
        bodies = [r["body"] for r in fake_openai.requests if r["path"] == "/v1/responses"]
        assert {b["conversation"] for b in bodies} == {first.conversation}
        texts = [i["content"][0]["text"] for i in fake_openai.conversations[first.conversation]["items"]
                 if i["type"] == "message"]
        assert texts[0] == SEED_QUESTION and first.text in texts and texts[-1] == second.text
    elif engine_name == "assistants":
        thread = fake_openai.threads[first.conversation]
        values = [m["content"][0]["text"]["value"] for m in thread["messages"]]
        assert values[0] == SEED_QUESTION and first.text in values and values[-1] == second.text
        assert len(fake_openai.assistants) == 1
    else:
        last = [r["body"] for r in fake_openai.requests if r["path"] == "/v1/chat/completions"][-1]
        contents = [m.get("content") for m in last["messages"]]
        assert contents[0] and SEED_QUESTION in contents and first.text in contents


# mode -> (answer must contain these, or the EngineError must contain this)
MISBEHAVIOURS = {
    "429": ([EXPECTED], None),
    "slow": ([EXPECTED], None),
    "evil": ([EXPECTED, EVIL], None),
    "bad_json": (["not valid JSON"], None),
    "bad_args": (["invalid arguments for oil_price_krw"], None),
    "500": (None, "HTTP 500"),
    "503": (None, "HTTP 503"),
    "failed": (None, "failed"),
    "expired": (None, ""),
    "cancelled": (None, ""),
    "incomplete": (None, ""),
    "stuck": (None, ""),
    "loop": (None, "kept asking for tools after 3 rounds"),
}


@pytest.mark.parametrize("mode", sorted(MISBEHAVIOURS))
def test_misbehaviours_end_in_an_answer_or_a_clear_error(pages_server: PagesServer, fake_openai: FakeOpenAI,
                                                         engine_name: str, mode: str) -> None:
    fake_openai.slow_seconds, fake_openai.stuck_seconds = 0.3, 2.5
    settings = _settings(pages_server, fake_openai, engine_name, OILFX_OPENAI_TIMEOUT="1",
                         OILFX_OPENAI_MAX_RETRIES="0" if mode == "stuck" else "1")
    engine = make_engine(settings, _registry(settings))
    wanted, error = MISBEHAVIOURS[mode]
    if engine_name == "chat" and mode in ("failed", "expired", "cancelled"):
        error = "HTTP 500"  # Chat Completions has no run status: the fake fails the request instead
    if engine_name != "assistants" and mode == "loop":
        wanted = [NO_TOOLS_ANSWER]  # the last round offers no tools (tool_choice "none"), and the model obeys
    started = time.perf_counter()
    if wanted is not None:
        fake_openai.script = Script.misbehave(mode)
        answer = engine.ask(SEED_QUESTION)
        for text in wanted:
            assert text in answer.text
    else:
        fake_openai.script = Script.misbehave(mode)
        with pytest.raises(EngineError) as caught:
            engine.ask(SEED_QUESTION)
        message = str(caught.value)
        assert error in message and "\n" not in message and len(message) < 300
        if mode in ("failed", "expired", "cancelled", "incomplete") and engine_name != "chat":
            assert f"'{mode if engine_name == 'assistants' or mode != 'expired' else 'failed'}'" in message
        if mode == "stuck":
            assert "1 s" in message
    assert time.perf_counter() - started < 10


def test_a_script_applies_to_every_round_of_the_turn(pages_server: PagesServer, fake_openai: FakeOpenAI,
                                                    engine_name: str) -> None:
    fake_openai.script = Script.misbehave("bad_args")
    settings = _settings(pages_server, fake_openai, engine_name)
    answer = make_engine(settings, _registry(settings)).ask(SEED_QUESTION)
    assert "invalid arguments" in answer.text
    assert not next(s for s in answer.tool_steps if s.name == "oil_price_krw").ok


def test_market_outage_is_reported_not_invented(pages_server: PagesServer, fake_openai: FakeOpenAI,
                                                engine_name: str) -> None:
    settings = _settings(pages_server, fake_openai, engine_name, OILFX_FX_SOURCES="naver")
    pages_server.set(NAVER_FX_PATH, status=503)
    answer = make_engine(settings, _registry(settings)).ask(SEED_QUESTION)
    assert "데이터를 가져올 수 없습니다" in answer.text and "503" in answer.text and "₩" not in answer.text


def test_missing_api_key_names_the_variable(pages_server: PagesServer, engine_name: str) -> None:
    settings = load_settings({**pages_server.env(), "OILFX_ENGINE": engine_name})
    with pytest.raises(EngineError, match="OPENAI_API_KEY"):
        make_engine(settings, _registry(settings))


def test_assistant_is_created_once_and_reused(pages_server: PagesServer, fake_openai: FakeOpenAI) -> None:
    settings = _settings(pages_server, fake_openai, "assistants")
    state = MemoryState()
    for _ in range(2):  # two bot processes sharing one store
        assert EXPECTED in make_engine(settings, _registry(settings), state).ask(SEED_QUESTION).text
    assert len(fake_openai.assistants) == 1
    # OILFX_ASSISTANT_ID wins over the stored id.
    configured = _settings(pages_server, fake_openai, "assistants", OILFX_ASSISTANT_ID=next(iter(
        fake_openai.assistants)))
    assert EXPECTED in make_engine(configured, _registry(configured), MemoryState()).ask(SEED_QUESTION).text
    assert fake_openai.paths("POST").count("/v1/assistants") == 1


def test_assistants_cancels_a_run_left_active(pages_server: PagesServer, fake_openai: FakeOpenAI) -> None:
    settings = _settings(pages_server, fake_openai, "assistants", OILFX_OPENAI_TIMEOUT="0.5")
    model = make_engine(settings, _registry(settings)).model
    thread = model.client.beta.threads.create()
    fake_openai.script = Script.misbehave("stuck")
    model.client.beta.threads.messages.create(thread.id, role="user", content="WTI?")
    stuck = model.client.beta.threads.runs.create(thread.id, assistant_id=model.assistant_id())
    fake_openai.script = Script()  # the run keeps its misbehaviour; the engine's own run is a normal one
    engine = make_engine(settings, _registry(settings))
    answer = engine.ask(SEED_QUESTION, thread.id)
    assert EXPECTED in answer.text
    assert fake_openai.runs[stuck.id]["obj"]["status"] == "cancelled"


def test_chat_history_is_trimmed_by_whole_turns() -> None:
    turn = [{"role": "user", "content": "q" * 100},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function",
                                                                  "function": {"name": "x", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c", "content": "o" * 100},
            {"role": "assistant", "content": "a" * 100}]
    history = turn * 10
    kept = trim_history(history, budget=1000)
    assert kept and kept[0]["role"] == "user" and len(kept) % 4 == 0 and len(kept) < len(history)
    assert trim_history(history, budget=10) == [turn[0], turn[3]]   # the newest turn stays, as question and answer
    assert trim_history(history, budget=10**6) == history


def test_a_turn_failing_after_tools_leaves_the_conversation_usable(
        pages_server: PagesServer, fake_openai: FakeOpenAI, engine_name: str) -> None:
    settings = _settings(pages_server, fake_openai, engine_name, OILFX_OPENAI_MAX_RETRIES="0")
    engine = make_engine(settings, _registry(settings), MemoryState())
    first = engine.ask("hello")  # makes the conversation; the fake's first round is tools, so it answers too
    fake_openai.script = Script.misbehave("500_after_tools")
    with pytest.raises(EngineError, match="HTTP 500"):
        engine.ask(SEED_QUESTION, first.conversation)
    fake_openai.script = Script()
    again = engine.ask(SEED_QUESTION, first.conversation)
    assert EXPECTED in again.text and again.conversation == first.conversation


def test_a_turn_stopped_for_too_many_tool_rounds_leaves_the_conversation_usable(
        pages_server: PagesServer, fake_openai: FakeOpenAI, engine_name: str) -> None:
    settings = _settings(pages_server, fake_openai, engine_name)
    engine = make_engine(settings, _registry(settings), MemoryState())
    first = engine.ask(SEED_QUESTION)
    if engine_name == "assistants":  # a run cannot take tool_choice "none" for its last round: it is cancelled
        fake_openai.script = Script.misbehave("loop")
        with pytest.raises(EngineError, match="kept asking for tools"):
            engine.ask(SEED_QUESTION, first.conversation)
    else:
        fake_openai.script = Script.misbehave("loop")
        assert engine.ask(SEED_QUESTION, first.conversation).text == NO_TOOLS_ANSWER
    fake_openai.script = Script()
    assert EXPECTED in engine.ask(SEED_QUESTION, first.conversation).text


@pytest.mark.parametrize("engine", ["responses", "chat"])
def test_streaming_sends_the_answer_as_text_deltas(pages_server: PagesServer, fake_openai: FakeOpenAI,
                                                   engine: str) -> None:
    deltas: list[str] = []

    class Collect:
        def tool_started(self, call_id: str, name: str, arguments: str) -> None:
            pass

        def tool_finished(self, step: ToolStep) -> None:
            pass

        def text_delta(self, delta: str) -> None:
            deltas.append(delta)

    settings = _settings(pages_server, fake_openai, engine)
    streaming = make_engine(settings, _registry(settings), MemoryState(), stream=True)
    answer = streaming.ask(SEED_QUESTION, listener=Collect())
    assert EXPECTED in answer.text and len(deltas) > 1 and "".join(deltas).strip() == answer.text
    assert {s.name for s in answer.tool_steps if s.round == 1} == {"oil_price", "usd_krw"}
    assert all(m.input_tokens for m in answer.model_steps)
    assert all(r["body"].get("stream") is True for r in fake_openai.requests if r["method"] == "POST"
               and r["path"] in ("/v1/responses", "/v1/chat/completions"))
    follow_up = streaming.ask("WTI 리터당은?", answer.conversation)
    assert follow_up.conversation == answer.conversation and "리터당" in follow_up.text
