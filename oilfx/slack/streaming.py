"""Slack's native streaming as a `Reply` (reply.py): one turn streamed into its thread.

Each tool call is a task (`TaskUpdateChunk`, in_progress -> complete/error with a one-line result) and the model's
text streams as `MarkdownTextChunk`s, both batched (stream_writer.py, over slack_sdk's ChatStream). Model text is
untrusted: `SafeText` releases only what can be made safe now (a `<...` that may become `<!channel>`, a number that
may become an amount of money are held back), scrubs amounts no tool produced (figures.py, as the guard does) and
neutralises the rest as render.py does (stream_text.py). Where chat.startStream fails (no AI features, old
workspace) the turn falls back to the placeholder, which then gets every call.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.models.messages.chunk import TaskUpdateChunk

from oilfx.engines.base import Answer, ToolStep
from oilfx.figures import REMOVED_MARK
from oilfx.guard import sourced_figures
from oilfx.i18n import Texts
from oilfx.slack.caps import clean_text, cut_note
from oilfx.slack.render import SlackMessage, render_error
from oilfx.slack.replies import Delivery, PlaceholderReply, SlackCallFailed, call
from oilfx.slack.reply import FinalAnswer
from oilfx.slack.stream_text import SafeText, make_safe, task_result, task_title
from oilfx.slack.stream_writer import STREAM_TEXT_LIMIT, StreamWriter
from oilfx.slack.writes import find_stream, unsure

__all__ = ["STREAM_TEXT_LIMIT", "StreamingReply"]  # the limit: e2e tests check streamed sizes against it


class StreamingReply:
    """Streams one turn into a thread; falls back to a PlaceholderReply where Slack will not stream."""

    def __init__(self, client: WebClient, channel: str, thread_ts: str, team: str, user: str,
                 log: logging.LoggerAdapter | logging.Logger, texts: Texts, key: str | None = None) -> None:
        self.client, self.channel, self.thread_ts, self.log = client, channel, thread_ts, log
        self.texts = texts  # the reader's language: task titles and results, notes, errors
        self.key = key  # the event id: tags our posts (writes.post_once)
        self.ts: str | None = None
        self.fallback: PlaceholderReply | None = None
        self.writer = StreamWriter(client, channel, thread_ts, team, user, log)
        self._text = SafeText(texts.render(REMOVED_MARK))   # the marker guard_answer puts in the final text
        self.writer.text_source = self._text.take
        self._steps: list[ToolStep] = []
        self._tasks: dict[str, str] = {}     # call id -> title, while running
        self._ids: dict[str, str] = {}       # call id -> our task id (model-chosen ids never reach Slack)
        self._task_ids = itertools.count(1)

    @property
    def streamed(self) -> bool:
        return bool(self.writer.streams) and self.fallback is None

    # -- Reply -------------------------------------------------------------------------------------------------

    def start(self) -> None:
        try:
            self.ts = self.writer.open()
        except SlackCallFailed as e:
            if unsure(e) and (ts := find_stream(self.client, self.log, self.channel, self.thread_ts)):
                self.log.info("chat.startStream failed (%s) but Slack started the stream: using %s", e.error, ts)
                self.writer.adopt(ts)
                self.ts = ts
                return
            self.log.info("streaming unavailable (%s); answering with a placeholder message", e.error)
            self.fallback = PlaceholderReply(self.client, self.channel, self.thread_ts, self.log, self.texts, self.key)
            self.fallback.stray_stream = unsure(e)
            self.fallback.start()
            self.ts = self.fallback.ts

    def adopt(self, ts: str) -> None:
        """Take over a stream a killed process left open: nothing more is streamed into it; the answer (or the
        reason it failed) replaces it once stopped (see replace)."""
        with self.writer.lock:
            self.writer.adopt(ts, broken=True)
            self.ts = ts

    def tool_started(self, call_id: str, name: str, arguments: str) -> None:
        if self.fallback is not None:
            self.fallback.tool_started(call_id, name, arguments)
            return
        with self.writer.lock:
            task_id = f"task_{next(self._task_ids)}"
            title = task_title(name, arguments, self.texts)
            self._tasks[call_id] = title
            self._ids[call_id] = task_id
            self.writer.queue_chunk(TaskUpdateChunk(id=task_id, title=title, status="in_progress"))

    def tool_finished(self, step: ToolStep) -> None:
        if self.fallback is not None:
            self.fallback.tool_finished(step)
            return
        with self.writer.lock:
            self.writer.pull_text()   # text written before this result is read without its figures, as it came
            self._steps.append(step)
            self._text.allowed = sourced_figures(Answer("", tuple(self._steps), "", ""))
            task_id = self._ids.get(step.call_id) or f"task_{next(self._task_ids)}"
            title = self._tasks.pop(step.call_id, None) or task_title(step.name, step.arguments, self.texts)
            self.writer.queue_chunk(TaskUpdateChunk(id=task_id, title=title,
                                                    status="complete" if step.ok else "error",
                                                    output=task_result(step, self.texts)))

    def text_delta(self, delta: str) -> None:
        if self.fallback is not None:
            return
        with self.writer.lock:
            self._text.add(clean_text(delta))
            self.writer.text_arrived()

    def finish(self, final: FinalAnswer) -> None:
        """End the stream with the answer: complete the streamed text (the guard's notes, or all of it when the
        engine did not stream), then stop with the footer (sources, feedback) under it; if Slack refuses the
        footer, with the sources as plain text. If what was streamed is not a prefix of the final text, or
        streaming broke, the rendered answer replaces it. The breakdown follows if asked for."""
        if not self.writer.streams:
            self._placeholder().deliver(final.messages())
            return
        text, writer = final.answer.text, self.writer
        with writer.lock:
            writer.queue_text(self._text.end())
            shown = self._text.shown.rstrip()
            consistent = self.streamed and text.startswith(shown) and writer.sending
            if consistent and (rest := text[len(shown):]).strip():
                writer.queue_text(make_safe(rest))
            if consistent and writer.full:
                writer.queue_last("\n\n" + cut_note(self.texts))
            footer = final.footer()
            completed = consistent and writer.close(blocks=footer, plain_tail=_tail_text(footer))
        if not consistent:
            self.log.info("streamed text differs from the final answer (or streaming broke); replacing it")
        if not completed:
            self.replace(final.replacement() + final.follow_ups())
            return
        for i, message in enumerate(final.follow_ups(), start=1):  # part 0 is the stream
            Delivery(self.client, self.channel, self.thread_ts, self.log, self.texts, self.key).send([message], part=i)

    def fail(self, reason: str) -> None:
        writer = self.writer
        if not self.streamed or not writer.sending:
            self.replace([render_error(reason)])
            return
        with writer.lock:
            for call_id, title in self._tasks.items():  # tasks still running end with the turn
                writer.queue_chunk(TaskUpdateChunk(id=self._ids[call_id], title=title, status="error"))
            self._tasks.clear()
            writer.queue_text(self._text.end(), force=True)
            writer.queue_last("\n\n" + render_error(reason).text)
            closed = writer.close()
        if not closed:
            self.replace([render_error(reason)])

    def replace(self, messages: list[SlackMessage]) -> None:
        """`messages` replace whatever was streamed (when the streamed text cannot simply be completed): every
        open stream is stopped (or deleted if Slack will not stop it), then the answer goes into the first
        streamed message, or anew."""
        if not self.writer.streams:
            self._placeholder().deliver(messages)
            return
        with self.writer.lock:
            kept = self.writer.end()
        streams = self.writer.ts
        for extra in streams[1:]:
            if extra in kept:
                with contextlib.suppress(SlackCallFailed):
                    call(self.log, "chat.delete", self.client.chat_delete, channel=self.channel, ts=extra)
        first = streams[0] if streams[0] in kept else None
        delivery = Delivery(self.client, self.channel, self.thread_ts, self.log, self.texts, self.key)
        self.ts = delivery.send(messages, replace=first)

    def _placeholder(self) -> PlaceholderReply:
        if self.fallback is None:  # never started (a takeover of an interrupted turn): update its message
            self.fallback = PlaceholderReply(self.client, self.channel, self.thread_ts, self.log, self.texts, self.key)
            self.fallback.ts = self.ts
        return self.fallback


def _tail_text(tail: list[dict[str, Any]]) -> str:
    """The mrkdwn of the closing blocks' context lines (the sources), to stop with if Slack refuses the blocks."""
    return "\n".join(e["text"] for b in tail if b.get("type") == "context"
                     for e in b.get("elements", []) if isinstance(e.get("text"), str))
