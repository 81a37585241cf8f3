"""Each tool's strict JSON schema is derived from its signature and docstring (tools/schema.py), and equals the
schema the model was given before the tools moved into oilfx/tools/ (a contract with the model)."""

from __future__ import annotations

import json
import typing
from enum import Enum
from pathlib import Path
from typing import Literal

import pytest

from oilfx.market.quote import BENCHMARKS, UNITS
from oilfx.tools import TOOLS, MarketData, ToolRegistry, ToolResult, default_registry, function_tool
from oilfx.tools.oil_price_krw import Benchmark, Unit
from oilfx.tools.schema import derive

BEFORE = Path(__file__).parent.parent / "fixtures" / "tools" / "schemas_before_issue15.json"


def test_the_derived_schemas_are_the_ones_the_model_was_given_before() -> None:
    """Captured from the hand-written schemas of oilfx/tools.py before it was split: name, description,
    parameters and strict, byte for byte as JSON, in the same order (tools added since come after them)."""
    tools = default_registry(None).responses_tools()  # type: ignore[arg-type]  # no call: no market needed
    before = json.loads(BEFORE.read_text())
    assert json.dumps(tools[:len(before)], ensure_ascii=False) == json.dumps(before, ensure_ascii=False)
    assert default_registry(None).chat_tools()[2]["function"]["parameters"] == tools[2]["parameters"]  # type: ignore[arg-type]


def test_the_schema_choices_are_the_markets_own() -> None:
    assert typing.get_args(Benchmark) == BENCHMARKS and typing.get_args(Unit) == UNITS
    assert [t.name for t in TOOLS] == ["oil_price", "usd_krw", "oil_price_krw", "domestic_fuel_price",
                                       "price_history"]


class Grade(Enum):
    LIGHT = "light"
    HEAVY = "heavy"


def sample(market: MarketData, grade: Grade, side: Literal["bid", "ask"], depth: int, ratio: float = 0.5,
           exact: bool = False) -> ToolResult:
    """Quote a sample
    across two lines.

    Args:
        grade: how heavy the crude is.
        side: which side
            of the book.
        depth: levels to read.

    Returns:
        nothing the model sees.
    """
    return ToolResult({"grade": grade.value, "is_enum": isinstance(grade, Grade), "side": side, "depth": depth,
                       "ratio": ratio, "exact": exact})


def test_signature_and_docstring_make_a_strict_schema() -> None:
    derived = derive(sample, MarketData)
    assert derived.description == "Quote a sample across two lines."
    assert derived.parameters == {
        "type": "object",
        "properties": {
            "grade": {"type": "string", "enum": ["light", "heavy"], "description": "how heavy the crude is."},
            "side": {"type": "string", "enum": ["bid", "ask"], "description": "which side of the book."},
            "depth": {"type": "integer", "description": "levels to read."},
            "ratio": {"type": "number"},
            "exact": {"type": "boolean"},
        },
        "required": ["grade", "side", "depth", "ratio", "exact"],   # strict: all of them, defaults or not
        "additionalProperties": False,
    }
    assert derived.defaults == {"ratio": 0.5, "exact": False} and derived.enums == {"grade": Grade}


def test_a_declared_tool_runs_with_enum_arguments_and_defaults_filled_in() -> None:
    registry = ToolRegistry([function_tool(title="a sample")(sample).bind(None)])  # type: ignore[arg-type]
    out = json.loads(registry.call("c1", "sample", '{"grade": "heavy", "side": "ask", "depth": 3}').output)
    assert out == {"grade": "heavy", "is_enum": True, "side": "ask", "depth": 3, "ratio": 0.5, "exact": False}
    wrong = registry.call("c2", "sample", '{"grade": "medium", "side": "ask", "depth": 3}')
    assert not wrong.ok and "'medium' is not one of" in json.loads(wrong.output)["error"]


def _list(market: MarketData, names: list[str]) -> ToolResult:
    """Unsupported."""
    return ToolResult()


def _optional(market: MarketData, name: str | None) -> ToolResult:
    """Unsupported."""
    return ToolResult()


def _unannotated(market: MarketData, name) -> ToolResult:  # type: ignore[no-untyped-def]
    """Unsupported."""
    return ToolResult()


def _mixed(market: MarketData, choice: Literal["a", 1]) -> ToolResult:
    """Unsupported."""
    return ToolResult()


def _star(market: MarketData, *names: str) -> ToolResult:
    """Unsupported."""
    return ToolResult()


@pytest.mark.parametrize(("fn", "message"), [
    (_list, "unsupported annotation"), (_optional, "unsupported annotation"), (_unannotated, "needs a type"),
    (_mixed, "one JSON scalar type"), (_star, "only named parameters"),
])
def test_an_unsupported_signature_is_rejected_when_declared(fn, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match=message):
        function_tool(title="x")(fn)


def test_a_tool_takes_the_market_first_and_has_a_docstring() -> None:
    def no_market(word: str) -> ToolResult:
        """Echo."""
        return ToolResult()

    def no_doc(market: MarketData) -> ToolResult:
        return ToolResult()

    with pytest.raises(TypeError, match="first parameter is the market"):
        function_tool(title="x")(no_market)
    with pytest.raises(TypeError, match="needs a docstring"):
        function_tool(title="x")(no_doc)
