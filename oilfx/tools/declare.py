"""How a tool is declared: `@function_tool(title=...)` over a function whose first parameter is what it reads
(the market; `deps=` names another type, e.g. create_alert's AlertDesk), optionally followed by a `ToolContext`
(who the call is for), its schema derived from the rest of its signature and docstring (schema.py);
`bind(market)` makes the `Tool` a registry runs. A tool also says, in our words, what a call is doing
(`describe`), before it runs: the model's arguments only pick among known values."""

from __future__ import annotations

import functools
import inspect
import json
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from oilfx.i18n import Text, lazy
from oilfx.tools.common import MarketData
from oilfx.tools.context import ToolContext
from oilfx.tools.result import ToolResult
from oilfx.tools.schema import derive

GENERIC_LIMIT = 40   # characters of an unknown (model-invented) name shown in a generic title


@dataclass(frozen=True)
class Tool:
    """A tool ready to run: what the registry validates and dispatches."""

    name: str
    description: str
    parameters: dict[str, Any]          # strict JSON schema: every property required, no extras
    function: Callable[..., ToolResult]
    # Optional: maps loose spellings a non-strict model may send ("wti", "liter") to the schema's values.
    normalise: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    title: Text = ""                    # what it fetches, as a noun (lazy("the USD/KRW rate")): progress lines
    describe: Callable[[dict[str, Any]], Text] | None = None   # arguments -> what this call is doing
    contextual: bool = False            # `function(context, **arguments)`: the call needs who it is for


class Describable(Protocol):
    @property
    def title(self) -> Text: ...

    @property
    def describe(self) -> Callable[[dict[str, Any]], Text] | None: ...


def arguments_of(arguments: str) -> dict[str, Any]:
    """The model's arguments as a dict, or {} when they are not a JSON object (a title never fails)."""
    try:
        args = json.loads(arguments or "{}")
    except ValueError:
        return {}
    return args if isinstance(args, dict) else {}


def describe_call(tool: Describable | None, name: str, arguments: str) -> Text:
    """What a call is doing, a Msg for the reader's Texts to render: the tool's own words, else "Fetching
    <title>", else a generic title naming the call (the name is the model's data, unescaped and untranslated:
    whoever shows it escapes it)."""
    if tool is not None and tool.describe is not None:
        return tool.describe(arguments_of(arguments))
    if tool is not None and tool.title:
        return lazy("Fetching {title}", title=tool.title)
    return lazy("Calling {name}", name=name[:GENERIC_LIMIT])


@dataclass(frozen=True)
class FunctionTool:
    """A declared tool, not yet bound to a market: name, schema and titles are known without one."""

    name: str
    description: str
    parameters: dict[str, Any]
    function: Callable[..., ToolResult]          # takes the market first, then the model's arguments
    title: Text
    describe: Callable[[dict[str, Any]], Text] | None = None
    normalise: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    enums: Mapping[str, type[Enum]] = field(default_factory=dict)   # JSON value -> the Enum the function takes
    contextual: bool = False     # a ToolContext follows the first parameter

    def bind(self, market: Any) -> Tool:
        """`market`: what the function's first parameter reads (MarketData, or the type its `deps=` named)."""
        function, enums, contextual = self.function, self.enums, self.contextual

        def convert(arguments: dict[str, Any]) -> dict[str, Any]:
            for key, enum in enums.items():
                if key in arguments:
                    arguments[key] = enum(arguments[key])
            return arguments

        @functools.wraps(function)
        def call(*context: ToolContext, **arguments: Any) -> ToolResult:
            return function(market, *context[:1 if contextual else 0], **convert(arguments))

        # the registry fills omitted defaults from this signature: the model's parameters only
        params = list(inspect.signature(function).parameters.values())[2 if contextual else 1:]
        call.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        return Tool(self.name, self.description, self.parameters, call, self.normalise, self.title, self.describe,
                    contextual)


def function_tool(*, title: Text, describe: Callable[[dict[str, Any]], Text] | None = None,
                  normalise: Callable[[dict[str, Any]], dict[str, Any]] | None = None, deps: type = MarketData
                  ) -> Callable[[Callable[..., ToolResult]], FunctionTool]:
    """Declare `fn(market: MarketData, ...)` (or `fn(x: <deps>, context: ToolContext, ...)`) as a tool named after
    it. `title`: what it fetches, as a noun (a Msg: lazy("...")); `describe`: what a call with these arguments is
    doing, a Msg too (default "Fetching <title>")."""

    def declare(fn: Callable[..., ToolResult]) -> FunctionTool:
        params = list(inspect.signature(fn).parameters)
        derived = derive(fn, deps, ToolContext)
        hints = typing.get_type_hints(fn)
        if not params or hints.get(params[0]) is not deps:
            raise TypeError(f"{fn.__name__}: a tool's first parameter is the market it reads (or the type "
                            f"`deps=` names): {deps.__name__}")
        contextual = len(params) > 1 and hints.get(params[1]) is ToolContext
        if not derived.description:
            raise TypeError(f"{fn.__name__}: a tool needs a docstring: it is the model's description of it")
        return FunctionTool(fn.__name__, derived.description, derived.parameters, fn, title, describe, normalise,
                            derived.enums, contextual)

    return declare
