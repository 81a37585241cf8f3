"""The tool registry: schemas, validation, failures as outputs, concurrency; the real tools on the fixture pages."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from oilfx.config import load_settings
from oilfx.engines.base import ToolStep
from oilfx.market import Market
from oilfx.market.quote import format_krw, format_krw_litre, format_rate, format_usd, krw_per_barrel, krw_per_litre
from oilfx.tools import Tool, ToolRegistry, ToolResult, default_registry
from tests.fakes.pages import KNOC_PATH, NAVER_FX_PATH, OPINET_PATH, REFERENCE_PUMP, REFERENCE_PUMP_AS_OF, PagesServer

# The reference case the fixture pages serve (tests/fixtures/pages: Opinet 2023-11-28, Naver 2023.11.29 16:33)
WTI_USD = Decimal("76.41")
USD_KRW = Decimal("1289.00")
SEED_DAY = datetime(2023, 11, 29, 8, 0, tzinfo=UTC)


def _schema(props: dict, required: list[str]) -> dict:
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


def echo(word: str, times: int = 1) -> ToolResult:
    return ToolResult({"echo": " ".join([word] * times)}, {"sources": [], "figures": [word]})


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
    assert step.data["figures"] == ["oil"] and step.duration_ms >= 0
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
    assert step.data["sources"] == []


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


@pytest.fixture
def market(pages_server: PagesServer) -> Market:
    return Market(load_settings(pages_server.env()), clock=lambda: SEED_DAY)


def test_oil_price_krw_is_exact_with_formula_and_sources(market: Market) -> None:
    step = default_registry(market).call("c1", "oil_price_krw", '{"benchmark": "WTI", "unit": "barrel"}')
    out = json.loads(step.output)
    exact = krw_per_barrel(WTI_USD, USD_KRW)
    assert step.ok and out["display"] == format_krw(exact) == step.data["figures"][0]
    assert Decimal(out["krw_exact"]) == exact
    assert out["formula"] == f"{WTI_USD} × {format_rate(USD_KRW)} = {exact.quantize(Decimal('0.01')):,}"
    assert "previous trading day" in out["note"]
    assert [s["label"] for s in step.data["sources"]] == ["WTI", "USD/KRW"]
    assert step.data["sources"][0]["source"] == "Opinet" and "KST" in step.data["sources"][1]["as_of"]
    assert format_usd(WTI_USD) in step.data["figures"] and format_rate(USD_KRW) in step.data["figures"]


def test_oil_price_krw_per_litre(market: Market) -> None:
    step = default_registry(market).call("c1", "oil_price_krw", '{"benchmark": "WTI", "unit": "litre"}')
    assert json.loads(step.output)["display"] == format_krw_litre(krw_per_litre(WTI_USD, USD_KRW))


def test_seed_tools_report_values_as_strings(market: Market) -> None:
    registry = default_registry(market)
    oil = json.loads(registry.call("c1", "oil_price", "{}").output)
    fx = registry.call("c2", "usd_krw", "{}")
    assert Decimal(oil["WTI"]["usd_per_barrel"]) == WTI_USD and oil["WTI"]["source"] == "Opinet"
    assert Decimal(json.loads(fx.output)["usd_krw"]) == USD_KRW and fx.data["sources"][0]["label"] == "USD/KRW"


def test_domestic_fuel_price_reads_knoc_pump_prices(market: Market) -> None:
    step = default_registry(market).call("c1", "domestic_fuel_price", "{}")
    out = json.loads(step.output)
    assert step.ok
    assert {v["product"]: v["krw_per_litre"] for k, v in out.items() if k != "note"} == REFERENCE_PUMP
    assert {v["as_of"] for k, v in out.items() if k != "note"} == {REFERENCE_PUMP_AS_OF}
    assert out["diesel"]["display"] == format_krw_litre(Decimal(REFERENCE_PUMP["자동차용경유"])) + "/L"
    assert "not crude" in out["note"]
    # The won figures the answer may quote are the tool's own (the guard checks answers against these).
    assert step.data["figures"] == [format_krw_litre(Decimal(v)) for v in REFERENCE_PUMP.values()]
    assert {s["source"] for s in step.data["sources"]} == {"KNOC"}


def test_domestic_fuel_price_failure_is_a_tool_output(pages_server: PagesServer) -> None:
    pages_server.set(KNOC_PATH, fixture="garbage.html")
    market = Market(load_settings(pages_server.env()))
    step = default_registry(market).call("c1", "domestic_fuel_price", "{}")
    assert not step.ok and "no div#panel1-1" in json.loads(step.output)["error"]


def test_market_failure_is_a_tool_output(pages_server: PagesServer) -> None:
    settings = load_settings(pages_server.env(OILFX_FX_SOURCES="naver"))
    pages_server.set(NAVER_FX_PATH, status=503)
    step = default_registry(Market(settings, clock=lambda: SEED_DAY)).call("c1", "usd_krw", "{}")
    assert step.ok is False and "503" in json.loads(step.output)["error"]


def test_real_tools_run_concurrently(pages_server: PagesServer) -> None:
    pages_server.set(OPINET_PATH, delay=0.3)
    pages_server.set(NAVER_FX_PATH, delay=0.3)
    registry = default_registry(Market(load_settings(pages_server.env()), clock=lambda: SEED_DAY))
    started = time.perf_counter()
    steps = registry.call_all([("a", "oil_price", "{}"), ("b", "usd_krw", "{}")], round=1)
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert all(s.ok and s.duration_ms >= 300 for s in steps)
    assert elapsed_ms < 1.6 * 300, f"round took {elapsed_ms:.0f} ms for two 300 ms tools"


def test_loose_spellings_from_non_strict_models_are_normalised(market: Market) -> None:
    registry = default_registry(market)
    loose = registry.call("c1", "oil_price_krw", '{"benchmark": "wti", "unit": "liter"}')
    assert loose.ok and json.loads(loose.output)["display"] == format_krw_litre(krw_per_litre(WTI_USD, USD_KRW))
    assert json.loads(registry.call("c2", "oil_price_krw", '{"benchmark": "두바이"}').output)["unit"] == "barrel"
    wrong = registry.call("c3", "oil_price_krw", '{"benchmark": "Gold", "unit": "barrel"}')
    assert not wrong.ok and "'Gold' is not one of" in json.loads(wrong.output)["error"]
