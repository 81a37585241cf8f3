"""The tool registry: tool shapes, validation, failures as typed outputs, concurrency, and the titles of calls."""

from __future__ import annotations

import json
import threading
import time

import pytest

from oilfx.engines.base import ToolStep
from oilfx.i18n import EN, KO, Msg
from oilfx.tools import FailureKind, Source, Tool, ToolRegistry, ToolResult, default_registry, describe, title


def _schema(props: dict, required: list[str]) -> dict:
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


def echo(word: str, times: int = 1) -> ToolResult:
    return ToolResult({"echo": " ".join([word] * times)}, sources=(Source(word, "echo", "now"),))


def broken() -> ToolResult:
    raise RuntimeError("source exploded")


def nap() -> ToolResult:
    time.sleep(0.3)
    return ToolResult({"slept": "0.3"})


@pytest.fixture
def registry() -> ToolRegistry:
    return ToolRegistry([
        Tool("echo", "Echo a word.", _schema({"word": {"type": "string"}, "times": {"type": "integer",
                                                                                   "minimum": 1}},
                                             ["word", "times"]), echo),
        Tool("broken", "Always fails.", _schema({}, []), broken),
        Tool("nap", "Sleeps 300 ms.", _schema({}, []), nap),
        Tool("nap2", "Sleeps 300 ms too.", _schema({}, []), nap),
    ])


def test_tool_shapes_for_each_api(registry: ToolRegistry) -> None:
    flat = registry.responses_tools()[0]
    nested = registry.chat_tools()[0]
    assert flat["type"] == "function" and flat["name"] == "echo" and flat["strict"] is True
    assert nested["type"] == "function" and nested["function"]["name"] == "echo"
    assert nested["function"]["parameters"] == flat["parameters"]


def test_valid_call_and_default_arguments(registry: ToolRegistry) -> None:
    step = registry.call("c1", "echo", '{"word": "oil", "times": 2}', round=3)
    assert step.ok and json.loads(step.output) == {"echo": "oil oil"} and step.round == 3
    assert step.result.sources[0].label == "oil" and step.duration_ms >= 0 and step.result.failure is None
    # A non-strict server may omit an argument that has a default in the function.
    assert json.loads(registry.call("c2", "echo", '{"word": "oil"}').output) == {"echo": "oil"}


@pytest.mark.parametrize(("name", "arguments", "expected"), [
    ("get_weather", "{}", "unknown tool 'get_weather'"),
    ("echo", '{word: "oil"', "not valid JSON"),
    ("echo", '["oil"]', "must be a JSON object"),
    ("echo", '{"word": 5, "times": 1}', "invalid arguments for echo: word"),
    ("echo", '{"word": "a", "times": 0}', "times"),
    ("echo", '{"word": "a", "times": 1, "extra": true}', "Additional properties"),
    ("broken", "{}", "broken failed: source exploded"),
])
def test_failures_become_error_outputs(registry: ToolRegistry, name: str, arguments: str, expected: str) -> None:
    step = registry.call("c1", name, arguments)
    assert step.ok is False
    assert expected in json.loads(step.output)["error"]
    assert step.result.sources == () and step.result.failure is not None
    assert str(step.result.failure.message) == json.loads(step.output)["error"]
    # only a tool that ran and failed is a market-data failure (the guard tells the user which sources failed)
    assert step.result.failure.kind is (FailureKind.DATA if name == "broken" else FailureKind.CALL)


def test_call_all_runs_concurrently_in_call_order(registry: ToolRegistry) -> None:
    events: list[str] = []
    lock = threading.Lock()

    class Listener:
        def tool_started(self, call_id: str, name: str, arguments: str) -> None:
            with lock:
                events.append(f"start {call_id}")

        def tool_finished(self, step: ToolStep) -> None:
            with lock:
                events.append(f"finish {step.call_id}")
            raise RuntimeError("a broken listener must not break the turn")

        def text_delta(self, delta: str) -> None:
            pass

    started = time.perf_counter()
    steps = registry.call_all([("a", "nap", "{}"), ("b", "nap2", "{}"), ("c", "echo", '{"word":"x","times":1}')],
                              round=1, listener=Listener())
    elapsed = time.perf_counter() - started
    assert [s.call_id for s in steps] == ["a", "b", "c"] and all(s.ok for s in steps)
    assert elapsed < 1.6 * 0.3, f"two 300 ms tools took {elapsed:.3f} s: not concurrent"
    assert sorted(events) == sorted(["start a", "start b", "start c", "finish a", "finish b", "finish c"])


