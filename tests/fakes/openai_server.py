"""A loopback fake of the OpenAI API that the real `openai` SDK accepts (strict validation included).

Wire shapes follow ../shared/OPENAI_WIRE.md (read from openai 3.57 and verified with strict validation):
  POST /v1/responses                      Responses, with `conversation` or `previous_response_id`
  /v1/conversations[/{id}[/items]]        Conversations create/retrieve/delete, items list/create
  /v1/assistants, /v1/threads, .../messages, .../runs (+ GET poll, submit_tool_outputs, cancel, steps)
  POST /v1/chat/completions               Chat Completions with tools
  Responses and Chat Completions stream (SSE) when the request says `stream: true`.
Every response has `x-request-id`; run GETs carry `openai-poll-after-ms`; errors use the real envelope
{"error": {"message", "type", "param", "code"}}.

The "model" is a script over the conversation the server holds (see `script`):
  round 1: oil_price + usd_krw in parallel; round 2: oil_price_krw(benchmark, unit) read from the question;
  round 3: an answer quoting oil_price_krw's `display`, `formula` and `sources`. A tool error -> an answer saying
  the data is unavailable, repeating the error.

Misbehaviours: set `fake.mode` (for every request) or put "[fake:<mode>]" in the user's text:
  429            first attempt of each model round answers 429 (retry-after-ms 10), the retry succeeds
  500, 503       every model round fails with that status; 500_after_tools: only rounds that carry tool outputs
  failed, expired, cancelled, incomplete   the run/response ends with that status (chat: 500 / finish "length")
  stuck          assistants: the run stays in_progress; responses/chat: the round sleeps `stuck_seconds`
  unknown_tool   round 1 calls a tool that does not exist; bad_json: arguments that are not JSON;
  bad_args       oil_price_krw with arguments violating the schema; loop: calls tools forever
  slow           each model round sleeps `slow_seconds`; evil: the answer carries Slack mentions and a link
  reset          every model round's connection is closed with a TCP reset, no response
  invent         the answer quotes won figures no tool produced (INVENTED), with or without tool errors
  long           the answer is padded with numbered paragraphs to LONG_ANSWER characters (Slack message limits)
`fake.latency` (seconds) is added to every model round (benchmarks). `fake.requests` records every request.
`fake.async_runs = True`: an Assistants run spends `latency` queued/in_progress, as the real API does (runs.create
and submit_tool_outputs answer at once; polls see the run active until then), instead of inside the HTTP call.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.fakes.httpd import LoopbackHTTPServer

EVIL = "<!channel> <@U123> <https://evil.example|click>"
INVENTED = ("₩98,436", "98,436.89원")  # the seed model's wrong product of 76.41 x 1,289.00
LONG_ANSWER = 10_000
MARKER = re.compile(r"\[fake:([a-z0-9_]+)\]")
RUN_ACTIVE = {"queued", "in_progress", "requires_action", "cancelling"}
BENCHMARK_WORDS = {"wti": "WTI", "서부텍사스": "WTI", "brent": "Brent", "브렌트": "Brent", "dubai": "Dubai",
                   "두바이": "Dubai"}


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


# ---------------------------------------------------------------- the scripted "model"

def question_params(question: str) -> tuple[str, str]:
    q = question.lower()
    benchmark = "WTI"
    positions = [(q.find(w), b) for w, b in BENCHMARK_WORDS.items() if w in q]
    if positions:
        benchmark = min(positions)[1]
    unit = "litre" if any(w in q for w in ("리터", "litre", "liter", "per l ")) else "barrel"
    return benchmark, unit


def script(events: list[dict[str, Any]], mode: str | None) -> tuple[str, Any]:
    """("calls", [(name, arguments)]) or ("text", answer) for the turn that starts at the last user message."""
    users = [i for i, e in enumerate(events) if e["kind"] == "user"]
    start = users[-1] if users else 0
    question = events[start]["text"] if users else ""
    turn = events[start + 1:]
    calls = [e for e in turn if e["kind"] == "call"]
    outputs = {e["call_id"]: e["output"] for e in turn if e["kind"] == "output"}
    if mode == "loop":
        return "calls", [("oil_price", "{}")]
    if not calls:
        if mode == "unknown_tool":
            return "calls", [("oil_price", "{}"), ("get_weather", '{"city":"Seoul"}')]
        if mode == "bad_json":
            return "calls", [("oil_price", "{benchmark: WTI"), ("usd_krw", "{}")]
        return "calls", [("oil_price", "{}"), ("usd_krw", "{}")]
    korean = bool(re.search(r"[가-힣]", question))
    for output in outputs.values():
        parsed = _json_or_none(output)
        if isinstance(parsed, dict) and "error" in parsed:
            if mode == "invent":
                return "text", f"WTI is about {INVENTED[0]} per barrel ({INVENTED[1]}), from my own estimate."
            if korean:
                return "text", f"죄송합니다. 지금은 데이터를 가져올 수 없습니다: {parsed['error']}"
            return "text", f"Sorry, the data is unavailable right now: {parsed['error']}"
    krw_calls = [c for c in calls if c["name"] == "oil_price_krw"]
    if not krw_calls:
        benchmark, unit = question_params(question)
        if mode == "bad_args":
            return "calls", [("oil_price_krw", json.dumps({"benchmark": "Gold", "unit": "barrel"}))]
        return "calls", [("oil_price_krw", json.dumps({"benchmark": benchmark, "unit": unit}))]
    result = _json_or_none(outputs.get(krw_calls[-1]["call_id"], "")) or {}
    sources = "; ".join(f"{s['label']}: {s['source']} ({s['as_of']})" for s in result.get("sources", []))
    if korean:
        unit_word = "리터당" if result.get("unit") == "litre" else "배럴당"
        text = (f"{result.get('benchmark')}는 {unit_word} {result.get('display')}입니다 "
                f"(계산: {result.get('formula')}). 원유 가격은 전 거래일 결제가입니다. 출처: {sources}")
    else:
        unit_word = "per litre" if result.get("unit") == "litre" else "per barrel"
        text = (f"{result.get('benchmark')} is {result.get('display')} {unit_word} ({result.get('formula')}). "
                f"Crude is the previous trading day's settlement. Sources: {sources}")
    if mode == "evil":
        text += f" {EVIL}"
    if mode == "invent":
        text += f" Earlier today it was {INVENTED[0]} ({INVENTED[1]})."
    if mode == "long":
        paragraphs = [text]
        while sum(len(p) + 2 for p in paragraphs) < LONG_ANSWER:
            paragraphs.append(f"Note {len(paragraphs)}: crude benchmarks settle once per trading day, so this "
                              "figure holds until the next settlement is published by the source.")
        text = "\n\n".join(paragraphs)[:LONG_ANSWER - 3] + " ok"
    return "text", text


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def _tokens(events: list[dict[str, Any]]) -> int:
    return max(1, sum(len(json.dumps(e, ensure_ascii=False)) for e in events) // 4)


# ---------------------------------------------------------------- the server

class FakeOpenAI:
    def __init__(self) -> None:
        self.mode: str | None = None
        self.latency = 0.0
        self.slow_seconds = 1.0
        self.stuck_seconds = 30.0
        self.poll_after_ms = 5
        self.async_runs = False
        self.requests: list[dict[str, Any]] = []
        self.conversations: dict[str, dict[str, Any]] = {}
        self.responses: dict[str, dict[str, Any]] = {}
        self.assistants: dict[str, dict[str, Any]] = {}
        self.threads: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()
        self._counter = 0
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle
    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                # headers and body go out in two writes: without this, Nagle + delayed ACK add ~40 ms a request
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    status, headers, body = fake.handle(method, self.path, dict(self.headers.items()), raw)
                except ResetConnection:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return
                if isinstance(body, SSE):
                    self._stream(body)
                    return
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("x-request-id", f"req_{uuid.uuid4().hex[:16]}")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, events: SSE) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.send_header("x-request-id", f"req_{uuid.uuid4().hex[:16]}")
                self.end_headers()
                self.close_connection = True
                for event, data in events:
                    frame = f"event: {event}\n" if event else ""
                    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
                    self.wfile.write(f"{frame}data: {payload}\n\n".encode())
                    self.wfile.flush()

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_DELETE(self) -> None:
                self._serve("DELETE")

        self._server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True, name="fake-openai").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def env(self) -> dict[str, str]:
        return {"OPENAI_API_KEY": "sk-fake-test-key-0000", "OPENAI_BASE_URL": self.base_url}

    def paths(self, method: str | None = None) -> list[str]:
        return [r["path"] for r in self.requests if method is None or r["method"] == method]

    # -- dispatch
    def _id(self, prefix: str) -> str:
        with self._lock:
            self._counter += 1
            return f"{prefix}_{self._counter:04d}{uuid.uuid4().hex[:6]}"

    def handle(self, method: str, raw_path: str, headers: dict[str, str], raw: bytes
               ) -> tuple[int, dict[str, str], dict[str, Any]]:
        url = urlparse(raw_path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        lower = {k.lower(): v for k, v in headers.items()}
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        with self._lock:
            self.requests.append({"method": method, "path": url.path, "query": query, "headers": lower,
                                  "body": body})
        try:
            if body is None:
                raise FakeError(400, "We could not parse the JSON body of your request.")
            if not lower.get("authorization", "").startswith("Bearer "):
                raise FakeError(401, "You didn't provide an API key.", code="missing_api_key")
            return self._route(method, url.path, query, lower, body)
        except FakeError as e:
            return e.status, e.headers, e.body()

    def _route(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
               body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        parts = path.strip("/").split("/")
        if parts[:1] != ["v1"]:
            raise FakeError(404, f"Invalid URL ({method} {path})")
        p = parts[1:]
        ok: dict[str, str] = {}
        if p == ["responses"] and method == "POST":
            return 200, ok, self._responses_create(body, headers)
        if p[:1] == ["conversations"]:
            return 200, ok, self._conversations(method, p[1:], query, body)
        if p == ["chat", "completions"] and method == "POST":
            return 200, ok, self._chat(body, headers)
        if p[:1] == ["assistants"]:
            if headers.get("openai-beta") != "assistants=v2":
                raise FakeError(400, "You must provide the 'OpenAI-Beta' header to access the Assistants API.")
            return 200, ok, self._assistants(method, p[1:], body)
        if p[:1] == ["threads"]:
            if headers.get("openai-beta") != "assistants=v2":
                raise FakeError(400, "You must provide the 'OpenAI-Beta' header to access the Assistants API.")
            return self._threads(method, p[1:], query, headers, body)
        raise FakeError(404, f"Invalid URL ({method} {path})")

    # -- shared model-round behaviour
    def _mode(self, events: list[dict[str, Any]]) -> str | None:
        if self.mode:
            return self.mode
        users = [e["text"] for e in events if e["kind"] == "user"]
        found = MARKER.search(users[-1]) if users else None
        return found.group(1) if found else None

    def _model_round(self, mode: str | None, headers: dict[str, str], assistants: bool = False,
                     after_tools: bool = False) -> None:
        """HTTP-level misbehaviour and latency of one model round (assistants get stuck in the run instead)."""
        if self.latency and not (assistants and self.async_runs):
            time.sleep(self.latency)
        if mode == "slow":
            time.sleep(self.slow_seconds)
        if mode == "stuck" and not assistants:
            time.sleep(self.stuck_seconds)
        if mode == "reset":
            raise ResetConnection
        if mode == "429" and headers.get("x-stainless-retry-count", "0") == "0":
            raise FakeError(429, "Rate limit reached for gpt-test on requests per min (RPM): Limit 3, Used 3, "
                            "Requested 1. Please try again in 10ms.", "requests", "rate_limit_exceeded",
                            headers={"retry-after-ms": "10"})
        if mode in ("500", "503") or (mode == "500_after_tools" and after_tools):
            status = int(mode[:3])
            message = ("The server had an error while processing your request. Sorry about that!"
                       if status == 500 else "The engine is currently overloaded, please try again later")
            raise FakeError(status, message, "server_error", None, headers={"retry-after-ms": "10"})

    # -- Responses
    @staticmethod
    def _item_events(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
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

    def _responses_create(self, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        conv_ref = body.get("conversation")
        conv_id = conv_ref.get("id") if isinstance(conv_ref, dict) else conv_ref
        if conv_id and body.get("previous_response_id"):
            raise FakeError(400, "Cannot use 'previous_response_id' together with 'conversation'.",
                            param="previous_response_id")
        new_items = self._normalise_input(body.get("input"))
        with self._lock:
            if conv_id:
                if conv_id not in self.conversations:
                    raise FakeError(404, f"Conversation with id '{conv_id}' not found.", param="conversation")
                history = list(self.conversations[conv_id]["items"])
            elif body.get("previous_response_id"):
                prev = self.responses.get(body["previous_response_id"])
                if prev is None:
                    raise FakeError(404, f"Previous response with id '{body['previous_response_id']}' not found.",
                                    param="previous_response_id")
                history = list(prev["transcript"])
            else:
                history = []
        pending = {i["call_id"] for i in history if i["type"] == "function_call"} - {
            i["call_id"] for i in history + new_items if i["type"] == "function_call_output"}
        if pending:
            raise FakeError(400, f"No tool output found for function call {sorted(pending)[0]}.", param="input")
        transcript = history + new_items
        events = self._item_events(transcript)
        mode = self._mode(events)
        self._model_round(mode, headers, after_tools=any(i["type"] == "function_call_output" for i in new_items))
        rid = self._id("resp")
        status, error, incomplete, output = "completed", None, None, []
        if mode in ("failed", "expired", "cancelled"):
            status = "failed" if mode != "cancelled" else "cancelled"
            error = {"code": "server_error", "message": "The model failed to generate a response (fake)."}
        elif mode == "incomplete":
            status, incomplete = "incomplete", {"reason": "max_output_tokens"}
        else:
            kind, decision = script(events, mode)
            if kind == "calls":
                for name, arguments in decision:
                    output.append({"type": "function_call", "id": self._id("fc"), "call_id": self._id("call"),
                                   "name": name, "arguments": arguments, "status": "completed"})
            else:
                output.append({"type": "message", "id": self._id("msg"), "status": "completed",
                               "role": "assistant",
                               "content": [{"type": "output_text", "text": decision, "annotations": [],
                                            "logprobs": []}]})
        in_tokens, out_tokens = _tokens(events), _tokens(self._item_events(output)) if output else 0
        now = int(time.time())
        response = {
            "id": rid, "object": "response", "created_at": now, "status": status, "background": False,
            "completed_at": now if status == "completed" else None, "error": error,
            "incomplete_details": incomplete, "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"), "model": body.get("model", "gpt-test"),
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "previous_response_id": body.get("previous_response_id"),
            "conversation": {"id": conv_id} if conv_id else None, "temperature": 1.0, "top_p": 1.0,
            "tool_choice": body.get("tool_choice", "auto"), "truncation": "disabled",
            "tools": body.get("tools", []), "metadata": body.get("metadata") or {}, "store": True,
            "text": {"format": {"type": "text"}}, "output": output,
            "usage": {"input_tokens": in_tokens, "input_tokens_details": {"cached_tokens": 0,
                                                                          "cache_write_tokens": 0},
                      "output_tokens": out_tokens, "output_tokens_details": {"reasoning_tokens": 0},
                      "total_tokens": in_tokens + out_tokens},
        }
        with self._lock:
            self.responses[rid] = {"response": response, "transcript": transcript + output}
            if conv_id and status == "completed":
                self.conversations[conv_id]["items"].extend(new_items + output)
        return responses_sse(response) if body.get("stream") else response

    # -- Conversations
    def _conversations(self, method: str, p: list[str], query: dict[str, str], body: dict[str, Any]
                       ) -> dict[str, Any]:
        if not p and method == "POST":
            cid = self._id("conv")
            obj = {"id": cid, "object": "conversation", "created_at": int(time.time()),
                   "metadata": body.get("metadata") or {}}
            with self._lock:
                self.conversations[cid] = {"obj": obj, "items": self._normalise_input(body.get("items") or [])}
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
                added = self._normalise_input(body.get("items") or [])
                with self._lock:
                    conv["items"].extend(added)
                return _page(added, {"order": "asc", "limit": "100"}, default_order="asc")
            return _page(conv["items"], query, default_order="desc")
        raise FakeError(404, "Invalid URL")

    # -- Chat Completions
    def _chat(self, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise FakeError(400, "Missing required parameter: 'messages'.", param="messages")
        events: list[dict[str, Any]] = []
        for m in messages:
            role, content = m.get("role"), m.get("content")
            text = content if isinstance(content, str) else "".join(
                c.get("text", "") for c in content or [] if isinstance(c, dict))
            if role == "user":
                events.append({"kind": "user", "text": text})
            elif role == "assistant":
                for call in m.get("tool_calls") or []:
                    events.append({"kind": "call", "call_id": call["id"], "name": call["function"]["name"],
                                   "arguments": call["function"]["arguments"]})
                if text:
                    events.append({"kind": "assistant", "text": text})
            elif role == "tool":
                events.append({"kind": "output", "call_id": m.get("tool_call_id"), "output": text})
        mode = self._mode(events)
        self._model_round(mode, headers, after_tools=messages[-1].get("role") == "tool")
        if mode in ("failed", "expired", "cancelled"):
            raise FakeError(500, "The server had an error while processing your request. Sorry about that!",
                            "server_error", headers={"retry-after-ms": "10"})
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None, "annotations": []}
        if mode == "incomplete":
            finish, message["content"] = "length", ""
        else:
            kind, decision = script(events, mode)
            if kind == "calls":
                finish = "tool_calls"
                message["tool_calls"] = [{"id": self._id("call"), "type": "function",
                                          "function": {"name": n, "arguments": a}} for n, a in decision]
            else:
                finish, message["content"] = "stop", decision
        prompt = _tokens(events)
        completion = max(1, len(json.dumps(message, ensure_ascii=False)) // 4)
        completion = {"id": self._id("chatcmpl"), "object": "chat.completion", "created": int(time.time()),
                "model": body.get("model", "gpt-test"), "service_tier": "default", "system_fingerprint": None,
                "choices": [{"index": 0, "finish_reason": finish, "logprobs": None, "message": message}],
                "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                          "total_tokens": prompt + completion,
                          "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                          "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                        "accepted_prediction_tokens": 0,
                                                        "rejected_prediction_tokens": 0}}}
        if body.get("stream"):
            return chat_sse(completion, bool((body.get("stream_options") or {}).get("include_usage")))
        return completion

    # -- Assistants v2
    def _assistants(self, method: str, p: list[str], body: dict[str, Any]) -> dict[str, Any]:
        if not p and method == "POST":
            if not body.get("model"):
                raise FakeError(400, "Missing required parameter: 'model'.", param="model")
            aid = self._id("asst")
            obj = {"id": aid, "object": "assistant", "created_at": int(time.time()), "model": body["model"],
                   "name": body.get("name"), "description": body.get("description"),
                   "instructions": body.get("instructions"), "tools": body.get("tools", []),
                   "metadata": body.get("metadata") or {}, "temperature": 1.0, "top_p": 1.0,
                   "tool_resources": {}, "response_format": "auto"}
            with self._lock:
                self.assistants[aid] = obj
            return obj
        if p and p[0] in self.assistants:
            if method == "DELETE":
                with self._lock:
                    del self.assistants[p[0]]
                return {"id": p[0], "object": "assistant.deleted", "deleted": True}
            return self.assistants[p[0]]
        raise FakeError(404, f"No assistant found with id '{p[0] if p else ''}'.")

    def _message(self, tid: str, role: str, text: str, run_id: str | None = None,
                 assistant_id: str | None = None) -> dict[str, Any]:
        now = int(time.time())
        return {"id": self._id("msg"), "object": "thread.message", "created_at": now, "thread_id": tid,
                "assistant_id": assistant_id, "run_id": run_id, "role": role, "status": "completed",
                "content": [{"type": "text", "text": {"value": text, "annotations": []}}], "attachments": [],
                "metadata": {}, "completed_at": now, "incomplete_at": None, "incomplete_details": None}

    def _threads(self, method: str, p: list[str], query: dict[str, str], headers: dict[str, str],
                 body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        ok: dict[str, str] = {}
        if not p and method == "POST":
            tid = self._id("thread")
            obj = {"id": tid, "object": "thread", "created_at": int(time.time()),
                   "metadata": body.get("metadata") or {}, "tool_resources": {}}
            thread = {"obj": obj, "messages": [], "events": [], "runs": []}
            for m in body.get("messages") or []:
                thread["messages"].append(self._message(tid, m.get("role", "user"), str(m.get("content", ""))))
                thread["events"].append({"kind": "user", "text": str(m.get("content", ""))})
            with self._lock:
                self.threads[tid] = thread
            return 200, ok, obj
        thread = self.threads.get(p[0]) if p else None
        if thread is None:
            raise FakeError(404, f"No thread found with id '{p[0] if p else ''}'.")
        tid = p[0]
        if len(p) == 1:
            if method == "DELETE":
                with self._lock:
                    del self.threads[tid]
                return 200, ok, {"id": tid, "object": "thread.deleted", "deleted": True}
            return 200, ok, thread["obj"]
        if p[1] == "messages" and len(p) == 2:
            if method == "POST":
                active = [r for r in thread["runs"] if self.runs[r]["obj"]["status"] in RUN_ACTIVE]
                if active:
                    raise FakeError(400, f"Can't add messages to {tid} while a run {active[0]} is active.")
                content = body.get("content", "")
                text = content if isinstance(content, str) else "".join(
                    c.get("text", "") for c in content if isinstance(c, dict))
                msg = self._message(tid, body.get("role", "user"), text)
                with self._lock:
                    thread["messages"].append(msg)
                    thread["events"].append({"kind": "user", "text": text})
                return 200, ok, msg
            msgs = thread["messages"]
            if query.get("run_id"):
                msgs = [m for m in msgs if m["run_id"] == query["run_id"]]
            return 200, ok, _page(msgs, query, default_order="desc")
        if p[1] == "runs":
            return self._runs(method, tid, thread, p[2:], query, headers, body)
        raise FakeError(404, "Invalid URL")

    def _runs(self, method: str, tid: str, thread: dict[str, Any], p: list[str], query: dict[str, str],
              headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        poll = {"openai-poll-after-ms": str(self.poll_after_ms)}
        if not p:
            if method == "GET":
                return 200, {}, _page([self.runs[r]["obj"] for r in thread["runs"]], query, default_order="desc")
            if body.get("stream"):
                raise FakeError(400, "This fake does not stream runs.", param="stream")
            assistant = self.assistants.get(body.get("assistant_id", ""))
            if assistant is None:
                raise FakeError(404, f"No assistant found with id '{body.get('assistant_id')}'.")
            active = [r for r in thread["runs"] if self.runs[r]["obj"]["status"] in RUN_ACTIVE]
            if active:
                raise FakeError(400, f"Thread {tid} already has an active run {active[0]}.")
            mode = self._mode(thread["events"])
            self._model_round(mode, headers, assistants=True)
            rid = self._id("run")
            now = int(time.time())
            obj = {"id": rid, "object": "thread.run", "created_at": now, "assistant_id": assistant["id"],
                   "thread_id": tid, "status": "queued", "started_at": None, "expires_at": now + 600,
                   "cancelled_at": None, "failed_at": None, "completed_at": None, "last_error": None,
                   "model": body.get("model") or assistant["model"],
                   "instructions": body.get("instructions") or assistant["instructions"] or "",
                   "tools": body.get("tools") or assistant["tools"], "required_action": None, "metadata": {},
                   "incomplete_details": None, "usage": None, "temperature": 1.0, "top_p": 1.0,
                   "max_prompt_tokens": None, "max_completion_tokens": None,
                   "truncation_strategy": {"type": "auto", "last_messages": None}, "response_format": "auto",
                   "tool_choice": "auto", "parallel_tool_calls": body.get("parallel_tool_calls", True)}
            with self._lock:
                self.runs[rid] = {"obj": obj, "mode": mode, "steps": [], "pending": [], "ready_at": self._ready_at()}
                thread["runs"].append(rid)
            return 200, poll, obj
        run = self.runs.get(p[0])
        if run is None or run["obj"]["thread_id"] != tid:
            raise FakeError(404, f"No run found with id '{p[0]}'.")
        obj = run["obj"]
        if len(p) == 1:
            with self._lock:
                if obj["status"] in ("queued", "in_progress") and time.monotonic() < run["ready_at"]:
                    obj["status"] = "in_progress"
                elif obj["status"] in ("queued", "in_progress"):
                    self._advance(run, thread)
            return 200, poll, obj
        action = p[1]
        if action == "submit_tool_outputs":
            # before any change, so that the SDK's retry of a 429 finds the run as it was
            self._model_round(run["mode"], headers, assistants=True, after_tools=True)
            with self._lock:
                if obj["status"] != "requires_action":
                    raise FakeError(400, f"Runs in status \"{obj['status']}\" do not accept tool outputs.")
                given = {o.get("tool_call_id"): o.get("output", "") for o in body.get("tool_outputs", [])}
                missing = [c for c in run["pending"] if c not in given]
                if missing:
                    raise FakeError(400, f"Expected tool outputs for call_ids {run['pending']}, got {list(given)}.",
                                    param="tool_outputs")
                step = run["steps"][-1]
                for call in step["step_details"]["tool_calls"]:
                    call["function"]["output"] = given[call["id"]]
                    thread["events"].append({"kind": "output", "call_id": call["id"], "output": given[call["id"]]})
                step["status"], step["completed_at"] = "completed", int(time.time())
                run["pending"] = []
                obj["status"], obj["required_action"] = "queued", None
                run["ready_at"] = self._ready_at()
            return 200, poll, obj
        if action == "cancel":
            with self._lock:
                if obj["status"] not in RUN_ACTIVE:
                    raise FakeError(400, f"Cannot cancel run with status '{obj['status']}'.")
                obj["status"], obj["cancelled_at"], obj["required_action"] = "cancelled", int(time.time()), None
            return 200, poll, obj
        if action == "steps" and method == "GET":
            return 200, {}, _page(run["steps"], query, default_order="desc")
        raise FakeError(404, "Invalid URL")

    def _ready_at(self) -> float:
        """When an Assistants run's model round is over (async_runs); 0: at the first poll."""
        return time.monotonic() + self.latency if self.async_runs else 0.0

    def _advance(self, run: dict[str, Any], thread: dict[str, Any]) -> None:
        """One poll of a queued/in_progress run: it moves to its next resting status (the fake thinks fast)."""
        obj, mode, now = run["obj"], run["mode"], int(time.time())
        obj["started_at"] = obj["started_at"] or now
        if mode == "stuck":
            obj["status"] = "in_progress"
            return
        if mode in ("failed", "expired", "cancelled", "incomplete"):
            obj["status"] = mode
            if mode == "failed":
                obj["failed_at"] = now
                obj["last_error"] = {"code": "server_error", "message": "Sorry, something went wrong (fake)."}
            elif mode == "incomplete":
                obj["incomplete_details"] = {"reason": "max_completion_tokens"}
            elif mode == "cancelled":
                obj["cancelled_at"] = now
            return
        kind, decision = script(thread["events"], mode)
        usage = {"prompt_tokens": _tokens(thread["events"]), "completion_tokens": 20,
                 "total_tokens": _tokens(thread["events"]) + 20}
        base = {"object": "thread.run.step", "created_at": now, "assistant_id": obj["assistant_id"],
                "thread_id": obj["thread_id"], "run_id": obj["id"], "cancelled_at": None, "expired_at": None,
                "failed_at": None, "last_error": None, "metadata": None, "usage": usage}
        if kind == "calls":
            calls = [{"id": self._id("call"), "type": "function",
                      "function": {"name": n, "arguments": a, "output": None}} for n, a in decision]
            for c in calls:
                thread["events"].append({"kind": "call", "call_id": c["id"], "name": c["function"]["name"],
                                         "arguments": c["function"]["arguments"]})
            run["steps"].append({**base, "id": self._id("step"), "status": "in_progress", "type": "tool_calls",
                                 "completed_at": None, "step_details": {"type": "tool_calls", "tool_calls": calls}})
            run["pending"] = [c["id"] for c in calls]
            obj["status"] = "requires_action"
            obj["required_action"] = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [
                {"id": c["id"], "type": "function",
                 "function": {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}}
                for c in calls]}}
            return
        msg = self._message(obj["thread_id"], "assistant", decision, obj["id"], obj["assistant_id"])
        thread["messages"].append(msg)
        thread["events"].append({"kind": "assistant", "text": decision})
        run["steps"].append({**base, "id": self._id("step"), "status": "completed", "type": "message_creation",
                             "completed_at": now, "step_details": {"type": "message_creation",
                                                                   "message_creation": {"message_id": msg["id"]}}})
        total = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        for step in run["steps"]:
            for k in total:
                total[k] += step["usage"][k]
        obj["status"], obj["completed_at"], obj["usage"] = "completed", now, total


class SSE(list):
    """A streamed body: (event name or None, data) frames, sent as text/event-stream."""


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


def _page(items: list[dict[str, Any]], query: dict[str, str], default_order: str) -> dict[str, Any]:
    ordered = list(items) if query.get("order", default_order) == "asc" else list(reversed(items))
    if query.get("after"):
        ids = [i.get("id") for i in ordered]
        ordered = ordered[ids.index(query["after"]) + 1:] if query["after"] in ids else []
    limit = int(query.get("limit", "20"))
    page = ordered[:limit]
    return {"object": "list", "data": page, "first_id": page[0].get("id") if page else None,
            "last_id": page[-1].get("id") if page else None, "has_more": len(ordered) > limit}


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A started FakeOpenAI; `fake_openai.env()` gives OPENAI_API_KEY/OPENAI_BASE_URL for it."""
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()
