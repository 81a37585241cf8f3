"""The LLM loop (loop.py) over one adapter per API (responses.py, assistants.py, chat.py) behind `Model`."""

from __future__ import annotations

from oilfx.config import Settings
from oilfx.engines.base import Answer, Engine, EngineError, EngineState, ModelStep, ToolStep, TurnListener
from oilfx.engines.items import Model
from oilfx.engines.loop import LoopEngine
from oilfx.i18n import lazy
from oilfx.tools.registry import ToolRegistry

__all__ = ["Answer", "Engine", "EngineError", "EngineState", "ModelStep", "ToolStep", "TurnListener",
           "make_engine"]


def make_engine(settings: Settings, registry: ToolRegistry, state: EngineState | None = None, *,
                stream: bool = False) -> Engine:
    """The engine settings.engine names. Raises EngineError (e.g. OPENAI_API_KEY missing).

    stream=True: responses and chat stream the model's text to TurnListener.text_delta (assistants ignores it)."""
    model: Model
    if settings.engine == "responses":
        from oilfx.engines.responses import ResponsesModel
        model = ResponsesModel(settings, registry, state, stream=stream)
    elif settings.engine == "assistants":
        from oilfx.engines.assistants import AssistantsModel
        model = AssistantsModel(settings, registry, state)
    elif settings.engine == "chat":
        from oilfx.engines.chat import ChatModel
        model = ChatModel(settings, registry, state, stream=stream)
    else:
        raise EngineError(lazy("unknown engine {engine}; choose responses, assistants or chat",
                               engine=repr(settings.engine)))
    return LoopEngine(model, registry, settings)
