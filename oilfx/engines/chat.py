"""Chat Completions with tools, for any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LiteLLM).

The server keeps nothing: oilfx keeps the history (EngineState.load/save_history), trimmed to a budget.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
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


@dataclass
class _Reply:
    content: str = ""
    calls: list[tuple[str, str, str]] = field(default_factory=list)   # (id, name, arguments)
    finish_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None


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
                 client: openai.OpenAI | None = None, stream: bool = False) -> None:
        self.settings, self.registry, self.stream = settings, registry, stream
        self.state = state if state is not None else MemoryState()
        self.client = client or make_client(settings)
        self._tools = registry.chat_tools()  # sent as extra_body: see ResponsesEngine (the SDK's deep walk)

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
                reply = self._complete(listener, model=self.settings.model,
                                       messages=(),  # required by the SDK's signature; the real list is in extra_body
                                       extra_body={"tools": self._tools, "messages": [
                                           {"role": "system", "content": INSTRUCTIONS}, *history, *turn]},
                                       tool_choice="none" if last else "auto")
                calls = reply.calls
                steps.append(ModelStep(round_, (time.perf_counter() - started) * 1000, reply.input_tokens,
                                       reply.output_tokens, len(calls)))
                if not calls:
                    answer = reply.content.strip()
                    if not answer:
                        reason = reply.finish_reason
                        raise EngineError(f"The model finished without an answer (finish_reason '{reason}').")
                    turn.append({"role": "assistant", "content": answer})
                    self.state.save_history(conversation, trim_history(history + turn))
                    return Answer(answer, tuple(steps), conversation, self.name, self.settings.model)
                if last:
                    break
                turn.append({"role": "assistant", "content": reply.content or None,
                             "tool_calls": [{"id": call_id, "type": "function",
                                             "function": {"name": name, "arguments": arguments}}
                                            for call_id, name, arguments in calls]})
                tool_steps = self.registry.call_all(calls, round_, listener)
                steps.extend(tool_steps)
                turn.extend({"role": "tool", "tool_call_id": s.call_id, "content": s.output} for s in tool_steps)
        raise EngineError(f"The model kept asking for tools after {self.settings.max_tool_rounds} rounds; "
                          "stopped without an answer.")

    def _complete(self, listener: TurnListener, **request: Any) -> _Reply:
        if not self.stream:
            completion = self.client.chat.completions.create(**request)
            if not completion.choices:
                raise EngineError("The chat server returned no choices; try again.")
            choice, usage = completion.choices[0], completion.usage
            calls = [(c.id, c.function.name, c.function.arguments) for c in choice.message.tool_calls or []
                     if c.type == "function"]
            return _Reply(choice.message.content or "", calls, choice.finish_reason,
                          usage.prompt_tokens if usage else None, usage.completion_tokens if usage else None)
        reply, parts, calls = _Reply(), [], {}
        chunks = self.client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **request)
        with chunks:
            for chunk in chunks:
                if chunk.usage:
                    reply.input_tokens, reply.output_tokens = chunk.usage.prompt_tokens, chunk.usage.completion_tokens
                for choice in chunk.choices:
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        listener.text_delta(choice.delta.content)
                    for delta in choice.delta.tool_calls or []:
                        call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                        call["id"] = delta.id or call["id"]
                        if delta.function:
                            call["name"] += delta.function.name or ""
                            call["arguments"] += delta.function.arguments or ""
                    reply.finish_reason = choice.finish_reason or reply.finish_reason
        reply.content = "".join(parts)
        reply.calls = [(c["id"], c["name"], c["arguments"]) for _, c in sorted(calls.items())]
        return reply
