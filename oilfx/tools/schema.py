"""A tool's strict JSON schema, derived from its Python signature and docstring, after the OpenAI Agents SDK's
`function_schema`: the description is the docstring before its `Args:` section, each parameter's description
comes from that section, the annotation gives the type (`Literal[...]` and `Enum` give an `enum`), and a context
parameter first (the market the tool reads) is left out, as the SDK leaves out its RunContextWrapper. Strict:
every property required and nothing extra; a default only serves servers that omit an argument (registry)."""

from __future__ import annotations

import inspect
import re
import textwrap
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
_SECTION = re.compile(r"^(Args|Arguments|Parameters|Returns|Raises|Yields|Examples?|Notes?):\s*$")
_ARG = re.compile(r"^(\w+)(?:\s*\([^)]*\))?:\s*(.*)$")


@dataclass(frozen=True)
class Signature:
    description: str
    parameters: dict[str, Any]        # the strict JSON schema of the arguments
    defaults: dict[str, Any]          # what a non-strict server may omit
    enums: dict[str, type[Enum]]      # arguments to turn from their JSON value into the Enum the function takes


def _docstring(fn: Callable[..., Any]) -> tuple[str, dict[str, str]]:
    """(the summary, joined into one line per paragraph break as written, the Args descriptions by name)."""
    doc = textwrap.dedent(inspect.getdoc(fn) or "").strip()
    summary: list[str] = []
    args: dict[str, str] = {}
    section, current = None, None
    for line in doc.splitlines():
        stripped = line.strip()
        if m := _SECTION.match(stripped):
            section, current = m.group(1), None
            continue
        if section is None:
            summary.append(stripped)
        elif section in ("Args", "Arguments", "Parameters") and stripped:
            m = _ARG.match(stripped)
            if m and not line.startswith(" " * 8):
                current = m.group(1)
                args[current] = m.group(2)
            elif current is not None:
                args[current] = f"{args[current]} {stripped}".strip()
    return " ".join(part for part in summary if part), args


def _property(annotation: Any, where: str) -> tuple[dict[str, Any], type[Enum] | None]:
    if typing.get_origin(annotation) is Literal:
        values = list(typing.get_args(annotation))
        kinds = {type(v) for v in values}
        if len(kinds) != 1 or next(iter(kinds)) not in _SCALARS:
            raise TypeError(f"{where}: Literal values must share one JSON scalar type")
        return {"type": _SCALARS[next(iter(kinds))], "enum": values}, None
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        values = [member.value for member in annotation]
        kinds = {type(v) for v in values}
        if len(kinds) != 1 or next(iter(kinds)) not in _SCALARS:
            raise TypeError(f"{where}: Enum values must share one JSON scalar type")
        return {"type": _SCALARS[next(iter(kinds))], "enum": values}, annotation
    if annotation in _SCALARS:
        return {"type": _SCALARS[annotation]}, None
    raise TypeError(f"{where}: unsupported annotation {annotation!r} (use str, int, float, bool, Literal or Enum)")


def derive(fn: Callable[..., Any], *context: type) -> Signature:
    """The schema of `fn`'s arguments; leading parameters annotated with a `context` type (what the tool reads,
    who the call is for) are not the model's to give."""
    hints = typing.get_type_hints(fn)
    params = list(inspect.signature(fn).parameters.values())
    while params and hints.get(params[0].name) in context:
        params = params[1:]
    description, documented = _docstring(fn)
    properties: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    enums: dict[str, type[Enum]] = {}
    for param in params:
        where = f"{fn.__name__}({param.name})"
        if param.kind not in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
            raise TypeError(f"{where}: only named parameters can be tool arguments")
        if param.name not in hints:
            raise TypeError(f"{where}: a tool argument needs a type annotation")
        prop, enum = _property(hints[param.name], where)
        if param.name in documented:
            prop["description"] = documented[param.name]
        properties[param.name] = prop
        if enum is not None:
            enums[param.name] = enum
        if param.default is not inspect.Parameter.empty:
            defaults[param.name] = param.default.value if isinstance(param.default, Enum) else param.default
    schema = {"type": "object", "properties": properties, "required": list(properties),
              "additionalProperties": False}
    return Signature(description, schema, defaults, enums)
