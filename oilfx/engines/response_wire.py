"""Responses API rounds read as plain JSON, typing only what the engine uses.

The SDK builds a pydantic model for the whole response and, when streaming, for every SSE event (about 44 a
turn): most of the bot's CPU per turn went there (bench/cpu_profile.py), for objects we read five fields of. Here the
request still goes through the SDK (its auth, headers, status errors, timeouts), but its body is read through the
raw response: JSON parsed once with orjson, events decoded by the SDK's own SSE decoder, and only the events the
engine acts on looked at. Transport failures mid-stream leave as the SDK's own exceptions (APITimeoutError,
APIConnectionError), so retry.stateful and openai_errors treat them exactly as before.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import openai
import orjson
from openai._streaming import SSEDecoder  # the SDK's decoder (no public name); its Stream uses the same

from oilfx.engines.base import EngineError
from oilfx.i18n import lazy

Json = dict[str, Any]
FINAL_EVENTS = ("response.completed", "response.incomplete", "response.failed")
# The events the engine acts on; every other event is skipped without parsing its JSON.
WANTED = frozenset({"response.output_text.delta", "response.output_item.added", "error", *FINAL_EVENTS})


def new_conversation(client: openai.OpenAI, body: Json) -> str:
    """A new Conversation's id (one per Slack thread: its first turn pays for this request)."""
    raw = client.conversations.with_raw_response.create(extra_body=body)
    return str(_loads(raw.http_response.content)["id"])


def create(client: openai.OpenAI, body: Json) -> Json:
    """One non-streamed round: the response object as a dict."""
    raw = client.responses.with_raw_response.create(extra_body=body)
    return _loads(raw.http_response.content)


def stream(client: openai.OpenAI, body: Json, on_text: Callable[[str], None]) -> Json:
    """One streamed round: final-phase text deltas go to `on_text`; the final response object as a dict."""
    response: Json | None = None
    commentary: set[str] = set()
    with client.responses.with_streaming_response.create(stream=True, extra_body=body) as raw:
        for kind, data in _events(raw.http_response):
            if kind == "response.output_text.delta":
                if data.get("item_id") not in commentary:
                    on_text(data["delta"])
            elif kind == "response.output_item.added":
                item = data.get("item") or {}
                if item.get("phase") == "commentary":   # a newer model's preamble before tool calls
                    commentary.add(item.get("id"))
            elif kind in FINAL_EVENTS:
                response = data["response"]
            elif kind == "error":
                raise EngineError(lazy("The response stream failed ({code}: {message}).", code=data.get("code"),
                                       message=data.get("message")))
    if response is None:
        raise EngineError(lazy("The response stream ended before the response was complete; try again."))
    return response


def _events(http: httpx2.Response) -> Iterator[tuple[str, Json]]:
    """(type, data) of each event. JSON is parsed only for events whose name we act on: the deltas of tool
    arguments, content parts and `*.done` repeats are skipped unread."""
    try:
        for sse in SSEDecoder().iter_bytes(http.iter_bytes()):
            if sse.data.startswith("[DONE]"):
                return
            name = sse.event
            if name is not None and name not in WANTED:
                continue
            data = _loads(sse.data)
            if isinstance(data, dict) and isinstance(data.get("error"), dict) and name != "error":
                # As the SDK's Stream does: a frame carrying an error object (e.g. a proxy's) is an API error.
                message = data["error"].get("message")
                raise openai.APIError(message if isinstance(message, str) and message else
                                      "An error occurred during streaming", http.request, body=data["error"])
            if name is not None:
                yield name, data
            elif isinstance(data, dict) and data.get("type") in WANTED:   # an unnamed frame: its type says
                yield data["type"], data
    except httpx2.TimeoutException as e:
        raise openai.APITimeoutError(request=http.request) from e
    except (httpx2.RequestError, ssl.SSLError) as e:
        raise openai.APIConnectionError(request=http.request) from e


def _loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # orjson refuses a lone UTF-16 surrogate escape (\\ud83d), which a model's cut-off emoji can leave and
        # the standard library, like the SDK, accepts.
        return json.loads(text)

