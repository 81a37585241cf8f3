"""The tools the model may call, one per file, each declared with `@function_tool` (declare.py: its strict schema
derived from its signature and docstring, schema.py), returning a typed ToolResult (result.py); the registry
validates and dispatches them (registry.py), and the catalogue lists them and titles their calls (catalogue.py).
"""

from oilfx.tools.catalogue import TOOLS, default_registry, describe, title
from oilfx.tools.common import MarketData
from oilfx.tools.declare import FunctionTool, Tool, function_tool
from oilfx.tools.registry import ToolRegistry
from oilfx.tools.result import FailureKind, Figure, FigureKind, Source, ToolFailure, ToolResult
from oilfx.tools.step import ToolListener, ToolStep

__all__ = ["TOOLS", "FailureKind", "Figure", "FigureKind", "FunctionTool", "MarketData", "Source", "Tool",
           "ToolFailure", "ToolListener", "ToolRegistry", "ToolResult", "ToolStep", "default_registry", "describe",
           "function_tool", "title"]
