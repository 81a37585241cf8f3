"""The LLM loop, one module per API behind the Engine interface (see base.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oilfx.config import Settings
from oilfx.engines.base import Answer, Engine, EngineError, EngineState, ModelStep, ToolStep, TurnListener

if TYPE_CHECKING:  # oilfx.tools imports engines.base; a runtime import here would be circular
    from oilfx.tools import ToolRegistry

__all__ = ["Answer", "Engine", "EngineError", "EngineState", "ModelStep", "ToolStep", "TurnListener",
           "make_engine"]


def make_engine(settings: Settings, registry: ToolRegistry, state: EngineState | None = None, *,
                stream: bool = False) -> Engine:
    """The engine settings.engine names. Raises EngineError (e.g. OPENAI_API_KEY missing).

    stream=True: responses and chat stream the model's text to TurnListener.text_delta (assistants ignores it)."""
    if settings.engine == "responses":
        from oilfx.engines.responses import ResponsesEngine
        return ResponsesEngine(settings, registry, state, stream=stream)
    if settings.engine == "assistants":
        from oilfx.engines.assistants import AssistantsEngine
        return AssistantsEngine(settings, registry, state)
    if settings.engine == "chat":
        from oilfx.engines.chat import ChatEngine
        return ChatEngine(settings, registry, state, stream=stream)
    raise EngineError(f"unknown engine {settings.engine!r}; choose responses, assistants or chat")
