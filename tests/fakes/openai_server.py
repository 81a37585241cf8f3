"""A loopback fake of the OpenAI API that the real `openai` SDK accepts (strict validation included).

Wire shapes follow ../shared/OPENAI_WIRE.md (read from openai 3.57 and verified with strict validation):
  POST /v1/responses                      Responses, with `conversation` or `previous_response_id`
  /v1/conversations[/{id}[/items]]        Conversations create/retrieve/delete, items list/create
  /v1/assistants, /v1/threads, .../messages, .../runs (+ GET poll, submit_tool_outputs, cancel, steps)
  POST /v1/chat/completions               Chat Completions with tools
  Responses and Chat Completions stream (SSE) when the request says `stream: true`.
Every response has `x-request-id`; run GETs carry `openai-poll-after-ms`; errors use the real envelope
{"error": {"message", "type", "param", "code"}} with the real refusals (openai_wire.py). The parts:
openai_script.py (the "model"), openai_responses.py (Responses + Conversations), openai_assistants.py.

Misbehaviours: a test sets a Script (openai_script.py) on the fake: `fake.script = Script.misbehave("<mode>")` for
every request from then on, or `with fake.scripted(Script.misbehave("<mode>")):` for a block (module-scoped fakes):
  429            the first attempt of each distinct request answers 429 (retry-after-ms 10), a resend succeeds
  500, 503       every model round fails with that status; 500_after_tools: only rounds that carry tool outputs
  failed, expired, cancelled, incomplete   the run/response ends with that status (chat: 500 / finish "length")
  length         the answer is cut off at half its length: `incomplete` (max_output_tokens) / finish "length"
  reasoning      Responses: a reasoning item first; reasoning tokens in the usage (chat too)
  commentary     Responses: a commentary-phase message before the calls and the final_answer message
  late           Responses: the first round on a conversation is done on the server, then answers after
                 `late_seconds` (a client timeout whose retry would find that round's calls)
  stuck          assistants: the run stays in_progress; responses/chat: the round sleeps `stuck_seconds`
  bad_json: arguments that are not JSON; bad_args: oil_price_krw with arguments violating the schema;
  loop: calls tools forever; slow: each model round sleeps `slow_seconds`; evil: Slack mentions and a link
  reset          every model round's connection is closed with a TCP reset, no response
  invent         the answer quotes won figures no tool produced (INVENTED), with or without tool errors
  long           the answer is padded with numbered paragraphs to LONG_ANSWER characters (Slack message limits)
  huge           the same to HUGE_ANSWER characters (raise OILFX_MAX_OUTPUT_TOKENS to let it through)
  surrogate      the answer ends with a lone UTF-16 surrogate, sent as the JSON escape \\ud83d
Server-wide switches: `outage = True`: rounds carrying tool outputs, items.create, submit_tool_outputs and run
cancels answer 500 (an outage starting after the model asked for tools); `conversations_api = False`: no
/v1/conversations (404 "File Not Found", llama.cpp); `keeps_conversations = False`: `conversation` is ignored
and the response names none (LiteLLM's /v1/responses); `context_window` (tokens): a longer Conversation is
refused with context_length_exceeded unless the request says `truncation: "auto"`.
`forget_all()`: a new API key (another project): every conversation, thread and assistant made so far answers
404 as the real API does for one it never made or deleted (DELETE /v1/conversations/{id} deletes one).
`fake.latency` (seconds) is added to every model round (benchmarks). `fake.requests` records every request (a
refused one with its error under "refused").
`fake.async_runs = True`: an Assistants run spends `latency` queued/in_progress, as the real API does (runs.create
and submit_tool_outputs answer at once; polls see the run active until then), instead of inside the HTTP call.
"""

from __future__ import annotations

import hashlib
import json
import socket
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.fakes.httpd import LoopbackHTTPServer
from tests.fakes.openai_assistants import AssistantsFake
from tests.fakes.openai_chat import ChatFake
from tests.fakes.openai_responses import ResponsesFake
from tests.fakes.openai_script import (
    DEFAULT,
    EVIL,
    INVENTED,
    LONG_ANSWER,
    Misbehaviour,
    Script,
    question_params,
    script,
)
from tests.fakes.openai_wire import SSE, FakeError, ResetConnection, StreamFaults, fault_stream, server_error

