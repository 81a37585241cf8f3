"""The default engine's adapter: OpenAI Responses API with one Conversation per oilfx conversation.

Every request that changes the Conversation goes through retry.stateful (no blind replays); before each turn the
loop asks `repair` to close calls an earlier failure left without outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import openai

from oilfx.config import Settings
from oilfx.engines import response_wire as wire
from oilfx.engines.base import EngineError, EngineState, TurnListener
from oilfx.engines.client import detail, endpoint, make_client, openai_errors
from oilfx.engines.instructions import INSTRUCTIONS
from oilfx.engines.items import (
    INTERRUPTED,
    Finish,
    FunctionCall,
    FunctionOutput,
    InputItem,
    ModelResponse,
    Usage,
    UserMessage,
)
from oilfx.engines.retry import stateful
from oilfx.i18n import lazy
from oilfx.tools.registry import ToolRegistry

ITEMS_PER_CREATE = 20   # conversations.items.create takes at most 20 items a request


class ResponsesModel:
    name = "responses"

    def __init__(self, settings: Settings, registry: ToolRegistry, state: EngineState | None = None,
                 client: openai.OpenAI | None = None, stream: bool = False) -> None:
        self.settings, self.stream = settings, stream
        self.client = client or make_client(settings)
        self.once = self.client.with_options(max_retries=0)   # for stateful requests: see retry.py
        self.tools = registry.responses_tools()

    def open(self, conversation: str | None) -> ResponsesConversation:
        if conversation is not None:
            return ResponsesConversation(self, conversation, created=False)
        with openai_errors(self.settings):
            try:
                ref = wire.new_conversation(self.client, {"metadata": {"app": "oilfx"}})
            except openai.NotFoundError as e:
                raise EngineError(lazy("{endpoint} answered HTTP 404 ({detail}): this server has no Conversations "
                                       "API, which the responses engine needs; set OILFX_ENGINE=chat.",
                                       endpoint=endpoint(self.settings, 'conversations'), detail=detail(e))) from e
        return ResponsesConversation(self, ref, created=True)


class ResponsesConversation:
    def __init__(self, model: ResponsesModel, ref: str, created: bool) -> None:
        self.m, self.ref, self.created = model, ref, created
        self.settings = model.settings
        self.since: str | None = None   # the newest item before this turn's requests: where lost attempts land

    # -- repair: calls without outputs
    def _dangling(self) -> list[str]:
        """Call ids without an output, newest turn first back to the last finished answer."""
        outputs: set[str] = set()
        dangling: list[str] = []
        newest = None
        for item in self.m.client.conversations.items.list(self.ref, order="desc", limit=20):
            newest = newest or item.id
            if item.type == "function_call_output":
                outputs.add(item.call_id)
            elif item.type == "function_call" and item.call_id not in outputs:
                dangling.append(item.call_id)
            elif item.type == "message" and item.role == "assistant" and item.phase != "commentary":
                break   # a finished answer: everything before it was closed when that turn went on
        self.since = newest
        return dangling[::-1]

    def repair(self, known: Sequence[FunctionOutput] = ()) -> int:
        outputs = {o.call_id: o.output for o in known}
        with openai_errors(self.settings, self.ref):
            dangling = self._dangling()
            for start in range(0, len(dangling), ITEMS_PER_CREATE):
                batch = dangling[start:start + ITEMS_PER_CREATE]
                items = [{"type": "function_call_output", "call_id": c, "output": outputs.get(c, INTERRUPTED)}
                         for c in batch]
                stateful(self.settings, lambda items=items: self._add(items),
                         lambda batch=batch: True if not set(batch) & set(self._dangling()) else None)
        return len(dangling)

    def _add(self, items: list[dict[str, Any]]) -> bool:
        added = self.m.once.conversations.items.create(self.ref, items=items)
        if added.data:
            self.since = added.data[-1].id
        return True

    # -- one round
    def send(self, items: Sequence[InputItem], last: bool, listener: TurnListener) -> ModelResponse:
        # The whole body goes as extra_body, which the SDK merges into the JSON as is: typed params are deep-walked
        # against its TypedDicts on every call (~1-3 ms of CPU a round, most of the bot's CPU per turn).
        body = {"model": self.settings.model, "instructions": INSTRUCTIONS, "conversation": self.ref,
                "tools": self.m.tools, "input": [_input(i) for i in items],
                "parallel_tool_calls": True, "tool_choice": "none" if last else "auto",
                "max_output_tokens": self.settings.max_output_tokens,
                "truncation": "auto"}   # a Conversation past the context window drops its oldest items
        with openai_errors(self.settings, self.ref):
            return stateful(self.settings, lambda: self._create(listener, body), lambda: self._landed(items))

    def _create(self, listener: TurnListener, body: dict[str, Any]) -> ModelResponse:
        # Read as plain JSON (response_wire.py): the SDK's typing of each event was most of a turn's CPU.
        response = (wire.stream(self.m.once, body, listener.text_delta) if self.m.stream
                    else wire.create(self.m.once, body))
        if response.get("conversation") is None:
            # LiteLLM's /v1/responses, llama.cpp: they drop `conversation`, so the next round has no calls to
            # match its outputs and the model seems to loop.
            raise EngineError(lazy("{endpoint} ignored 'conversation' (its response names none): this server "
                                   "keeps no Conversations, which the responses engine needs; set OILFX_ENGINE=chat.",
                                   endpoint=endpoint(self.settings, 'responses')))
        return read_response(response)

    def _landed(self, items: Sequence[InputItem]) -> ModelResponse | None:
        """What a lost attempt left in the Conversation: its output items, if its input is there."""
        after = {"after": self.since} if self.since else {}
        new = list(self.m.client.conversations.items.list(self.ref, order="asc", limit=100, **after))
        first = items[0]
        found = None
        for i, item in enumerate(new):
            if (isinstance(first, FunctionOutput) and item.type == "function_call_output"
                    and item.call_id == first.call_id) or (
                    isinstance(first, UserMessage) and item.type == "message" and item.role == "user"
                    and "".join(getattr(p, "text", "") or "" for p in item.content) == first.text):
                found = i
        if found is None:
            return None
        produced = new[found + 1:]
        calls = tuple(FunctionCall(i.call_id, i.name, i.arguments) for i in produced if i.type == "function_call")
        text = "".join(p.text for i in produced if i.type == "message" and i.role == "assistant"
                       and i.phase != "commentary" for p in i.content if p.type == "output_text")
        if not calls and not text:
            return None     # still running (the resend meets conversation_locked and waits) or left nothing
        return ModelResponse(Finish.TOOL_CALLS if calls else Finish.DONE, calls, text)

    def commit(self, answer: str) -> None:
        pass   # the Conversation already holds the turn

    def discard(self) -> None:
        with openai_errors(self.settings, self.ref):
            self.m.client.conversations.delete(self.ref)

    def round_usage(self) -> list[Usage] | None:
        return None


def _input(item: InputItem) -> dict[str, Any]:
    if isinstance(item, UserMessage):
        return {"role": "user", "content": item.text}
    return {"type": "function_call_output", "call_id": item.call_id, "output": item.output}


def read_response(response: dict[str, Any]) -> ModelResponse:
    """One round's result from the response object as JSON (the API's field names)."""
    output = response.get("output") or []
    calls = tuple(FunctionCall(o["call_id"], o["name"], o["arguments"]) for o in output
                  if o.get("type") == "function_call")
    # Not response.output_text: that joins every message, and a newer model's "commentary" (its preamble
    # before tool calls) is not the answer.
    text = "".join(part.get("text") or "" for o in output
                   if o.get("type") == "message" and o.get("phase") != "commentary"
                   for part in o.get("content") or () if part.get("type") == "output_text")
    u = response.get("usage")
    usage = Usage(u.get("input_tokens"), u.get("output_tokens"),
                  (u.get("output_tokens_details") or {}).get("reasoning_tokens"),
                  (u.get("input_tokens_details") or {}).get("cached_tokens")) if u else Usage()
    status = response.get("status")
    if status == "incomplete":
        reason = (response.get("incomplete_details") or {}).get("reason") or "unknown reason"
        if reason == "max_output_tokens":
            return ModelResponse(Finish.LENGTH, calls, "", usage, f"the response ended 'incomplete' ({reason})")
        return ModelResponse(Finish.FAILED, calls, "", usage,
                             lazy("The response ended 'incomplete' ({reason}).", reason=reason))
    if status not in (None, "completed"):
        error = response.get("error")
        if error:   # the API's own code and message: data, quoted as they are
            return ModelResponse(Finish.FAILED, calls, "", usage,
                                 lazy("The response ended '{status}' ({code}: {message}).", status=status,
                                      code=error.get("code"), message=error.get("message")))
        return ModelResponse(Finish.FAILED, calls, "", usage, lazy("The response ended '{status}'.", status=status))
    return ModelResponse(Finish.TOOL_CALLS if calls else Finish.DONE, calls, text, usage)
