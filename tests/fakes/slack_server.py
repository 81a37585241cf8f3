"""A loopback fake of Slack: the Web API (`<base>/api/<method>`), the Socket Mode websocket, response_url hooks.

Modelled on Slack's Web API (docs.slack.dev/reference/methods: HTTP 200 with {"ok": true, ...} or
{"ok": false, "error": "..."}; rate limits as HTTP 429 + Retry-After) and on the Socket Mode protocol
(apps.connections.open -> wss URL -> `hello` -> envelopes acked by envelope_id; `disconnect` messages).
Real clients (slack_sdk WebClient, its built-in SocketModeClient, Bolt) talk to it unchanged:

    fake = FakeSlack().start()
    client = WebClient(token=fake.bot_token, base_url=fake.api_url)
    env = fake.env()    # SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_API_URL for `python bot.py`
    eid = fake.deliver("events_api", fake.app_mention("what does WTI cost?"))
    fake.wait_ack(eid)
    fake.wait_for_message(thread_ts=..., contains="₩")
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from tests.fakes.httpd import LoopbackHTTPServer
from tests.fakes.slack_faults import Hitches
from tests.fakes.slack_payloads import Workspace
from tests.fakes.slack_signing import signed_request  # re-exported for tests  # noqa: F401

logger = logging.getLogger(__name__)

MAX_TEXT = 40_000  # chat.postMessage: msg_too_long beyond this
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3_000
MAX_CONNECTIONS = 10  # Socket Mode connections per app
# Methods an app-level (xapp-) token may call; everything else needs the bot token.
APP_TOKEN_METHODS = {"apps.connections.open"}
# What a workspace without the AI-app features answers (see disable_ai_features).
AI_METHODS = (
    "assistant.threads.setStatus",
    "assistant.threads.setSuggestedPrompts",
    "assistant.threads.setTitle",
    "chat.startStream",
    "chat.appendStream",
    "chat.stopStream",
)


# Methods that carry a message's content (see refuse_blocks / refuse_text).
CONTENT_METHODS = ("chat.postMessage", "chat.update", "chat.startStream", "chat.appendStream", "chat.stopStream")


class FakeSlackError(AssertionError):
    """A wait timed out or the fake was misused; the message says what was expected and what was seen."""


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    time: float
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))


@dataclass
class Message:
    """A message the app posted (chat.postMessage or a stream), with every version it went through."""

    channel: str
    ts: str
    thread_ts: str | None
    text: str
    blocks: list[dict[str, Any]] | None
    kind: str = "message"  # "message" | "stream"
    versions: list[dict[str, Any]] = field(default_factory=list)  # each {"text", "blocks", "time", "method"}
    deleted: bool = False
    streaming: bool = False
    stream_events: list[dict[str, Any]] = field(default_factory=list)  # {"method", "markdown_text", "chunks"}
    params: dict[str, Any] = field(default_factory=dict)  # the post's full params

    @property
    def thread(self) -> str:
        """The thread this message belongs to (its own ts when top-level)."""
        return self.thread_ts or self.ts

    @property
    def all_text(self) -> str:
        """Text plus every text object in its blocks: what a user sees, for `in` assertions."""
        return self.text + "\n" + "\n".join(_block_texts(self.blocks or []))

    def chunks(self) -> list[dict[str, Any]]:
        """Every streamed chunk in order; a bare markdown_text argument counts as a markdown_text chunk."""
        out: list[dict[str, Any]] = []
        for ev in self.stream_events:
            if ev.get("markdown_text"):
                out.append({"type": "markdown_text", "text": ev["markdown_text"]})
            out.extend(ev.get("chunks") or [])
        return out

    def as_event(self, bot_user_id: str = "UBOT", bot_id: str = "BBOT") -> dict[str, Any]:
        """The message as it appears in a `block_actions` payload's `message`."""
        msg: dict[str, Any] = {"type": "message", "user": bot_user_id, "bot_id": bot_id, "text": self.text,
                               "ts": self.ts}
        if self.blocks:
            msg["blocks"] = self.blocks
        if self.thread_ts:
            msg["thread_ts"] = self.thread_ts
        return msg


@dataclass
class Fault:
    error: str
    remaining: int | None  # None: every call until cleared
    retry_after: int | None = None
    status: int = 200
    when: Callable[[dict[str, Any]], bool] | None = None


@dataclass
class Ack:
    envelope_id: str
    message: dict[str, Any]
    connection: int
    latency: float  # seconds from sending the envelope to receiving its ack


@dataclass
class Envelope:
    envelope_id: str
    type: str
    payload: dict[str, Any]
    connection: int
    sent_at: float
    retry_attempt: int
    retry_reason: str


@dataclass
class _Conn:
    id: int
    ws: ServerConnection
    ticket: str
    opened_at: float
    peer_port: int = 0  # the client's local port: maps a connection to a bot process (connections_of)
    closed: bool = False


