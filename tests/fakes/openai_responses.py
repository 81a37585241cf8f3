"""The fake's Responses API and Conversations, as a mixin of FakeOpenAI (openai_server.py).

What the real API refuses, it refuses (openai_wire.py): a request while a call has no output, an output for a
call never made, a request while another response on the conversation is in progress (conversation_locked),
more than 20 items in one items.create. It honours `tool_choice: "none"`, `max_output_tokens` (an `incomplete`
response with the cut-off text) and `truncation`; modes add reasoning items and commentary-phase messages.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tests.fakes.openai_script import COMMENTARY, capped, script, tokens
from tests.fakes.openai_wire import (
    FakeError,
    conversation_locked,
    no_tool_call,
    no_tool_output,
    page,
    responses_sse,
    server_error,
    too_many_items,
)

REASONING_TOKENS = 64


def item_events(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    events = []
    for item in items:
        kind = item.get("type", "message")
        if kind == "message":
            content = item.get("content", "")
            text = content if isinstance(content, str) else "".join(
                part.get("text", "") for part in content if isinstance(part, dict))
            events.append({"kind": "user" if item.get("role") != "assistant" else "assistant", "text": text})
        elif kind == "function_call":
            events.append({"kind": "call", "call_id": item["call_id"], "name": item["name"],
                           "arguments": item["arguments"]})
        elif kind == "function_call_output":
            events.append({"kind": "output", "call_id": item.get("call_id"), "output": item["output"]})
    return events


def check_pairs(history: list[dict[str, Any]], new_items: list[dict[str, Any]], require_outputs: bool) -> None:
    """Every output answers a call the conversation made; (before a model round) every call has its output."""
    calls = {i["call_id"] for i in history + new_items if i["type"] == "function_call"}
    for item in new_items:
        if item["type"] == "function_call_output" and item["call_id"] not in calls:
            raise no_tool_call(item["call_id"])
    outputs = {i["call_id"] for i in history + new_items if i["type"] == "function_call_output"}
    pending = [i["call_id"] for i in history if i["type"] == "function_call" and i["call_id"] not in outputs]
    if require_outputs and pending:
        raise no_tool_output(pending[0])


class ResponsesFake:
    if TYPE_CHECKING:  # provided by FakeOpenAI
        _lock: Any
        conversations: dict[str, dict[str, Any]]
        responses: dict[str, dict[str, Any]]
        keeps_conversations: bool
        outage: bool
        late_seconds: float
        late_done: set[str]
        context_window: int

        def _id(self, prefix: str) -> str: ...

        def _mode(self, events: list[dict[str, Any]]) -> str | None: ...

        def _model_round(self, mode: str | None, headers: dict[str, str], body: Any, assistants: bool = False,
                         after_tools: bool = False) -> None: ...

    def _normalise_input(self, value: Any) -> list[dict[str, Any]]:
        if isinstance(value, str):
            value = [{"role": "user", "content": value}]
        items = []
        for item in value or []:
            kind = item.get("type", "message")
            if kind == "message":
                content = item.get("content", "")
                if isinstance(content, str):
                    content = [{"type": "input_text", "text": content}]
                items.append({"type": "message", "id": self._id("msg"), "status": "completed",
                              "role": item.get("role", "user"), "content": content})
            elif kind == "function_call_output":
                if not item.get("call_id"):
                    raise FakeError(400, "Missing required parameter: 'input[].call_id'.", param="input")
                items.append({"type": "function_call_output", "id": self._id("fco"), "call_id": item["call_id"],
                              "output": item["output"], "status": "completed"})
            elif kind == "function_call":
                items.append({"id": self._id("fc"), "status": "completed", **item})
            else:
                raise FakeError(400, f"Invalid value: '{kind}'.", param="input[].type")
        return items

    def _responses_create(self, body: dict[str, Any], headers: dict[str, str]) -> Any:
        conv_ref = body.get("conversation") if self.keeps_conversations else None
        conv_id = conv_ref.get("id") if isinstance(conv_ref, dict) else conv_ref
        if conv_id and body.get("previous_response_id"):
            raise FakeError(400, "Cannot use 'previous_response_id' together with 'conversation'.",
                            param="previous_response_id")
        cap = body.get("max_output_tokens")
        if cap is not None and cap < 16:
            raise FakeError(400, "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, "
                            f"but got {cap} instead.", param="max_output_tokens", code="integer_below_min_value")
        new_items = self._normalise_input(body.get("input"))
        with self._lock:
            if conv_id:
                if conv_id not in self.conversations:
                    # api.openai.com's answer, param and code null (a live probe's record, found via search)
                    raise FakeError(404, f"Conversation with id '{conv_id}' not found.")
                conv = self.conversations[conv_id]
                if conv["busy"]:
                    raise conversation_locked()
                history = list(conv["items"])
            elif body.get("previous_response_id"):
                prev = self.responses.get(body["previous_response_id"])
                if prev is None:
                    raise FakeError(404, f"Previous response with id '{body['previous_response_id']}' not found.",
                                    param="previous_response_id")
                history = list(prev["transcript"])
            else:
                history = []
            check_pairs(history, new_items, require_outputs=True)
            if conv_id:
                conv["busy"] = True
        try:
            result, late = self._respond(body, headers, conv_id, history, new_items)
        finally:
            if conv_id:
                with self._lock:
                    self.conversations[conv_id]["busy"] = False
        if late:   # done on the server (and unlocked), but the answer arrives after the client gave up
            time.sleep(self.late_seconds)
        return result

    def _respond(self, body: dict[str, Any], headers: dict[str, str], conv_id: str | None,
                 history: list[dict[str, Any]], new_items: list[dict[str, Any]]) -> tuple[Any, bool]:
        transcript = history + new_items
        events = item_events(transcript)
        while tokens(events) > self.context_window:
            if body.get("truncation") != "auto":
                raise FakeError(400, "Your input exceeds the context window of this model. Please adjust your "
                                "input and try again.", param="input", code="context_length_exceeded")
            events = events[1:]   # "auto": the oldest items are dropped from what the model sees
        mode = self._mode(events)
        self._model_round(mode, headers, body, after_tools=any(i["type"] == "function_call_output"
                                                               for i in new_items))
        status, error, incomplete, output = "completed", None, None, []
        if mode == "reasoning":
            output.append({"type": "reasoning", "id": self._id("rs"), "summary": []})
        if mode in ("failed", "expired", "cancelled"):
            status = "failed" if mode != "cancelled" else "cancelled"
            error = {"code": "server_error", "message": "The model failed to generate a response (fake)."}
        elif mode == "incomplete":
            status, incomplete = "incomplete", {"reason": "max_output_tokens"}
        else:
            declared = {t.get("name") for t in body.get("tools") or []}
            kind, decision = script(events, mode, set() if body.get("tool_choice") == "none" else declared,
                                    self.answers)
            if mode == "commentary":
                output.append(self._message_item(COMMENTARY, "commentary"))
            if kind == "calls":
                for name, arguments in decision:
                    output.append({"type": "function_call", "id": self._id("fc"), "call_id": self._id("call"),
                                   "name": name, "arguments": arguments, "status": "completed"})
            else:
                text, cut = capped(decision, body.get("max_output_tokens"), mode)
                output.append(self._message_item(text, "final_answer" if mode == "commentary" else None,
                                                 "incomplete" if cut else "completed"))
                if cut:
                    status, incomplete = "incomplete", {"reason": "max_output_tokens"}
        in_tokens, out_tokens = tokens(events), tokens(item_events(output)) if output else 0
        reasoning = REASONING_TOKENS if mode == "reasoning" else 0
        now = int(time.time())
        rid = self._id("resp")
        response = {
            "id": rid, "object": "response", "created_at": now, "status": status, "background": False,
            "completed_at": now if status == "completed" else None, "error": error,
            "incomplete_details": incomplete, "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"), "model": body.get("model", "gpt-test"),
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "previous_response_id": body.get("previous_response_id"),
            "conversation": {"id": conv_id} if conv_id else None, "temperature": 1.0, "top_p": 1.0,
            "tool_choice": body.get("tool_choice", "auto"), "truncation": body.get("truncation", "disabled"),
            "tools": body.get("tools", []), "metadata": body.get("metadata") or {}, "store": True,
            "text": {"format": {"type": "text"}}, "output": output,
            # the fake caches every earlier prefix (the real cache starts at 1,024 tokens)
            "usage": {"input_tokens": in_tokens, "input_tokens_details": {
                          "cached_tokens": tokens(item_events(history)) if history else 0, "cache_write_tokens": 0},
                      "output_tokens": out_tokens + reasoning,
                      "output_tokens_details": {"reasoning_tokens": reasoning},
                      "total_tokens": in_tokens + out_tokens + reasoning},
        }
        with self._lock:
            self.responses[rid] = {"response": response, "transcript": transcript + output}
            if conv_id and status in ("completed", "incomplete"):   # both are stored, as the real API does
                self.conversations[conv_id]["items"].extend(new_items + output)
                late = mode == "late" and conv_id not in self.late_done
                self.late_done.add(conv_id)
            else:
                late = False
        return responses_sse(response) if body.get("stream") else response, late

    def _message_item(self, text: str, phase: str | None, status: str = "completed") -> dict[str, Any]:
        item = {"type": "message", "id": self._id("msg"), "status": status, "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]}
        if phase:
            item["phase"] = phase
        return item

    # -- Conversations
    def _conversations(self, method: str, p: list[str], query: dict[str, str], body: dict[str, Any]
                       ) -> dict[str, Any]:
        if not p and method == "POST":
            cid = self._id("conv")
            obj = {"id": cid, "object": "conversation", "created_at": int(time.time()),
                   "metadata": body.get("metadata") or {}}
            with self._lock:
                self.conversations[cid] = {"obj": obj, "items": self._normalise_input(body.get("items") or []),
                                           "busy": False}
            return obj
        conv = self.conversations.get(p[0]) if p else None
        if conv is None:
            raise FakeError(404, f"Conversation with id '{p[0] if p else ''}' not found.", param="conversation_id")
        if len(p) == 1:
            if method == "DELETE":
                with self._lock:
                    del self.conversations[p[0]]
                return {"id": p[0], "object": "conversation.deleted", "deleted": True}
            if method == "POST":
                conv["obj"]["metadata"] = body.get("metadata") or {}
            return conv["obj"]
        if p[1] == "items" and len(p) == 2:
            if method == "POST":
                return self._add_items(conv, body.get("items") or [])
            return page(conv["items"], query, default_order="desc")
        raise FakeError(404, "Invalid URL")

    def _add_items(self, conv: dict[str, Any], raw: list[dict[str, Any]]) -> dict[str, Any]:
        if len(raw) > 20:
            raise too_many_items(len(raw))
        if self.outage:
            raise server_error()
        added = self._normalise_input(raw)
        with self._lock:
            if conv["busy"]:
                raise conversation_locked()
            check_pairs(conv["items"], added, require_outputs=False)
            conv["items"].extend(added)
        return page(added, {"order": "asc", "limit": "100"}, default_order="asc")
