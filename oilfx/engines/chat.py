"""Chat Completions with tools, for any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LiteLLM).

The server keeps nothing: oilfx keeps the history (EngineState.load/save_history), trimmed to a budget.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import openai

from oilfx.config import Settings
from oilfx.engines.base import Answer, EngineError, EngineState, ModelStep, NullListener, Step, TurnListener
from oilfx.engines.client import make_client, openai_errors
from oilfx.engines.instructions import INSTRUCTIONS
from oilfx.engines.memory import MemoryState
from oilfx.tools import ToolRegistry

# Roughly 6k tokens of earlier turns; whole turns are dropped, oldest first, so tool calls keep their results.
HISTORY_BUDGET_CHARS = 24_000


def trim_history(messages: list[dict[str, Any]], budget: int = HISTORY_BUDGET_CHARS) -> list[dict[str, Any]]:
    starts = [i for i, m in enumerate(messages) if m.get("role") == "user"]
    for start in starts:
        kept = messages[start:]
        if len(json.dumps(kept, ensure_ascii=False)) <= budget:
            return kept
    return []


class ChatEngine:
    name = "chat"

    def __init__(self, settings: Settings, registry: ToolRegistry, state: EngineState | None = None,
                 client: openai.OpenAI | None = None) -> None:
        self.settings, self.registry = settings, registry
        self.state = state if state is not None else MemoryState()
        self.client = client or make_client(settings)

    def ask(self, text: str, conversation: str | None = None, listener: TurnListener | None = None) -> Answer:
        listener = listener or NullListener()
        conversation = conversation or f"chat_{uuid.uuid4().hex}"
        history = trim_history(self.state.load_history(conversation))
        turn: list[dict[str, Any]] = [{"role": "user", "content": text}]
        steps: list[Step] = []
        with openai_errors(self.settings):
            for round_ in range(1, self.settings.max_tool_rounds + 2):
                last = round_ > self.settings.max_tool_rounds
                started = time.perf_counter()
                completion = self.client.chat.completions.create(
                    model=self.settings.model,
                    messages=[{"role": "system", "content": INSTRUCTIONS}, *history, *turn],
                    tools=self.registry.chat_tools(), tool_choice="none" if last else "auto")
                if not completion.choices:
                    raise EngineError("The chat server returned no choices; try again.")
                choice = completion.choices[0]
                calls = choice.message.tool_calls or []
                usage = completion.usage
                steps.append(ModelStep(round_, (time.perf_counter() - started) * 1000,
                                       usage.prompt_tokens if usage else None,
                                       usage.completion_tokens if usage else None, len(calls)))
                if not calls:
                    answer = (choice.message.content or "").strip()
                    if not answer:
                        reason = choice.finish_reason
                        raise EngineError(f"The model finished without an answer (finish_reason '{reason}').")
                    turn.append({"role": "assistant", "content": answer})
                    self.state.save_history(conversation, trim_history(history + turn))
                    return Answer(answer, tuple(steps), conversation, self.name, self.settings.model)
                if last:
                    break
                function_calls = [c for c in calls if c.type == "function"]
                turn.append({"role": "assistant", "content": choice.message.content,
                             "tool_calls": [{"id": c.id, "type": "function",
                                             "function": {"name": c.function.name,
                                                          "arguments": c.function.arguments}}
                                            for c in function_calls]})
                tool_steps = self.registry.call_all(
                    [(c.id, c.function.name, c.function.arguments) for c in function_calls], round_, listener)
                steps.extend(tool_steps)
                turn.extend({"role": "tool", "tool_call_id": s.call_id, "content": s.output} for s in tool_steps)
        raise EngineError(f"The model kept asking for tools after {self.settings.max_tool_rounds} rounds; "
                          "stopped without an answer.")
