"""Slack's native streaming as a third `Reply`: chat.startStream -> appendStream -> stopStream.

Each tool call is a task (`task_update` chunk, in_progress -> complete/error with a one-line result) and the model's
text streams as `markdown_text`, both batched to one appendStream per STREAM_INTERVAL. Model text is untrusted:
`SafeText` releases only what can be made safe now (a `<...` that may become `<!channel>`, a number that may become
an amount of money are held back), scrubs amounts no tool produced (figures.scrub, as the guard does) and
neutralises the rest as render.py does (stream_text.py). Where chat.startStream fails (no AI features, old
workspace) the turn falls back to the placeholder.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from typing import Any

from slack_sdk import WebClient

from oilfx.engines.base import Answer, ToolStep
from oilfx.guard import sourced_figures
from oilfx.slack.caps import CUT_NOTE_ROOM, MAX_ANSWER_MESSAGES, clean_text, cut_note
from oilfx.slack.render import SlackMessage, render_error
from oilfx.slack.replies import Delivery, PlaceholderReply, SlackCallFailed, call, refused_content
from oilfx.slack.stream_text import SafeText, make_safe, task_result, task_title
from oilfx.slack.writes import find_stream, unsure

STREAM_INTERVAL = 0.5        # seconds between appendStream calls for one message (Slack rate-limits writes)
STREAM_TEXT_LIMIT = 3500     # characters streamed into one message; the rest continues in a new one (msg_too_long)
TASK_DISPLAY_MODE = "timeline"

# --- the reply --------------------------------------------------------------------------------------------------

class StreamingReply:
    """Streams one turn into a thread. Also the engine's listener (tasks and text), through turns._Progress."""

    def __init__(self, client: WebClient, channel: str, thread_ts: str, team: str, user: str,
                 log: logging.LoggerAdapter | logging.Logger, key: str | None = None) -> None:
        self.client, self.channel, self.thread_ts, self.log = client, channel, thread_ts, log
        self.key = key  # the event id: tags our posts (writes.post_once)
        self.team, self.user = team, user
        self.ts: str | None = None
        self.streams: list[str] = []          # ts of each streamed message (a long answer continues in a new one)
        self._open: set[str] = set()          # streams started and not yet stopped
        self.fallback: PlaceholderReply | None = None
        self._lock = threading.RLock()
        self._pending: list[dict[str, Any]] = []
        self._chars = 0                       # characters streamed into the current message
        self._last_send = 0.0
        self._timer: threading.Timer | None = None
        self._broken = False                  # an append failed: the answer replaces the stream at the end
        self._closed = False
        self._cut = False                     # MAX_ANSWER_MESSAGES are full: further text is dropped, noted at the end
        self._text = SafeText()
        self._steps: list[ToolStep] = []
        self._tasks: dict[str, str] = {}     # call id -> title, while running
        self._ids: dict[str, str] = {}       # call id -> our task id (model-chosen ids never reach Slack)
        self._task_ids = itertools.count(1)

    @property
    def streaming(self) -> bool:
        return bool(self.streams) and self.fallback is None

    # -- Reply -------------------------------------------------------------------------------------------------

    def start(self) -> None:
        try:
            self._start_stream()
        except SlackCallFailed as e:
            if unsure(e) and (ts := find_stream(self.client, self.log, self.channel, self.thread_ts)):
                self.log.info("chat.startStream failed (%s) but Slack started the stream: using %s", e.error, ts)
                self._started(ts)
                return
            self.log.info("streaming unavailable (%s); answering with a placeholder message", e.error)
            self.fallback = PlaceholderReply(self.client, self.channel, self.thread_ts, self.log, self.key)
            self.fallback.stray_stream = unsure(e)
            self.fallback.start()
            self.ts = self.fallback.ts

    def progress(self, running: list[str], done: list[str]) -> None:
        if self.fallback is not None:
            self.fallback.progress(running, done)

    def finish(self, messages: list[SlackMessage]) -> None:
        """The answer replaces whatever was streamed (used when the streamed text cannot simply be completed):
        every open stream is stopped (or deleted if Slack will not stop it), then the answer goes into the first
        streamed message, or anew."""
        if not self.streams:
            self._placeholder().finish(messages)
            return
        with self._lock:
            self._cancel_timer()
            self._closed = True
            self._pending = []
            kept = self._end_streams()
        for extra in self.streams[1:]:
            if extra in kept:
                with contextlib.suppress(SlackCallFailed):
                    call(self.log, "chat.delete", self.client.chat_delete, channel=self.channel, ts=extra)
        first = self.streams[0] if self.streams[0] in kept else None
        self.ts = Delivery(self.client, self.channel, self.thread_ts, self.log, self.key).send(messages, replace=first)

    def fail(self, reason: str) -> None:
        if not self.streaming or self._broken:
            self.finish([render_error(reason)])
            return
        with self._lock:
            for task_id, title in self._tasks.items():  # tasks still running end with the turn
                self._queue_chunk({"type": "task_update", "id": task_id, "title": title, "status": "error"})
            self._tasks.clear()
            self._queue_text(self._text.end(), force=True)
            self._queue_last("\n\n" + render_error(reason).text)
        if not self._close():
            self.finish([render_error(reason)])

    def finish_answer(self, final_text: str, tail: list[dict[str, Any]], messages: list[SlackMessage],
                      extra: list[SlackMessage]) -> None:
        """End the stream with the answer: complete the streamed text (the guard's notes, or all of it when the
        engine did not stream), then stop with `tail` (sources, feedback) under it. If Slack refuses `tail`, stop
        with the sources as plain text instead. If what was streamed is not a prefix of the final text, or
        streaming broke, the rendered `messages` replace it. `extra` follow."""
        if not self.streams:
            self._placeholder().finish(messages + extra)
            return
        with self._lock:
            self._queue_text(self._text.end())
            shown = self._text.shown.rstrip()
            consistent = self.streaming and final_text.startswith(shown) and not self._broken
            if consistent:
                rest = final_text[len(shown):]
                if rest.strip():
                    self._queue_text(make_safe(rest))
                if self._cut:
                    self._queue_last("\n\n" + cut_note())
        if not consistent:
            self.log.info("streamed text differs from the final answer (or streaming broke); replacing it")
            self.finish(messages + extra)
            return
        if not self._close(blocks=tail, plain_tail=_tail_text(tail)):
            self.finish(messages + extra)
            return
        for i, message in enumerate(extra, start=1):  # part 0 is the stream
            Delivery(self.client, self.channel, self.thread_ts, self.log, self.key).send([message], part=i)

    def adopt(self, ts: str) -> None:
        """Take over a stream a killed process left open: nothing more is streamed into it; the answer (or the
        reason it failed) replaces it once stopped (see finish)."""
        with self._lock:
            self.streams, self.ts, self._broken = [ts], ts, True
            self._open.add(ts)

    # -- the engine's listener -----------------------------------------------------------------------------

    def tool_started(self, call_id: str, name: str, arguments: str) -> None:
        with self._lock:
            task_id = f"task_{next(self._task_ids)}"
            title = task_title(name, arguments)
            self._tasks[call_id] = title
            self._ids[call_id] = task_id
            self._queue_chunk({"type": "task_update", "id": task_id, "title": title, "status": "in_progress"})

    def tool_finished(self, step: ToolStep) -> None:
        with self._lock:
            self._steps.append(step)
            self._text.allowed = sourced_figures(Answer("", tuple(self._steps), "", ""))
            task_id = self._ids.get(step.call_id) or f"task_{next(self._task_ids)}"
            title = self._tasks.pop(step.call_id, None) or task_title(step.name, step.arguments)
            self._queue_chunk({"type": "task_update", "id": task_id, "title": title,
                               "status": "complete" if step.ok else "error", "output": task_result(step)})

    def text_delta(self, delta: str) -> None:
        with self._lock:
            self._queue_text(self._text.feed(clean_text(delta)))

    # -- internals ---------------------------------------------------------------------------------------------

    def _placeholder(self) -> PlaceholderReply:
        if self.fallback is None:  # never started (a takeover of an interrupted turn): update its message
            self.fallback = PlaceholderReply(self.client, self.channel, self.thread_ts, self.log, self.key)
            self.fallback.ts = self.ts
        return self.fallback

    def _start_stream(self) -> None:
        response = call(self.log, "chat.startStream", self.client.chat_startStream, channel=self.channel,
                        thread_ts=self.thread_ts, recipient_team_id=self.team or None,
                        recipient_user_id=self.user or None, task_display_mode=TASK_DISPLAY_MODE)
        self._started(response["ts"])

    def _started(self, ts: str) -> None:
        self.streams.append(ts)
        self._open.add(ts)
        self.ts = self.ts or ts
        self._chars = 0
        self._last_send = 0.0  # the first task or text goes out at once; later ones wait their interval

    def _queue_chunk(self, chunk: dict[str, Any]) -> None:
        if not self.streaming or self._closed:
            return
        self._pending.append(chunk)
        self._schedule()

    def _queue_text(self, text: str, force: bool = False) -> None:
        if not text or not self.streaming or self._closed:
            return
        while text and not self._cut:
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
                self._cut = True  # the rest of the answer is dropped; finish_answer adds the note
                self.log.warning("answer cut at %d streamed messages", MAX_ANSWER_MESSAGES)
                break
            self._continue_in_new_message()
            if self._broken:
                return
        if not force:
            self._schedule()

    def _queue_last(self, text: str) -> None:
        """A closing line (the cut note, a failure): into the room kept for it once the answer was cut."""
        if not self._cut:
            self._queue_text(text, force=True)
        elif self.streaming and not self._closed:
            self._add_text(text[:CUT_NOTE_ROOM])

    def _add_text(self, text: str) -> None:
        self._chars += len(text)
        if self._pending and self._pending[-1]["type"] == "markdown_text":
            self._pending[-1]["text"] += text
        else:
            self._pending.append({"type": "markdown_text", "text": text})

    def _continue_in_new_message(self) -> None:
        """This message is full: stop it and stream the rest into a new one in the thread."""
        try:
            self._flush_now()
            self._stop()
            self._start_stream()
        except SlackCallFailed:
            self._broken = True

    def _schedule(self) -> None:
        if self._broken or not self._pending:
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
        with self._lock:
            self._timer = None
            if not self._closed and not self._broken:
                with contextlib.suppress(SlackCallFailed):
                    self._flush_now()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _flush_now(self) -> None:
        if self._broken or not self._pending:
            return
        chunks, self._pending = self._pending, []
        self._last_send = time.monotonic()
        try:
            call(self.log, "chat.appendStream", self.client.chat_appendStream, channel=self.channel,
                 ts=self.streams[-1], chunks=chunks)
        except SlackCallFailed:
            self._broken = True
            raise

    def _stop(self, blocks: list[dict[str, Any]] | None = None, chunks: list[dict[str, Any]] | None = None) -> None:
        """Stop the current stream with what is pending (kept pending if Slack refuses, for a retry) and `blocks`."""
        chunks = self._pending + (chunks or [])
        call(self.log, "chat.stopStream", self.client.chat_stopStream, channel=self.channel, ts=self.streams[-1],
             chunks=chunks or None, blocks=blocks)
        self._pending = []
        self._open.discard(self.streams[-1])

    def _close(self, blocks: list[dict[str, Any]] | None = None, plain_tail: str = "") -> bool:
        """Stop the stream with what is pending and `blocks` under it; if Slack refuses the blocks, with
        `plain_tail` as text instead. False if Slack refused that too (the stream is still open: see finish)."""
        with self._lock:
            self._cancel_timer()
            self._closed = True
            if self._broken:
                return False
            try:
                self._stop(blocks=blocks)
                return True
            except SlackCallFailed as e:
                if not (blocks and refused_content(e)):
                    self._broken = True
                    return False
            self.log.warning("Slack refused the stream's closing blocks; stopping it with plain text")
            try:
                tail = [{"type": "markdown_text", "text": "\n\n" + plain_tail}] if plain_tail.strip() else None
                self._stop(chunks=tail)
                return True
            except SlackCallFailed:
                self._broken = True
                return False

    def _end_streams(self) -> set[str]:
        """Stop every stream still open, deleting one Slack will not stop (never leave it open with only task
        cards). Returns the streamed messages that still exist."""
        gone: set[str] = set()
        for ts in [t for t in self.streams if t in self._open]:
            try:
                call(self.log, "chat.stopStream", self.client.chat_stopStream, channel=self.channel, ts=ts)
                self._open.discard(ts)
                continue
            except SlackCallFailed as e:
                if e.error == "message_not_in_streaming_state":  # stopped already (e.g. by Slack itself)
                    self._open.discard(ts)
                    continue
            try:
                call(self.log, "chat.delete", self.client.chat_delete, channel=self.channel, ts=ts)
                self._open.discard(ts)
                gone.add(ts)
            except SlackCallFailed as e:
                self.log.error("streamed message %s could not be stopped or deleted (%s)", ts, e.error)
                gone.add(ts)  # an open stream cannot take the answer: post it anew
        return set(self.streams) - gone


def _tail_text(tail: list[dict[str, Any]]) -> str:
    """The mrkdwn of the closing blocks' context lines (the sources), to stop with if Slack refuses the blocks."""
    return "\n".join(e["text"] for b in tail if b.get("type") == "context"
                     for e in b.get("elements", []) if isinstance(e.get("text"), str))


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
