"""Wire pieces of the fake OpenAI: the error envelope and the real refusals, SSE bodies, list pages.

Shapes follow ../shared/OPENAI_WIRE.md (openai 3.57 with strict validation). Each refusal is the real API's
status, message and code, so the SDK raises what it raises against api.openai.com.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import threading
import time
from typing import Any, BinaryIO


class ResetConnection(Exception):
    """Raised inside a request to drop its connection with a TCP reset instead of answering."""


class FakeError(Exception):
    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type_, code, param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def no_tool_output(call_id: str) -> FakeError:
    """A request on a Conversation that still holds a call without its output."""
    return FakeError(400, f"No tool output found for function call {call_id}.", param="input")


def no_tool_call(call_id: str) -> FakeError:
    """A function_call_output for a call the conversation never made."""
    return FakeError(400, f"No tool call found for function call output with call_id {call_id}.", param="input")


def conversation_locked() -> FakeError:
    """A request arriving while a response on the same conversation is still in progress."""
    return FakeError(400, "Another process is currently operating on this conversation. Please retry in a few "
                     "seconds.", code="conversation_locked")


def too_many_items(count: int, limit: int = 20) -> FakeError:
    return FakeError(400, f"Invalid 'items': array too long. Expected an array with maximum length {limit}, but "
                     f"got an array with length {count} instead.", param="items", code="array_above_max_length")


def server_error(status: int = 500) -> FakeError:
    message = ("The server had an error while processing your request. Sorry about that!"
               if status == 500 else "The engine is currently overloaded, please try again later")
    return FakeError(status, message, "server_error", None, headers={"retry-after-ms": "10"})


class SSE(list):
    """A streamed body: (event name or None, data) frames, sent as text/event-stream."""


class StreamFaults:
    """A fault inside the next `count` streamed bodies that reach `after` events (then none, so a retry
    succeeds): "reset" drops the connection with a TCP reset, "stall" sends nothing more for the fake's
    `slow_seconds`, "error" sends the API's `error` event and ends the stream, "close" just ends it (no final
    event). `fired` counts the faults that happened, so a test can tell a fault from a body too short for it."""

    def __init__(self) -> None:
        self.kind: str | None = None
        self.after = self.count = self.fired = 0
        self._lock = threading.Lock()

    def set(self, kind: str, after: int, count: int = 1) -> None:
        with self._lock:
            self.kind, self.after, self.count, self.fired = kind, after, count, 0

    def take(self) -> tuple[str, int] | None:
        """The fault a body starting now should carry, if any (used up only by fire())."""
        with self._lock:
            return None if self.kind is None or self.count <= 0 else (self.kind, self.after)

    def fire(self) -> None:
        with self._lock:
            self.count -= 1
            self.fired += 1


def fault_stream(connection: socket.socket, out: BinaryIO, kind: str, sent: int, stall: float) -> None:
    if kind == "reset":
        # Closed here, at once: the server's own close would send a FIN first, which ends a body without a length
        # cleanly, and the client would see a short stream instead of a reset.
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        os.close(connection.detach())
    elif kind == "stall":
        time.sleep(stall)
    elif kind == "error":
        error = {"type": "error", "code": "server_error", "param": None, "sequence_number": sent,
                 "message": "The server had an error while processing your request."}
        out.write(f"event: error\ndata: {json.dumps(error)}\n\n".encode())
        out.flush()


def _pieces(text: str, size: int = 16) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def responses_sse(response: dict[str, Any]) -> SSE:
    """The event sequence the Responses API streams for `response` (OPENAI_WIRE.md 1.6)."""
    events = SSE()

    def emit(kind: str, **fields: Any) -> None:
        events.append((kind, {"type": kind, "sequence_number": len(events), **fields}))

    started = {**response, "status": "in_progress", "output": [], "usage": None, "completed_at": None}
    emit("response.created", response=started)
    emit("response.in_progress", response=started)
    for index, item in enumerate(response["output"]):
        if item["type"] == "function_call":
            emit("response.output_item.added", output_index=index,
                 item={**item, "arguments": "", "status": "in_progress"})
            for piece in _pieces(item["arguments"]):
                emit("response.function_call_arguments.delta", item_id=item["id"], output_index=index, delta=piece)
            emit("response.function_call_arguments.done", item_id=item["id"], output_index=index,
                 name=item["name"], arguments=item["arguments"])
        elif item["type"] == "reasoning":
            emit("response.output_item.added", output_index=index, item=item)
        else:
            emit("response.output_item.added", output_index=index,
                 item={**item, "status": "in_progress", "content": []})
            for content_index, part in enumerate(item["content"]):
                ids = {"item_id": item["id"], "output_index": index, "content_index": content_index}
                emit("response.content_part.added", **ids, part={**part, "text": ""})
                for piece in _pieces(part["text"]):
                    emit("response.output_text.delta", **ids, delta=piece, logprobs=[])
                emit("response.output_text.done", **ids, text=part["text"], logprobs=[])
                emit("response.content_part.done", **ids, part=part)
        emit("response.output_item.done", output_index=index, item=item)
    final = {"completed": "response.completed", "incomplete": "response.incomplete"}.get(response["status"],
                                                                                         "response.failed")
    emit(final, response=response)
    return events


def chat_sse(completion: dict[str, Any], include_usage: bool) -> SSE:
    """The chunks Chat Completions streams for `completion` (OPENAI_WIRE.md 4), ending with [DONE]."""
    head = {k: completion[k] for k in ("id", "model", "created", "system_fingerprint")}
    choice, message = completion["choices"][0], completion["choices"][0]["message"]
    events = SSE()

    def chunk(delta: dict[str, Any], finish: str | None = None) -> None:
        events.append((None, {**head, "object": "chat.completion.chunk", "choices": [
            {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}))

    chunk({"role": "assistant", "content": None, "refusal": None})
    for piece in _pieces(message["content"]) if message.get("content") else []:
        chunk({"content": piece})
    for index, call in enumerate(message.get("tool_calls") or []):
        chunk({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                               "function": {"name": call["function"]["name"], "arguments": ""}}]})
        for piece in _pieces(call["function"]["arguments"]):
            chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    chunk({}, choice["finish_reason"])
    if include_usage:
        events.append((None, {**head, "object": "chat.completion.chunk", "choices": [],
                              "usage": completion["usage"]}))
    events.append((None, "[DONE]"))
    return events


def page(items: list[dict[str, Any]], query: dict[str, str], default_order: str) -> dict[str, Any]:
    ordered = list(items) if query.get("order", default_order) == "asc" else list(reversed(items))
    if query.get("after"):
        ids = [i.get("id") for i in ordered]
        ordered = ordered[ids.index(query["after"]) + 1:] if query["after"] in ids else []
    limit = int(query.get("limit", "20"))
    page = ordered[:limit]
    return {"object": "list", "data": page, "first_id": page[0].get("id") if page else None,
            "last_id": page[-1].get("id") if page else None, "has_more": len(ordered) > limit}