__all__ = ["EVIL", "INVENTED", "LONG_ANSWER", "FakeError", "FakeOpenAI", "Misbehaviour", "Script", "fake_openai",
           "question_params", "script"]


class FakeOpenAI(ResponsesFake, AssistantsFake, ChatFake):
    def __init__(self) -> None:
        self.script: Script = DEFAULT
        self.latency = 0.0
        self.slow_seconds = 1.0
        self.stuck_seconds = 30.0
        self.late_seconds = 2.0
        self.poll_after_ms = 5
        self.async_runs = False
        self.outage = False
        self.conversations_api = True
        self.keeps_conversations = True
        self.context_window = 400_000   # tokens (as the fake counts them) a round may see
        self.stream_faults = StreamFaults()   # a reset, stall or `error` event inside the next streamed bodies
        self.requests: list[dict[str, Any]] = []
        # Scripted answers, one per turn, taken in order (openai_script._scripted): a text replaces the script's
        # answer after its real tool calls; `(calls, text)` makes those calls (any names) first.
        self.answers: deque[Any] = deque()
        self.conversations: dict[str, dict[str, Any]] = {}
        self.responses: dict[str, dict[str, Any]] = {}
        self.assistants: dict[str, dict[str, Any]] = {}
        self.threads: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        self.late_done: set[str] = set()
        self._rate_limited: set[str] = set()
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
                data = json.dumps(body, ensure_ascii=False).encode("utf-8", "backslashreplace")  # surrogate -> \ud83d
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
                fault = fake.stream_faults.take()
                for sent, (event, data) in enumerate(events):
                    if fault and sent == fault[1]:
                        fake.stream_faults.fire()
                        fault_stream(self.connection, self.wfile, fault[0], sent, fake.slow_seconds)
                        return
                    frame = f"event: {event}\n" if event else ""
                    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
                    self.wfile.write(f"{frame}data: {payload}\n\n".encode("utf-8", "backslashreplace"))
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

    @contextmanager
    def scripted(self, script: Script) -> Iterator[FakeOpenAI]:
        """Run a block under `script`, then back to the default: for module-scoped fakes other tests share."""
        self.script = script
        try:
            yield self
        finally:
            self.script = DEFAULT

    def forget_all(self) -> None:
        with self._lock:
            for made in (self.conversations, self.threads, self.assistants):
                made.clear()

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
        record = {"method": method, "path": url.path, "query": query, "headers": lower, "body": body}
        with self._lock:
            self.requests.append(record)
        try:
            if body is None:
                raise FakeError(400, "We could not parse the JSON body of your request.")
            if not lower.get("authorization", "").startswith("Bearer "):
                raise FakeError(401, "You didn't provide an API key.", code="missing_api_key")
            return self._route(method, url.path, query, lower, body)
        except FakeError as e:
            record["refused"] = e.body()["error"]   # what the tests check the engine met and got past
            return e.status, e.headers, e.body()

    def _route(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
               body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        parts = path.strip("/").split("/")
        if parts[:1] != ["v1"]:
            raise FakeError(404, f"Invalid URL ({method} {path})")
        p = parts[1:]
        ok: dict[str, str] = {}
        if p[:1] == ["conversations"] and not self.conversations_api:
            # llama.cpp's answer for a route it does not have
            raise FakeError(404, "File Not Found", "not_found_error")
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
        """The misbehaviour of a model round over `events`: the test's script, whatever the question says."""
        return self.script.mode

    def _model_round(self, mode: str | None, headers: dict[str, str], body: Any, assistants: bool = False,
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
        if mode == "429":
            digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
            with self._lock:
                first = digest not in self._rate_limited
                self._rate_limited.add(digest)
            if first:
                raise FakeError(429, "Rate limit reached for gpt-test on requests per min (RPM): Limit 3, Used 3, "
                                "Requested 1. Please try again in 10ms.", "requests", "rate_limit_exceeded",
                                headers={"retry-after-ms": "10"})
        if mode in ("500", "503") or (after_tools and (mode == "500_after_tools" or self.outage)):
            raise server_error(503 if mode == "503" else 500)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A started FakeOpenAI; `fake_openai.env()` gives OPENAI_API_KEY/OPENAI_BASE_URL for it."""
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()