def test_duplicate_names_are_rejected() -> None:
    tool = Tool("echo", "x", _schema({}, []), broken)
    with pytest.raises(ValueError, match="duplicate"):
        ToolRegistry([tool, tool])


# --- what a call is doing, said before it runs ------------------------------------------------------------------

@pytest.mark.parametrize(("name", "arguments", "english", "korean"), [
    ("oil_price", "{}", "Fetching Dubai, WTI and Brent prices", "두바이유·WTI·브렌트유 가격 조회 중"),
    ("usd_krw", "{}", "Fetching the USD/KRW rate", "원/달러 환율 조회 중"),
    ("domestic_fuel_price", "{}", "Fetching Korea's pump prices", "국내 주유소 판매가격 조회 중"),
    ("oil_price_krw", '{"benchmark":"Brent","unit":"barrel"}', "Converting Brent to won per barrel",
     "브렌트유 가격을 배럴당 원화로 환산 중"),
    ("oil_price_krw", '{"benchmark":"wti","unit":"리터"}', "Converting WTI to won per litre",
     "WTI 가격을 리터당 원화로 환산 중"),
    # the model's arguments only pick among known words: nothing it writes is echoed
    ("oil_price_krw", '{"benchmark":"<!channel>","unit":"@here"}', "Converting crude to won per barrel",
     "원유 가격을 배럴당 원화로 환산 중"),
    ("oil_price_krw", "not json", "Converting crude to won per barrel", "원유 가격을 배럴당 원화로 환산 중"),
    ("oil_price_krw", "[1, 2]", "Converting crude to won per barrel", "원유 가격을 배럴당 원화로 환산 중"),
    # a model-invented name is data: shown as given (Slack escapes it), inside our own words
    ("get_weather", "{}", "Calling get_weather", "get_weather 호출 중"),
    ("x" * 100, "{}", "Calling " + "x" * 40, "x" * 40 + " 호출 중"),
])
def test_describe_says_what_a_call_does_in_our_words(name: str, arguments: str, english: str, korean: str) -> None:
    said = describe(name, arguments)
    assert isinstance(said, Msg) and str(said) == EN.render(said) == english and KO.render(said) == korean
    assert default_registry(None).describe(name, arguments) == said  # type: ignore[arg-type]


def test_a_steps_result_carries_the_title_it_started_with(registry: ToolRegistry) -> None:
    assert str(registry.call("c1", "echo", '{"word":"a","times":1}').result.title) == "Calling echo"
    assert KO.render(registry.call("c2", "nope", "{}").result.title) == "nope 호출 중"
    titled = ToolRegistry([Tool("echo", "Echo.", registry.responses_tools()[0]["parameters"], echo,
                                title="an echo")])
    assert str(titled.describe("echo", "{}")) == "Fetching an echo"
    assert str(titled.call("c3", "echo", '{"word":"a","times":1}').result.title) == "Fetching an echo"


def test_progress_titles_are_the_tools_own_nouns() -> None:
    names = ("oil_price", "usd_krw", "oil_price_krw", "domestic_fuel_price", "price_history")
    assert [EN.render(title(n)) for n in names] == [
        "Dubai, WTI and Brent prices", "the USD/KRW rate", "the won conversion", "Korea's pump prices",
        "price history"]
    assert [KO.render(title(n)) for n in names] == [
        "두바이유·WTI·브렌트유 가격", "원/달러 환율", "원화 환산", "국내 주유소 판매가격", "가격 추이"]
    assert title("made_up") == "made_up"   # data, a str: shown escaped by Slack (test_links_names.py)


def test_a_call_failure_reads_in_either_language(registry: ToolRegistry) -> None:
    """What the model reads stays English; the user's task line is in their language, the details as data."""
    failure = registry.call("c1", "get_weather", "{}").result.failure
    assert failure is not None and str(failure.message).startswith("unknown tool 'get_weather'")
    assert KO.render(failure.message) == "알 수 없는 도구: 'get_weather'. 쓸 수 있는 도구: echo, broken, nap, nap2"
    broken = registry.call("c2", "broken", "{}").result
    assert KO.render(broken.summary) == "broken 실패: source exploded" and str(broken.summary) == \
        "broken failed: source exploded"
