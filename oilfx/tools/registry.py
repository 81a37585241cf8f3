"""The tool registry: the tools the model may call, validated, dispatched by name lookup only (a dict, never
getattr or globals). Each call becomes a ToolStep whose typed ToolResult carries what the tool produced (or its
failure) and the call's title; its `payload` is the compact JSON the model reads. Nothing a tool does can raise
out of `call`.
"""

from __future__ import annotations

import inspect
import json
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import jsonschema

from oilfx.i18n import Text, lazy
from oilfx.metrics import METRICS
from oilfx.tools.context import ToolContext
from oilfx.tools.declare import Tool, describe_call
from oilfx.tools.result import FailureKind, ToolResult
from oilfx.tools.step import ToolListener, ToolStep

log = logging.getLogger(__name__)


def _compact(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            if tool.name in self._tools:
                raise ValueError(f"duplicate tool name {tool.name!r}")
            jsonschema.Draft202012Validator.check_schema(tool.parameters)
            self._tools[tool.name] = tool
        self._validators = {n: jsonschema.Draft202012Validator(t.parameters) for n, t in self._tools.items()}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._tools)

    def responses_tools(self) -> list[dict[str, Any]]:
        return [{"type": "function", "name": t.name, "description": t.description,
                 "parameters": t.parameters, "strict": True} for t in self._tools.values()]

    def chat_tools(self) -> list[dict[str, Any]]:
        return [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                  "parameters": t.parameters, "strict": True}}
                for t in self._tools.values()]

    def _run(self, name: str, arguments: str, context: ToolContext | None) -> ToolResult:
        tool = self._tools.get(name)
        if tool is None:
            raise _ToolError(lazy("unknown tool {name}; available tools: {tools}", name=repr(name),
                                  tools=", ".join(self._tools)))
        try:
            args = json.loads(arguments or "{}")
        except json.JSONDecodeError as e:
            raise _ToolError(lazy("arguments for {name} are not valid JSON ({error} at position {position})",
                                  name=name, error=e.msg, position=e.pos)) from None
        if not isinstance(args, dict):
            raise _ToolError(lazy("arguments for {name} must be a JSON object", name=name))
        if tool.normalise is not None:
            args = tool.normalise(args)
        # Servers without strict mode may omit optional arguments: fill in the function's defaults first.
        for pname, param in inspect.signature(tool.function).parameters.items():
            if pname not in args and param.default is not inspect.Parameter.empty:
                args[pname] = param.default
        errors = sorted(self._validators[name].iter_errors(args), key=lambda e: list(e.path))
        if errors:
            where = "/".join(str(p) for p in errors[0].path) or "arguments"
            raise _ToolError(lazy("invalid arguments for {name}: {where}: {error}", name=name, where=where,
                                  error=errors[0].message))
        if tool.contextual:
            if context is None:   # e.g. `python -m oilfx ask`: nobody to set an alert for
                raise _ToolError(lazy("{name} acts for a Slack user and channel; it is not available here",
                                      name=name))
            return tool.function(context, **args)
        return tool.function(**args)

    def describe(self, name: str, arguments: str) -> Text:
        """What a call is doing, in the tool's words, before it runs (a generic title for an unknown name)."""
        return describe_call(self._tools.get(name), name, arguments)

    def call(self, call_id: str, name: str, arguments: str, round: int = 0,
             context: ToolContext | None = None) -> ToolStep:
        """Run one tool call for `context` (who the turn is for; None outside Slack). Never raises: failures
        become an {"error": ...} output with ok=False."""
        started = time.perf_counter()
        title = self.describe(name, arguments)
        try:
            result = replace(self._run(name, arguments, context), title=title)
        except _ToolError as e:
            result = ToolResult.failed(FailureKind.CALL, e.text, title)
        except Exception as e:  # a data failure (MarketUnavailable, timeouts...) is the model's to report
            # the sources' reasons (HTTP status, ...) are data, quoted as they are; our words around them come as a
            # Msg where the error has one (MarketUnavailable.text), whose English is str(e) for the model
            message = lazy("{name} failed: {error}", name=name,
                           error=getattr(e, "text", None) or str(e) or type(e).__name__)
            log.warning("tool %s failed: %s", name, message)
            result = ToolResult.failed(FailureKind.DATA, message, title)
        duration_ms = (time.perf_counter() - started) * 1000
        label = name if name in self._tools else "unknown"  # the model may make a name up: never a label
        METRICS.tool_call(label, result.failure.kind.value if result.failure else None)
        return ToolStep(round=round, call_id=call_id, name=name, arguments=arguments,
                        output=_compact(result.payload), ok=result.failure is None, duration_ms=duration_ms,
                        result=result)

    def call_all(self, calls: list[tuple[str, str, str]], round: int,
                 listener: ToolListener | None = None, context: ToolContext | None = None) -> list[ToolStep]:
        """Run (call_id, name, arguments) calls concurrently; results in call order."""
        if not calls:
            return []

        def one(call: tuple[str, str, str]) -> ToolStep:
            call_id, name, arguments = call
            if listener is not None:
                _safely(listener.tool_started, call_id, name, arguments)
            step = self.call(call_id, name, arguments, round, context)
            if listener is not None:
                _safely(listener.tool_finished, step)
            return step

        if len(calls) == 1:
            return [one(calls[0])]
        with ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="oilfx-tool") as pool:
            return list(pool.map(one, calls))


class _ToolError(Exception):
    """The model's call was wrong (unknown tool, bad arguments); str() goes back to the model (English), `text`
    to the reader of the stream's task."""

    def __init__(self, text: Text) -> None:
        super().__init__(str(text))
        self.text = text


def _safely(callback: Callable[..., None], *args: Any) -> None:
    try:
        callback(*args)
    except Exception:
        log.exception("turn listener callback failed")
