"""The fake Slack's state: what the app posted and called, recorded so tests can read it and wait for it.

The base of every part of FakeSlack (slack_web_api, slack_web_methods, slack_faults, slack_socket_mode): one
condition variable guards all of it, and every change notifies it so `wait_for` re-checks at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakes.slack_payloads import Workspace

if TYPE_CHECKING:
    from tests.fakes.slack_faults import Fault, Hitch
    from tests.fakes.slack_socket_mode import Conn


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



class SlackState:
    """Recorded calls, messages, acks and envelopes, the waits over them, and the ts clock."""

    workspace: Workspace
    _cond: threading.Condition
    _ts_counter: Iterator[int]
    base_url: str

    def _reset_state(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], Message] = {}
        self._order: list[tuple[str, str]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.reactions: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []  # posts to response_url: {"url", "body", "time"}
        self.faults: dict[str, list[Fault]] = {}
        self.hitches: dict[str, list[Hitch]] = {}  # ambiguous faults (slack_faults.py)
        self.latency: dict[str, float] = {}
        # users.info include_locale: each user's Slack locale (others: DEFAULT_LOCALE); a test sets "ko-KR"
        self.user_locales: dict[str, str] = {}
        self.acks: dict[str, Ack] = {}
        self.envelopes: dict[str, Envelope] = {}
        self.socket_messages: list[dict[str, Any]] = []  # anything a client sent that isn't an ack
        self.tickets: set[str] = set()
        self.connection_log: list[tuple[float, int, str]] = []  # (time, connection id, "open"|"close")
        self._conns: dict[int, Conn] = getattr(self, "_conns", {})

    def next_ts(self) -> str:
        """A message ts in Slack's "seconds.micros" form, strictly increasing across the fake."""
        n = next(self._ts_counter)
        micros = 1_700_000_000_000_000 + n * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

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