def _block_texts(blocks: list[dict[str, Any]]) -> Iterator[str]:
    for b in blocks:
        if isinstance(b.get("text"), dict):
            yield b["text"].get("text", "")
        elif isinstance(b.get("text"), str):  # markdown block
            yield b["text"]
        for f in b.get("fields") or []:
            yield f.get("text", "")
        for e in b.get("elements") or []:
            if isinstance(e, dict):
                if isinstance(e.get("text"), dict):
                    yield e["text"].get("text", "")
                elif isinstance(e.get("text"), str):
                    yield e["text"]
                if e.get("elements"):
                    yield from _block_texts(e["elements"])


def _section_too_long(blocks: list[dict[str, Any]]) -> bool:
    for b in blocks:
        if b.get("type") == "section":
            text = b.get("text")
            if isinstance(text, dict) and len(text.get("text", "")) > MAX_SECTION_TEXT:
                return True
            if any(len(f.get("text", "")) > 2_000 for f in b.get("fields") or []):
                return True
    return False


class FakeSlack(Hitches):
    """One fake Slack workspace with one app installed. Thread-safe; every wait uses a condition variable."""

    def __init__(
        self,
        bot_token: str = "xoxb-fake-bot-token",
        app_token: str = "xapp-1-fake-app-token",
        signing_secret: str = "fake-signing-secret",
        workspace: Workspace | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.signing_secret = signing_secret
        self.workspace = workspace or Workspace()
        self.workspace._ts = self.next_ts
        self._cond = threading.Condition()
        self._ts_counter = itertools.count(1)
        self._ticket_counter = itertools.count(1)
        self._conn_counter = itertools.count(1)
        self._rr = itertools.count()
        self._http: ThreadingHTTPServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ws_thread: threading.Thread | None = None
        self._ws_server: Any = None
        self._stop_ws: asyncio.Event | None = None
        self.ws_port = 0
        self.http_port = 0
        self.max_connections = MAX_CONNECTIONS
        self.ws_keepalive = 5.0  # the server's websocket ping interval and pong timeout (s); set before start()
        self._reset_state()

    def _reset_state(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], Message] = {}
        self._order: list[tuple[str, str]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.reactions: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []  # posts to response_url: {"url", "body", "time"}
        self.faults: dict[str, list[Fault]] = {}
        self.hitches = {}  # ambiguous faults: 5xx, late answers, applied-then-failed (slack_faults.py)
        self.latency: dict[str, float] = {}
        self.acks: dict[str, Ack] = {}
        self.envelopes: dict[str, Envelope] = {}
        self.socket_messages: list[dict[str, Any]] = []  # anything a client sent that isn't an ack
        self.tickets: set[str] = set()
        self.connection_log: list[tuple[float, int, str]] = []  # (time, connection id, "open"|"close")
        self._conns: dict[int, _Conn] = getattr(self, "_conns", {})

    # -- lifecycle -----------------------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        self._http = LoopbackHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._http.daemon_threads = True
        self.http_port = self._http.server_address[1]
        self.workspace.base_url = self.base_url.rstrip("/")
        threading.Thread(target=self._http.serve_forever, name="fake-slack-http", daemon=True).start()
        started = threading.Event()
        self._ws_thread = threading.Thread(target=self._run_ws, args=(started,), name="fake-slack-ws", daemon=True)
        self._ws_thread.start()
        if not started.wait(10):
            raise RuntimeError("fake Slack websocket server did not start")
        return self

    def stop(self) -> None:
        if self._loop and self._stop_ws:
            self._loop.call_soon_threadsafe(self._stop_ws.set)
            if self._ws_thread:
                self._ws_thread.join(5)
        if self._http:
            self._http.shutdown()
            self._http.server_close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget calls, messages, faults and acks (open connections stay open)."""
        with self._cond:
            self._reset_state()
            self._cond.notify_all()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/"

    @property
    def api_url(self) -> str:
        """The Web API base, as SLACK_API_URL / WebClient(base_url=...) expect (trailing slash)."""
        return f"{self.base_url}api/"

    def env(self, socket_mode: bool = True) -> dict[str, str]:
        """Environment for a bot process pointed at this fake."""
        env = {"SLACK_BOT_TOKEN": self.bot_token, "SLACK_API_URL": self.api_url,
               "SLACK_SIGNING_SECRET": self.signing_secret}
        if socket_mode:
            env["SLACK_APP_TOKEN"] = self.app_token
        return env

    def next_ts(self) -> str:
        """A message ts in Slack's "seconds.micros" form, strictly increasing across the fake."""
        n = next(self._ts_counter)
        micros = 1_700_000_000_000_000 + n * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    # -- payload builders (delegates; see slack_payloads.Workspace) ------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        if name in {"app_mention", "dm_message", "channel_message", "message_changed", "message_deleted",
                    "bot_message", "assistant_thread_started", "assistant_thread_context_changed", "edited",
                    "with_files", "slash_command", "block_action", "event_callback"}:
            return getattr(self.workspace, name)
        raise AttributeError(name)

    # -- fault injection -----------------------------------------------------------------------------------------

    def fail(
        self, method: str, error: str, times: int | None = 1, retry_after: int | None = None,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """The next `times` calls of `method` (None: all, until clear_faults) fail with `error`.
        `ratelimited` answers HTTP 429 with Retry-After (default 1 s); `when(params)` narrows which calls fail,
        e.g. `when=lambda p: p.get("channel") == "C0GONE"`."""
        status = 200
        if error == "ratelimited":
            status, retry_after = 429, retry_after if retry_after is not None else 1
        with self._cond:
            self.faults.setdefault(method, []).append(Fault(error, times, retry_after, status, when))

    def clear_faults(self, method: str | None = None) -> None:
        with self._cond:
            if method is None:
                self.faults.clear()
                self.hitches.clear()
            else:
                self.faults.pop(method, None)
                self.hitches.pop(method, None)

    def disable_ai_features(self, error: str = "not_allowed_token_type", stream_error: str | None = None) -> None:
        """Answer every assistant.threads.* / chat.*Stream call with an error, as a workspace without the
        AI-app features (or an app without the assistant feature) does. Undo with clear_faults()."""
        for m in AI_METHODS:
            self.fail(m, (stream_error or error) if "Stream" in m else error, times=None)

    # -- content refusals (what Slack answers a message it will not take) ----------------------------------------

    def refuse_blocks(self, error: str = "invalid_blocks", methods: tuple[str, ...] = CONTENT_METHODS,
                      times: int | None = None) -> None:
        """Refuse every call of `methods` that carries blocks as real Slack refuses content it will not take:
        HTTP 200, {"ok": false, "error": error} (invalid_blocks also with Slack's `errors` and
        response_metadata.messages). The same call without blocks (plain text) goes through."""
        for method in methods:
            self.fail(method, error, times=times, when=lambda p: bool(p.get("blocks")))

    def refuse_text(self, error: str = "msg_too_long", methods: tuple[str, ...] = CONTENT_METHODS,
                    times: int | None = None, longer_than: int = 0) -> None:
        """Refuse every call of `methods` whose text (text, markdown_text and markdown_text chunks) is longer than
        `longer_than` characters (Slack's msg_too_long shows up near 4,000 in practice, see SLACK_FACTS.md)."""
        def has_text(p: dict[str, Any]) -> bool:
            chunks = "".join(c.get("text", "") for c in p.get("chunks") or [] if c.get("type") == "markdown_text")
            return len((p.get("text") or "") + (p.get("markdown_text") or "") + chunks) > longer_than

        for method in methods:
            self.fail(method, error, times=times, when=has_text)

    def set_latency(self, seconds: float, method: str = "*") -> None:
        """Delay every response of `method` ("*": all methods) by `seconds` (for benchmarks)."""
        with self._cond:
            self.latency[method] = seconds

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for f in self.faults.get(method, []):
            if f.when is not None and not f.when(params):
                continue
            if f.remaining is not None:
                f.remaining -= 1
                if f.remaining <= 0:
                    self.faults[method].remove(f)
            return f
        return None

    # -- the Web API -------------------------------------------------------------------------------------------

    def handle_api(self, method: str, params: dict[str, Any], token: str | None) -> tuple[int, dict, dict]:
        """Answer one Web API call: (HTTP status, extra headers, JSON body). Records the call."""
        if hitch := self._take_hitch(method, params):
            return self._with_hitch(hitch, method, params, token)  # type: ignore[return-value]
        delay = self.latency.get(method, self.latency.get("*", 0.0))
        if delay:
            time.sleep(delay)
        with self._cond:
            status, headers, body = self._answer(method, params, token)
            self.calls.append(Call(method, params, token, time.time(), status, body))
            self._cond.notify_all()
        return status, headers, body

    def _answer(self, method: str, params: dict[str, Any], token: str | None) -> tuple[int, dict, dict]:
        if not token:
            return 200, {}, {"ok": False, "error": "not_authed"}
        if token not in (self.bot_token, self.app_token):
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        if (method in APP_TOKEN_METHODS) != (token == self.app_token):
            return 200, {}, {"ok": False, "error": "not_allowed_token_type"}
        fault = self._take_fault(method, params)
        if fault:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            return fault.status, headers, _refusal(fault.error, params.get("blocks"))
        if refusal := _missing_argument(method, params):
            return 200, {}, refusal
        handler = _API.get(method)
        if handler is None:  # what Slack answers for a method it does not have (HTTP 200, as every API error)
            return 200, {}, {"ok": False, "error": "unknown_method", "req_method": method}
        return 200, {}, handler(self, params)

    def _auth_test(self, _: dict) -> dict:
        ws = self.workspace
        return {"ok": True, "url": f"https://{ws.team_domain}.slack.com/", "team": "oilfx test",
                "user": "oilfx", "team_id": ws.team_id, "user_id": ws.bot_user_id, "bot_id": ws.bot_id,
                "is_enterprise_install": False}

    def _connections_open(self, _: dict) -> dict:
        ticket = f"{next(self._ticket_counter)}-{uuid.uuid4().hex[:12]}"
        self.tickets.add(ticket)
        return {"ok": True, "url": f"ws://127.0.0.1:{self.ws_port}/link/?ticket={ticket}&app_id="
                                   f"{self.workspace.app_id}"}

    def _post_message(self, p: dict) -> dict:
        channel = p.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        blocks = p.get("blocks")
        text = p.get("text") or ""
        if not text and not blocks and not p.get("attachments"):
            return {"ok": False, "error": "no_text"}
        if error := self._check_content(text, blocks):
            return _refusal(error, blocks)
        ts = self.next_ts()
        msg = Message(channel, ts, p.get("thread_ts") or None, text, blocks, params=p)
        msg.versions.append({"text": text, "blocks": blocks, "time": time.time(), "method": "chat.postMessage"})
        self.messages[(channel, ts)] = msg
        self._order.append((channel, ts))
        return {"ok": True, "channel": channel, "ts": ts, "message": self._message_json(msg)}

    def _check_content(self, text: str, blocks: Any) -> str | None:
        if len(text) > MAX_TEXT:
            return "msg_too_long"
        if blocks is not None and (
            not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS or _section_too_long(blocks)
        ):
            return "invalid_blocks"
        return None

    def _message_json(self, msg: Message) -> dict:
        ws = self.workspace
        out: dict[str, Any] = {"user": ws.bot_user_id, "type": "message", "ts": msg.ts, "bot_id": ws.bot_id,
                               "app_id": ws.app_id, "text": msg.text, "team": ws.team_id}
        if msg.blocks:
            out["blocks"] = msg.blocks
        if msg.thread_ts:
            out["thread_ts"] = msg.thread_ts
            out["parent_user_id"] = ws.user_id
        return out

    def _update(self, p: dict) -> dict:
        msg = self.messages.get((p.get("channel", ""), p.get("ts", "")))
        if msg is None or msg.deleted:
            return {"ok": False, "error": "message_not_found"}
        text = p.get("text") if "text" in p else msg.text
        blocks = p.get("blocks") if "blocks" in p else msg.blocks
        if error := self._check_content(text or "", blocks):
            return _refusal(error, blocks)
        msg.text, msg.blocks = text or "", blocks
        msg.versions.append({"text": msg.text, "blocks": blocks, "time": time.time(), "method": "chat.update"})
        return {"ok": True, "channel": msg.channel, "ts": msg.ts, "text": msg.text,
                "message": self._message_json(msg)}

    def _delete(self, p: dict) -> dict:
        msg = self.messages.get((p.get("channel", ""), p.get("ts", "")))
        if msg is None or msg.deleted:
            return {"ok": False, "error": "message_not_found"}
        msg.deleted = True
        return {"ok": True, "channel": msg.channel, "ts": msg.ts}

    def _ephemeral(self, p: dict) -> dict:
        if not p.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not p.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        ts = self.next_ts()
        self.ephemerals.append({**p, "message_ts": ts})
        return {"ok": True, "message_ts": ts}

    def _reaction(self, p: dict) -> dict:
        key = (p.get("channel"), p.get("timestamp"), p.get("name"))
        if any((r.get("channel"), r.get("timestamp"), r.get("name")) == key for r in self.reactions):
            return {"ok": False, "error": "already_reacted"}
        self.reactions.append(p)
        return {"ok": True}

    def _users_info(self, p: dict) -> dict:
        uid = p.get("user", "")
        ws = self.workspace
        is_bot = uid == ws.bot_user_id
        return {"ok": True, "user": {
            "id": uid, "team_id": ws.team_id, "name": "oilfx" if is_bot else f"user-{uid.lower()}",
            "deleted": False, "real_name": "oilfx" if is_bot else "Test Analyst", "tz": "Asia/Seoul",
            "tz_label": "Korea Standard Time", "tz_offset": 32400, "is_bot": is_bot, "is_admin": False,
            "profile": {"real_name": "Test Analyst", "display_name": "analyst", "team": ws.team_id},
        }}

    def _conversations_info(self, p: dict) -> dict:
        cid = p.get("channel", "")
        is_im = cid.startswith("D")
        return {"ok": True, "channel": {
            "id": cid, "name": None if is_im else "general", "is_channel": cid.startswith("C"),
            "is_group": cid.startswith("G"), "is_im": is_im, "is_private": not cid.startswith("C"),
            "is_archived": False, "is_member": True, "created": 1_600_000_000,
            **({"user": self.workspace.user_id} if is_im else {}),
        }}

    def _assistant(self, p: dict) -> dict:
        if not p.get("channel_id") or not p.get("thread_ts"):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True}

    def _start_stream(self, p: dict) -> dict:
        channel, thread_ts = p.get("channel"), p.get("thread_ts")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not thread_ts:
            return {"ok": False, "error": "invalid_arguments"}
        if not channel.startswith("D"):  # outside DMs Slack needs to know who the stream is for
            if not p.get("recipient_team_id"):
                return {"ok": False, "error": "missing_recipient_team_id"}
            if not p.get("recipient_user_id"):
                return {"ok": False, "error": "missing_recipient_user_id"}
        ts = self.next_ts()
        msg = Message(channel, ts, thread_ts, "", None, kind="stream", streaming=True, params=p)
        self.messages[(channel, ts)] = msg
        self._order.append((channel, ts))
        self._stream_event(msg, "chat.startStream", p)
        return {"ok": True, "channel": channel, "ts": ts}

    def _stream_event(self, msg: Message, method: str, p: dict) -> None:
        msg.stream_events.append({"method": method, "markdown_text": p.get("markdown_text"),
                                  "chunks": p.get("chunks"), "time": time.time()})
        parts = [p.get("markdown_text") or ""]
        parts += [c.get("text", "") for c in p.get("chunks") or [] if c.get("type") == "markdown_text"]
        msg.text += "".join(parts)
        msg.versions.append({"text": msg.text, "blocks": msg.blocks, "time": time.time(), "method": method})

    def _streaming_message(self, p: dict) -> Message | dict:
        msg = self.messages.get((p.get("channel", ""), p.get("ts", "")))
        if msg is None or msg.kind != "stream":
            return {"ok": False, "error": "message_not_found"}
        if not msg.streaming:
            return {"ok": False, "error": "message_not_in_streaming_state"}
        return msg

    def _append_stream(self, p: dict) -> dict:
        msg = self._streaming_message(p)
        if isinstance(msg, dict):
            return msg
        if not p.get("markdown_text") and not p.get("chunks"):
            return {"ok": False, "error": "invalid_arguments"}
        self._stream_event(msg, "chat.appendStream", p)
        return {"ok": True, "channel": msg.channel, "ts": msg.ts}

    def _stop_stream(self, p: dict) -> dict:
        msg = self._streaming_message(p)
        if isinstance(msg, dict):
            return msg
        if p.get("blocks") is not None:
            if error := self._check_content("", p["blocks"]):
                return _refusal(error, p["blocks"])
            msg.blocks = p["blocks"]
        self._stream_event(msg, "chat.stopStream", p)
        msg.streaming = False
        return {"ok": True, "channel": msg.channel, "ts": msg.ts, "message": self._message_json(msg)}

    def handle_response_url(self, path: str, body: dict[str, Any]) -> None:
        with self._cond:
            self.responses.append({"url": self.base_url.rstrip("/") + path, "path": path, "body": body,
                                   "time": time.time()})
            self._cond.notify_all()

    # -- what was recorded -----------------------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def posted(self, channel: str | None = None, thread_ts: str | None = None,
               include_deleted: bool = False) -> list[Message]:
        """Messages the app posted (chat.postMessage and streams), in posting order. `thread_ts` matches replies
        in that thread and the thread's parent message itself."""
        with self._cond:
            msgs = [self.messages[k] for k in self._order]
        return [m for m in msgs
                if (channel is None or m.channel == channel)
                and (thread_ts is None or m.thread == thread_ts)
                and (include_deleted or not m.deleted)]

    def message(self, channel: str, ts: str) -> Message:
        with self._cond:
            return self.messages[(channel, ts)]

    def thread_texts(self, channel: str, thread_ts: str) -> list[str]:
        """The final text (after chat.update / streaming) of each live message in a thread, in order."""
        return [m.all_text for m in self.posted(channel, thread_ts)]

    def threads(self) -> dict[tuple[str, str], list[str]]:
        """Every thread the app wrote in -> final texts of its messages there."""
        out: dict[tuple[str, str], list[str]] = {}
        for m in self.posted():
            out.setdefault((m.channel, m.thread), []).append(m.all_text)
        return out

    # -- waiting -----------------------------------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
        """Block until predicate() is truthy (re-checked on every change the fake sees); return its value."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise FakeSlackError(f"timed out after {timeout}s waiting for {what}; "
                                         f"calls so far: {[c.method for c in self.calls][-20:]}")
                self._cond.wait(left)

    def wait_for_message(
        self, channel: str | None = None, thread_ts: str | None = None, contains: str | None = None,
        count: int = 1, timeout: float = 10.0, final: bool = False,
    ) -> Message:
        """Wait until `count` messages match (their current text contains `contains`) and return the last one.
        final=True also waits for a streamed message to be stopped."""

        def matches() -> list[Message]:
            return [m for m in self.posted(channel, thread_ts)
                    if (contains is None or contains in m.all_text) and not (final and m.streaming)]

        found = self.wait_for(lambda: len(matches()) >= count and matches(), timeout,
                              what=f"{count} message(s) in channel={channel} thread={thread_ts} "
                                   f"containing {contains!r}; posted: {[m.all_text[:80] for m in self.posted()]}")
        return found[count - 1]

    def wait_for_call(self, method: str, count: int = 1, timeout: float = 10.0,
                      where: Callable[[Call], bool] | None = None) -> Call:
        def matches() -> list[Call]:
            return [c for c in self.calls if c.method == method and (where is None or where(c))]

        return self.wait_for(lambda: len(matches()) >= count and matches(), timeout,
                             what=f"{count} call(s) to {method}")[count - 1]

    def wait_for_response(self, count: int = 1, timeout: float = 10.0) -> dict[str, Any]:
        """Wait for `count` posts to response_url hooks; return the last."""
        return self.wait_for(lambda: len(self.responses) >= count and self.responses, timeout,
                             what=f"{count} response_url post(s)")[count - 1]

    # -- Socket Mode --------------------------------------------------------------------------------------------

    def _run_ws(self, started: threading.Event) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop_ws = asyncio.Event()
            async with serve(self._ws_handler, "127.0.0.1", 0, process_request=self._ws_check_ticket,
                             max_size=2**23, ping_interval=self.ws_keepalive,
                             ping_timeout=self.ws_keepalive, close_timeout=2) as server:
                self.ws_port = server.sockets[0].getsockname()[1]
                started.set()
                await self._stop_ws.wait()
                # Cut connections instead of a close handshake: a client that already closed its socket
                # without a close frame would otherwise hold shutdown for the close timeout.
                for c in list(self._conns.values()):
                    c.ws.transport.abort()

        asyncio.run(main())

    def _ws_check_ticket(self, connection: ServerConnection, request: Any) -> Any:
        query = parse_qs(urlparse(request.path).query)
        ticket = (query.get("ticket") or [""])[0]
        with self._cond:
            valid = ticket in self.tickets
            self.tickets.discard(ticket)  # one connection per ticket, as Slack's
            full = sum(not c.closed for c in self._conns.values()) >= self.max_connections
        if not valid:
            return connection.respond(401, "invalid or reused ticket\n")
        if full:
            return connection.respond(409, "too_many_websockets\n")
        return None

    async def _ws_handler(self, ws: ServerConnection) -> None:
        ticket = (parse_qs(urlparse(ws.request.path).query).get("ticket") or [""])[0]
        with self._cond:
            conn = _Conn(next(self._conn_counter), ws, ticket, time.time(), ws.remote_address[1])
            self._conns[conn.id] = conn
            self.connection_log.append((time.time(), conn.id, "open"))
            open_count = sum(not c.closed for c in self._conns.values())
            self._cond.notify_all()
        hello = {"type": "hello", "num_connections": open_count,
                 "debug_info": {"host": "applink-fake-1", "build_number": 1,
                                "approximate_connection_time": 18060},
                 "connection_info": {"app_id": self.workspace.app_id}}
        try:
            await ws.send(json.dumps(hello))
            async for raw in ws:
                self._on_client_message(conn, raw)
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                conn.closed = True
                self.connection_log.append((time.time(), conn.id, "close"))
                self._cond.notify_all()

    def _on_client_message(self, conn: _Conn, raw: str | bytes) -> None:
        now = time.time()
        try:
            msg = json.loads(raw)
        except ValueError:
            msg = {"unparsable": raw if isinstance(raw, str) else raw.decode(errors="replace")}
        with self._cond:
            eid = msg.get("envelope_id") if isinstance(msg, dict) else None
            env = self.envelopes.get(eid) if eid else None
            if env is not None and eid not in self.acks:
                self.acks[eid] = Ack(eid, msg, conn.id, now - env.sent_at)
            else:
                self.socket_messages.append({"connection": conn.id, "message": msg, "time": now})
            self._cond.notify_all()

    def connections(self) -> list[int]:
        """Ids of the open Socket Mode connections, oldest first."""
        with self._cond:
            return [c.id for c in self._conns.values() if not c.closed]

    def connections_of(self, pid: int) -> list[int]:
        """Open connection ids whose client socket belongs to process `pid` (e.g. one of several bot.py)."""
        import psutil

        ports = {c.laddr.port for c in psutil.Process(pid).net_connections(kind="tcp")
                 if c.raddr and c.raddr.port == self.ws_port}
        with self._cond:
            return [c.id for c in self._conns.values() if not c.closed and c.peer_port in ports]

    def wait_connections(self, n: int = 1, timeout: float = 15.0) -> list[int]:
        """Wait until at least n connections are open; return their ids."""
        return self.wait_for(lambda: len(self.connections()) >= n and self.connections(), timeout,
                             what=f"{n} Socket Mode connection(s)")

    def wait_new_connection(self, after: int, timeout: float = 15.0) -> int:
        """Wait for an open connection with id > `after` (a reconnect); return its id."""
        return self.wait_for(lambda: next((c for c in self.connections() if c > after), None), timeout,
                             what=f"a new Socket Mode connection after #{after}")

    def _send(self, conn_id: int, message: dict[str, Any]) -> None:
        conn = self._conns[conn_id]
        assert self._loop is not None
        fut = asyncio.run_coroutine_threadsafe(conn.ws.send(json.dumps(message)), self._loop)
        fut.result(timeout=10)

    def deliver(
        self, envelope_type: str, payload: dict[str, Any], connection: int | None = None,
        retry_attempt: int = 0, retry_reason: str = "", accepts_response_payload: bool | None = None,
        wait_connection: float = 15.0,
    ) -> str:
        """Send an envelope (events_api | slash_commands | interactive) over Socket Mode; return its envelope_id.
        Round-robin over open connections unless `connection` is given; waits up to `wait_connection` s for one."""
        if connection is None:
            open_ids = self.wait_connections(1, wait_connection)
            connection = open_ids[next(self._rr) % len(open_ids)]
        envelope_id = str(uuid.uuid4())
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type != "events_api"
        envelope: dict[str, Any] = {"envelope_id": envelope_id, "payload": payload, "type": envelope_type,
                                    "accepts_response_payload": accepts_response_payload}
        if envelope_type == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        with self._cond:
            self.envelopes[envelope_id] = Envelope(envelope_id, envelope_type, payload, connection, time.time(),
                                                   retry_attempt, retry_reason)
        self._send(connection, envelope)
        return envelope_id

    def deliver_envelope(self, envelope: dict[str, Any], connection: int | None = None) -> str:
        """Send a real-shaped Socket Mode envelope (e.g. one of ../shared/slack_payloads) as Slack would: its type,
        payload, accepts_response_payload and retry fields, under a fresh envelope_id (Slack's are unique)."""
        accepts = envelope.get("accepts_response_payload")
        return self.deliver(envelope["type"], envelope["payload"], connection,
                            retry_attempt=int(envelope.get("retry_attempt") or 0),
                            retry_reason=str(envelope.get("retry_reason") or ""),
                            accepts_response_payload=None if accepts is None else bool(accepts))

    def redeliver(self, envelope_id: str, retry_attempt: int = 1, retry_reason: str = "timeout",
                  connection: int | None = None) -> str:
        """Deliver an envelope's payload again as Slack's retry (same event_id, new envelope_id)."""
        env = self.envelopes[envelope_id]
        return self.deliver(env.type, env.payload, connection, retry_attempt, retry_reason)

    def wait_ack(self, envelope_id: str, timeout: float = 3.0) -> dict[str, Any]:
        """Wait for the client's ack of an envelope (Slack wants it within 3 s); return the ack message."""
        return self.wait_for(lambda: self.acks.get(envelope_id), timeout,
                             what=f"ack of envelope {envelope_id}").message

    def send_disconnect(self, connection: int, reason: str = "refresh_requested") -> None:
        """Send Slack's `disconnect` message (the client should open a new connection)."""
        self._send(connection, {"type": "disconnect", "reason": reason,
                                "debug_info": {"host": "applink-fake-1"}})

    def drop(self, connection: int | None = None, abrupt: bool = False) -> list[int]:
        """Close one connection (default: all open). abrupt=True cuts the TCP connection without a close frame.
        Returns the dropped ids. A client must reconnect through apps.connections.open."""
        ids = [connection] if connection is not None else self.connections()
        assert self._loop is not None
        for cid in ids:
            ws = self._conns[cid].ws
            if abrupt:
                self._loop.call_soon_threadsafe(ws.transport.abort)
            else:
                asyncio.run_coroutine_threadsafe(ws.close(1001, "going away"), self._loop).result(timeout=10)
        self.wait_for(lambda: all(self._conns[c].closed for c in ids), 10, what=f"connections {ids} closed")
        return ids


# Required arguments and what Slack answers when one is missing or empty (docs.slack.dev/reference/methods/<method>,
# "Errors"). The newer methods answer `invalid_arguments` naming the field in response_metadata.messages.
REQUIRED_ARGS: dict[str, tuple[tuple[str, str], ...]] = {
    "chat.postMessage": (("channel", "channel_not_found"),),
    "chat.update": (("channel", "channel_not_found"), ("ts", "message_not_found")),
    "chat.delete": (("channel", "channel_not_found"), ("ts", "message_not_found")),
    "chat.postEphemeral": (("channel", "channel_not_found"), ("user", "user_not_in_channel")),
    "reactions.add": (("channel", "no_item_specified"), ("timestamp", "no_item_specified"), ("name", "invalid_name")),
    "users.info": (("user", "user_not_found"),),
    "conversations.info": (("channel", "channel_not_found"),),
    "assistant.threads.setStatus": (("channel_id", "invalid_arguments"), ("thread_ts", "invalid_arguments")),
    "assistant.threads.setTitle": (("channel_id", "invalid_arguments"), ("thread_ts", "invalid_arguments"),
                                   ("title", "invalid_arguments")),
    "assistant.threads.setSuggestedPrompts": (("channel_id", "invalid_arguments"), ("thread_ts", "invalid_arguments"),
                                              ("prompts", "invalid_arguments")),
    "chat.startStream": (("channel", "channel_not_found"), ("thread_ts", "invalid_arguments")),
    "chat.appendStream": (("channel", "channel_not_found"), ("ts", "invalid_arguments")),
    "chat.stopStream": (("channel", "channel_not_found"), ("ts", "invalid_arguments")),
}


def _missing_argument(method: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """Slack's refusal of a call without one of its required arguments, or None."""
    for name, error in REQUIRED_ARGS.get(method, ()):
        if params.get(name) in (None, "", []):
            refusal: dict[str, Any] = {"ok": False, "error": error}
            if error == "invalid_arguments":
                refusal["response_metadata"] = {"messages": [f"[ERROR] missing required field: {name}"]}
            return refusal
    return None


def _refusal(error: str, blocks: Any = None) -> dict[str, Any]:
    """Slack's answer to a refused call: HTTP 200, ok false, the error code; invalid_blocks also lists what was
    wrong, as `errors` and as response_metadata.messages ("[ERROR] ... [json-pointer:/blocks...]")."""
    body: dict[str, Any] = {"ok": False, "error": error}
    if error == "invalid_blocks":
        problems = _block_problems(blocks) or ["failed to match all allowed schemas [json-pointer:/blocks/0]"]
        body["errors"] = problems
        body["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in problems]}
    return body


def _block_problems(blocks: Any) -> list[str]:
    if not isinstance(blocks, list):
        return []
    found = [f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]"] if len(blocks) > MAX_BLOCKS else []
    for i, b in enumerate(blocks):
        text = b.get("text") if isinstance(b, dict) and b.get("type") == "section" else None
        if isinstance(text, dict) and len(text.get("text", "")) > MAX_SECTION_TEXT:
            found.append(f"must be less than {MAX_SECTION_TEXT + 1} characters [json-pointer:/blocks/{i}/text/text]")
    return found


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("fake slack: " + format, *args)

        def _params(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            query = {k: v[-1] for k, v in parse_qs(urlparse(self.path).query).items()}
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype == "application/json" and raw:
                body = json.loads(raw)
            else:
                body = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8")).items()}
                # Form posts carry structured arguments (blocks, chunks, prompts) as JSON strings.
                for key in ("blocks", "attachments", "chunks", "prompts", "metadata", "loading_messages"):
                    if isinstance(body.get(key), str):
                        with contextlib.suppress(ValueError):
                            body[key] = json.loads(body[key])
            return {**query, **body}

        def _reply(self, status: int, body: dict[str, Any] | str, headers: dict[str, str] | None = None) -> None:
            headers = dict(headers or {})
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()  # str: a 5xx HTML page
            try:
                self.send_response(status)
                self.send_header("Content-Type", headers.pop("Content-Type", "application/json; charset=utf-8"))
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up waiting (answer_late): Slack's answer goes nowhere too
                self.close_connection = True

        def do_POST(self) -> None:
            path = urlparse(self.path).path
            try:
                params = self._params()
            except ValueError:
                self._reply(200, {"ok": False, "error": "invalid_json"})
                return
            if path.startswith("/api/"):
                auth = self.headers.get("Authorization") or ""
                token = auth[7:] if auth.startswith("Bearer ") else params.pop("token", None)
                params.pop("token", None)
                status, headers, body = fake.handle_api(path[len("/api/"):], params, token)
                self._reply(status, body, headers)
            elif path.startswith(("/commands/", "/actions/")):
                fake.handle_response_url(path, params)
                self._reply(200, {"ok": True})
            else:
                self._reply(404, {"ok": False, "error": "unknown_method"})

        do_GET = do_POST

    return Handler


_API: dict[str, Callable[[FakeSlack, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": FakeSlack._auth_test,
    "apps.connections.open": FakeSlack._connections_open,
    "chat.postMessage": FakeSlack._post_message,
    "chat.update": FakeSlack._update,
    "chat.delete": FakeSlack._delete,
    "chat.postEphemeral": FakeSlack._ephemeral,
    "reactions.add": FakeSlack._reaction,
    "users.info": FakeSlack._users_info,
    "conversations.info": FakeSlack._conversations_info,
    "assistant.threads.setStatus": FakeSlack._assistant,
    "assistant.threads.setSuggestedPrompts": FakeSlack._assistant,
    "assistant.threads.setTitle": FakeSlack._assistant,
    "chat.startStream": FakeSlack._start_stream,
    "chat.appendStream": FakeSlack._append_stream,
    "chat.stopStream": FakeSlack._stop_stream,
    "conversations.replies": FakeSlack._replies,
    "conversations.history": FakeSlack._history,
}


@pytest.fixture
def slack_server() -> Iterator[FakeSlack]:
    """A started fake Slack on 127.0.0.1 (Web API + Socket Mode); stopped after the test."""
    fake = FakeSlack().start()
    try:
        yield fake
    finally:
        fake.stop()
