"""The Chat Completions adapter, for any OpenAI-compatible server (Ollama, vLLM, llama.cpp, LiteLLM).

The server keeps nothing: oilfx keeps the history (EngineState.load/save_history), trimmed to a token budget
(history.py), and saves a turn only once it is answered, so a failed turn leaves no call without its output.
Requests hold no server state, so the SDK's own retry may resend them. A continued conversation whose stored
history is missing or unreadable is ConversationGone: the loop starts a new one and tells the user.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import openai

from oilfx.config import Settings
from oilfx.engines.base import EngineError, EngineState, TurnListener
from oilfx.engines.client import make_client, openai_errors
from oilfx.engines.history import HISTORY_BUDGET_TOKENS, is_history, trim_history
from oilfx.engines.instructions import INSTRUCTIONS
from oilfx.engines.items import (
    ConversationGone,
    Finish,
    FunctionCall,
    FunctionOutput,
    InputItem,
    ModelResponse,
    Usage,
    UserMessage,
)
from oilfx.engines.memory import MemoryState
from oilfx.i18n import lazy
from oilfx.tools.registry import ToolRegistry

HISTORY_LOST = lazy("oilfx no longer has the earlier messages of this thread (its stored history is missing or "
                    "unreadable), so this answer starts a new conversation without what was said before.")


@dataclass
class _Reply:
    content: str = ""
    calls: list[FunctionCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)


class ChatModel:
    name = "chat"

    def __init__(self, settings: Settings, registry: ToolRegistry, state: EngineState | None = None,
                 client: openai.OpenAI | None = None, stream: bool = False,
                 history_tokens: int = HISTORY_BUDGET_TOKENS) -> None:
        self.settings, self.stream, self.history_tokens = settings, stream, history_tokens
        self.state = state if state is not None else MemoryState()
        self.client = client or make_client(settings)
        self.tools = registry.chat_tools()  # sent as extra_body: see ResponsesModel (the SDK's deep walk)

    def open(self, conversation: str | None) -> ChatConversation:
        if conversation is None:
            return ChatConversation(self, f"chat_{uuid.uuid4().hex}", True, [])
        try:
            stored: Any = self.state.load_history(conversation)
        except ValueError as e:   # a record the store could not parse (JSON)
            raise ConversationGone(conversation, lazy("The stored history of {conversation} is unreadable "
                                                      "({error}).", conversation=conversation, error=str(e)),
                                   HISTORY_LOST) from e
        # Every answered turn is saved with its question and answer: nothing usable means the history was lost.
        history = trim_history(stored, self.history_tokens) if is_history(stored) else []
        if not history:
            raise ConversationGone(conversation, lazy("There is no usable stored history for {conversation}.",
                                                      conversation=conversation), HISTORY_LOST)
        return ChatConversation(self, conversation, False, history)


class ChatConversation:
    def __init__(self, model: ChatModel, ref: str, created: bool, history: list[dict[str, Any]]) -> None:
        self.m, self.ref, self.created, self.history = model, ref, created, history
        self.turn: list[dict[str, Any]] = []

    def repair(self, known: Sequence[FunctionOutput] = ()) -> int:
        return 0   # only answered turns are saved: the stored history has no call without its output

    def send(self, items: Sequence[InputItem], last: bool, listener: TurnListener) -> ModelResponse:
        for item in items:
            self.turn.append({"role": "user", "content": item.text} if isinstance(item, UserMessage) else
                             {"role": "tool", "tool_call_id": item.call_id, "content": item.output})
        settings = self.m.settings
        with openai_errors(settings):
            reply = self._complete(listener, model=settings.model,
                                   messages=(),  # required by the SDK's signature; the real list is in extra_body
                                   extra_body={"tools": self.m.tools, "messages": [
                                       {"role": "system", "content": INSTRUCTIONS}, *self.history, *self.turn]},
                                   tool_choice="none" if last else "auto",
                                   max_completion_tokens=settings.max_output_tokens)
        if reply.finish_reason == "length":   # llama-server ends every uncapped final round this way
            return ModelResponse(Finish.LENGTH, usage=reply.usage, detail="finish_reason 'length'")
        if reply.finish_reason == "content_filter":
            return ModelResponse(Finish.FAILED, usage=reply.usage,
                                 detail=lazy("The server filtered the answer (finish_reason 'content_filter')."))
        if not reply.calls:
            return ModelResponse(Finish.DONE, text=reply.content, usage=reply.usage)
        self.turn.append({"role": "assistant", "content": reply.content or None,
                          "tool_calls": [{"id": c.call_id, "type": "function",
                                          "function": {"name": c.name, "arguments": c.arguments}}
                                         for c in reply.calls]})
        return ModelResponse(Finish.TOOL_CALLS, tuple(reply.calls), usage=reply.usage)

    def commit(self, answer: str) -> None:
        self.turn.append({"role": "assistant", "content": answer})
        self.m.state.save_history(self.ref, trim_history(self.history + self.turn, self.m.history_tokens))

    def discard(self) -> None:
        pass   # nothing was saved

    def round_usage(self) -> list[Usage] | None:
        return None

    def _complete(self, listener: TurnListener, **request: Any) -> _Reply:
        client = self.m.client
        if not self.m.stream:
            completion = client.chat.completions.create(**request)
            if not completion.choices:
                raise EngineError(lazy("The chat server returned no choices; try again."))
            choice = completion.choices[0]
            calls = [FunctionCall(c.id, c.function.name, c.function.arguments)
                     for c in choice.message.tool_calls or [] if c.type == "function"]
            return _Reply(choice.message.content or "", calls, choice.finish_reason, _usage(completion.usage))
        reply, parts, calls = _Reply(), [], {}
        chunks = client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **request)
        with chunks:
            for chunk in chunks:
                if chunk.usage:
                    reply.usage = _usage(chunk.usage)
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
        reply.calls = [FunctionCall(c["id"], c["name"], c["arguments"]) for _, c in sorted(calls.items())]
        return reply


def _usage(u: Any) -> Usage:
    if u is None:
        return Usage()
    details, prompt = u.completion_tokens_details, u.prompt_tokens_details
    return Usage(u.prompt_tokens, u.completion_tokens, details.reasoning_tokens if details else None,
                 prompt.cached_tokens if prompt else None)
