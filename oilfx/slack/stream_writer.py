"""What goes into a turn's streamed messages, and when: chunks batched to one append per STREAM_INTERVAL, text
rolled over to a new message in the thread near Slack's size limit, and the stop (with the answer's closing
blocks, or the sources as plain text if Slack refuses them).

The writer's state is one StreamState; a Slack write that fails moves it to BROKEN, after which nothing more is
sent: the reply (streaming.py) replaces what was streamed with the rendered answer at the end.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.models.messages.chunk import Chunk, MarkdownTextChunk

from oilfx.slack.caps import CUT_NOTE_ROOM, MAX_ANSWER_MESSAGES
from oilfx.slack.replies import SlackCallFailed, call, refused_content
from oilfx.slack.turn_stream import TurnStream

STREAM_INTERVAL = 0.5        # seconds between appendStream calls for one message (Slack rate-limits writes)
STREAM_TEXT_LIMIT = 3500     # characters streamed into one message; the rest continues in a new one (msg_too_long)


class StreamState(enum.Enum):
    NOT_STARTED = "not started"  # no stream yet
    STREAMING = "streaming"      # tasks and text go out, batched
    FULL = "full"                # MAX_ANSWER_MESSAGES are full: tasks and one closing line (the cut note) only
    BROKEN = "broken"            # a write failed (or the stream was adopted): nothing more goes out
    CLOSED = "closed"            # stopped, or being replaced by the answer: nothing more goes out


# Where each state may go next; anything else is a bug in the writer.
_NEXT = {
    StreamState.NOT_STARTED: {StreamState.STREAMING, StreamState.BROKEN, StreamState.CLOSED},
    StreamState.STREAMING: {StreamState.FULL, StreamState.BROKEN, StreamState.CLOSED},
    StreamState.FULL: {StreamState.BROKEN, StreamState.CLOSED},
    StreamState.BROKEN: {StreamState.CLOSED},
    StreamState.CLOSED: {StreamState.CLOSED},
}


class StreamWriter:
    """The streamed messages of one turn (a long answer continues in new ones). Callers hold `lock`."""

    def __init__(self, client: WebClient, channel: str, thread_ts: str, team: str, user: str,
                 log: logging.LoggerAdapter | logging.Logger) -> None:
        self.client, self.channel, self.thread_ts, self.team, self.user = client, channel, thread_ts, team, user
        self.log = log
        self.lock = threading.RLock()
        self.state = StreamState.NOT_STARTED
        self.streams: list[TurnStream] = []    # each streamed message, in order
        self._pending: list[Chunk] = []
        self._chars = 0                        # characters streamed into the current message
        self._last_send = 0.0
        self._timer: threading.Timer | None = None
        # Model text waiting upstream (the reply's SafeText): made safe and queued when a write goes out, so the
        # per-delta work (amounts, mentions, links) is done once per write rather than once per delta.
        self.text_source: Callable[[], str] | None = None
        self._text_waiting = False

    @property
    def sending(self) -> bool:
        """Writes still go out (the stream can be completed)."""
        return self.state in (StreamState.STREAMING, StreamState.FULL)

    @property
    def full(self) -> bool:
        return self.state is StreamState.FULL

    @property
    def ts(self) -> list[str]:
        return [s.ts for s in self.streams if s.ts]

    def _to(self, state: StreamState) -> None:
        assert state in _NEXT[self.state], f"stream {self.state} -> {state}"
        self.state = state

    # -- starting ----------------------------------------------------------------------------------------------

    def open(self) -> str:
        """Start a new streamed message (SlackCallFailed if Slack will not); its ts."""
        stream = TurnStream(self.client, self.channel, self.thread_ts, self.team, self.user)
        ts = call(self.log, "chat.startStream", stream.open)
        self._add_stream(stream)
        return ts

    def adopt(self, ts: str, broken: bool = False) -> None:
        """A stream that exists already; `broken`: nothing more is streamed into it (see StreamState.BROKEN)."""
        stream = TurnStream(self.client, self.channel, self.thread_ts, self.team, self.user)
        stream.adopt(ts)
        self._add_stream(stream)
        if broken:
            self._to(StreamState.BROKEN)

    def _add_stream(self, stream: TurnStream) -> None:
        self.streams.append(stream)
        if self.state is StreamState.NOT_STARTED:
            self._to(StreamState.STREAMING)
        self._chars = 0
        self._last_send = 0.0  # the first task or text goes out at once; later ones wait their interval

    # -- queueing ----------------------------------------------------------------------------------------------

    def text_arrived(self) -> None:
        """Text is waiting in `text_source`: it goes out with the next write."""
        if self.sending:
            self._text_waiting = True
            self._schedule()

    def pull_text(self) -> None:
        """Queue the text waiting in `text_source` now (before a chunk, so the order of events is kept)."""
        if self._text_waiting and self.text_source is not None:
            self._text_waiting = False
            self.queue_text(self.text_source(), force=True)

    def queue_chunk(self, chunk: Chunk) -> None:
        if not self.sending:
            return
        self.pull_text()
        self._pending.append(chunk)
        self._schedule()

    def queue_text(self, text: str, force: bool = False) -> None:
        """Queue escaped text; `force`: it goes out with the stop, not on the next interval."""
        while text and self.state is StreamState.STREAMING:
            last = len(self.streams) >= MAX_ANSWER_MESSAGES  # keeps room for the cut note
            room = STREAM_TEXT_LIMIT - self._chars - (CUT_NOTE_ROOM if last else 0)
            if len(text) <= room:
                self._add_text(text)
                break
            if room > 0:
                cut = _boundary(text, room)
                self._add_text(text[:cut])
                text = text[cut:]
            if last:
                self._to(StreamState.FULL)  # the rest of the answer is dropped; the reply adds the cut note
                self.log.warning("answer cut at %d streamed messages", MAX_ANSWER_MESSAGES)
                break
            self._continue_in_new_message()
        if not force:
            self._schedule()

    def queue_last(self, text: str) -> None:
        """A closing line (the cut note, a failure), sent with the stop: into the room kept for it once full."""
        if self.state is StreamState.STREAMING:
            self.queue_text(text, force=True)
        elif self.state is StreamState.FULL:
            self._add_text(text[:CUT_NOTE_ROOM])

    def _add_text(self, text: str) -> None:
        self._chars += len(text)
        last = self._pending[-1] if self._pending else None
        if isinstance(last, MarkdownTextChunk):
            last.text += text
        else:
            self._pending.append(MarkdownTextChunk(text=text))

    def _continue_in_new_message(self) -> None:
        """This message is full: stop it and stream the rest into a new one in the thread."""
        try:
            self._flush_now()
            self._stop()
            self.open()
        except SlackCallFailed:
            self._to(StreamState.BROKEN)

    # -- sending -----------------------------------------------------------------------------------------------

    def _schedule(self) -> None:
        if not self.sending or not (self._pending or self._text_waiting):
            return
        wait = STREAM_INTERVAL - (time.monotonic() - self._last_send)
        if wait <= 0:
            with contextlib.suppress(SlackCallFailed):
                self._flush_now()
        elif self._timer is None:
            self._timer = threading.Timer(wait, self._on_timer)
            self._timer.daemon = True
            self._timer.start()

    def _on_timer(self) -> None:
        with self.lock:
            self._timer = None
            if self.sending:
                with contextlib.suppress(SlackCallFailed):
                    self._flush_now()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _flush_now(self) -> None:
        self.pull_text()
        if not self.sending or not self._pending:
            return
        chunks, self._pending = self._pending, []
        self._last_send = time.monotonic()
        try:
            call(self.log, "chat.appendStream", self.streams[-1].append, chunks=chunks)
        except SlackCallFailed:
            self._to(StreamState.BROKEN)
            raise

    def _stop(self, blocks: list[dict[str, Any]] | None = None, chunks: list[Chunk] | None = None) -> None:
        """Stop the current stream with what is pending (kept pending if Slack refuses, for a retry) and `blocks`."""
        self.pull_text()
        call(self.log, "chat.stopStream", self.streams[-1].stop, chunks=self._pending + (chunks or []),
             blocks=blocks)
        self._pending = []

    # -- ending ------------------------------------------------------------------------------------------------

    def close(self, blocks: list[dict[str, Any]] | None = None, plain_tail: str = "") -> bool:
        """Stop the stream with what is pending and `blocks` under it; if Slack refuses the blocks, with
        `plain_tail` as text instead. False if it cannot be completed (broken, or Slack refused that too): the
        stream may still be open, and the answer replaces it (see end)."""
        self._cancel_timer()
        if not self.sending:
            return False
        try:
            self._stop(blocks=blocks)
            self._to(StreamState.CLOSED)
            return True
        except SlackCallFailed as e:
            if not (blocks and refused_content(e)):
                self._to(StreamState.BROKEN)
                return False
        self.log.warning("Slack refused the stream's closing blocks; stopping it with plain text")
        try:
            self._stop(chunks=[MarkdownTextChunk(text="\n\n" + plain_tail)] if plain_tail.strip() else None)
            self._to(StreamState.CLOSED)
            return True
        except SlackCallFailed:
            self._to(StreamState.BROKEN)
            return False

    def end(self) -> set[str]:
        """Stop every stream still open, deleting one Slack will not stop (never leave it open with only task
        cards), to replace what was streamed. Returns the streamed messages that still exist."""
        self._cancel_timer()
        self._pending = []
        self._to(StreamState.CLOSED)
        gone: set[str] = set()
        for stream in [s for s in self.streams if s.is_open]:
            try:
                call(self.log, "chat.stopStream", stream.stop)
                continue
            except SlackCallFailed as e:
                if e.error == "message_not_in_streaming_state":  # stopped already (e.g. by Slack itself)
                    stream.stopped()
                    continue
            try:
                call(self.log, "chat.delete", self.client.chat_delete, channel=self.channel, ts=stream.ts)
                stream.stopped()
                gone.add(str(stream.ts))
            except SlackCallFailed as e:
                self.log.error("streamed message %s could not be stopped or deleted (%s)", stream.ts, e.error)
                gone.add(str(stream.ts))  # an open stream cannot take the answer: post it anew
        return set(self.ts) - gone


def _boundary(text: str, limit: int) -> int:
    """Where to cut escaped text near `limit`: a newline or space, never inside an `&amp;`-style entity."""
    window = text[:limit]
    cut = max(window.rfind("\n"), window.rfind(" "))
    if cut < limit // 2:
        cut = limit
        amp = window.rfind("&", max(0, limit - 6))
        if amp != -1 and ";" not in window[amp:]:
            cut = amp
    return max(cut, 1)
