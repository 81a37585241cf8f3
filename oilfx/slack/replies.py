"""Two implementations of the turn's `Reply` (reply.py): a placeholder message updated in place
(`PlaceholderReply`) and a slash command's response_url (`ResponseUrlReply`); Slack's native streaming is in
streaming.py. `Delivery` puts an answer's messages into a thread so that none is lost: blocks first, the same
text without blocks if Slack refuses them, a one-line apology if that is refused too."""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from oilfx.engines.base import NullListener, ToolStep
from oilfx.i18n import Texts
from oilfx.slack.progress import ProgressSender, settle_later
from oilfx.slack.render import SlackMessage, plain_messages, render_apology, render_error, render_progress
from oilfx.slack.reply import FinalAnswer
from oilfx.slack.writes import SlackCallFailed, call, post_once, unsure

__all__ = ["SlackCallFailed", "call"]  # re-exported: listeners and tests import them from here

PROGRESS_INTERVAL = 1.0  # seconds between placeholder updates (chat.update is ~50/min per workspace)
# Slack's refusals of a message's content (chat.postMessage / chat.update / chat.stopStream): sending the same
# blocks again is refused again, so the answer goes out as plain text instead.
CONTENT_REFUSALS = frozenset({
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "msg_blocks_too_long", "too_many_blocks",
    "invalid_attachments", "too_many_attachments", "invalid_chunks", "invalid_arguments", "no_text",
    "markdown_text_conflict",
})


def refused_content(error: SlackCallFailed) -> bool:
    return error.error in CONTENT_REFUSALS


class Delivery:
    """Puts messages into one thread, the first one in place of `replace` (a placeholder or a stopped stream)
    when given. Refused blocks -> the rest of the answer as plain mrkdwn text, split; refused again -> a one-line
    apology. Other failures (e.g. channel_not_found) raise SlackCallFailed: there is nowhere to answer.
    With a `key` (the event id) each post is tagged and posted once (writes.post_once): a post Slack applied but
    answered with a 5xx or a timeout is found and updated, never posted twice. `texts`: the reader's language,
    for the apology."""

    def __init__(self, client: WebClient, channel: str, thread_ts: str | None,
                 log: logging.LoggerAdapter | logging.Logger, texts: Texts, key: str | None = None) -> None:
        self.client, self.channel, self.thread_ts, self.log, self.key = client, channel, thread_ts, log, key
        self.texts = texts
        self.sent: dict[int, str] = {}        # part -> ts of each message of the answer
        self.first: SlackMessage | None = None  # what the first message finally says (blocks or plain text)
        self.unsure = False                   # a write's outcome was unknown: a late copy may appear (settle)

    def send(self, messages: list[SlackMessage], replace: str | None = None, look_first: bool = False,
             part: int = 0) -> str:
        """The first message's ts (a new thread's key when thread_ts is None). look_first: an earlier post of
        this answer may exist (e.g. a placeholder whose post timed out): look for it before posting. `part`: the
        first message's place in the turn's messages (each post's metadata names its own)."""
        return self._each(messages, replace, None, blocks=True, offset=part, look_first=look_first)

    def _each(self, messages: list[SlackMessage], replace: str | None, first: str | None, blocks: bool,
              offset: int, look_first: bool) -> str:
        for i, message in enumerate(messages):
            target = replace if i == 0 else None
            try:
                ts = self.put(message, target, first, part=offset + i, look_first=look_first and i == 0)
            except SlackCallFailed as e:
                if not refused_content(e):
                    raise
                if blocks:
                    self.log.warning("Slack refused the answer's blocks (%s); sending it as plain text", e.error)
                    return self._each(plain_messages(messages[i:]), target, first, False, offset + i, look_first)
                self.log.error("Slack refused the answer as plain text too (%s); apologising", e.error)
                return first or self.put(render_apology(e.error, self.texts), target, first, part=offset + i)
            first = first or ts
        assert first is not None
        return first

    def put(self, message: SlackMessage, replace: str | None = None, thread_of: str | None = None,
            part: int = 0, look_first: bool = False) -> str:
        """Update `replace` with the message, or post it (into thread_ts, else under `thread_of`). blocks=[] on an
        update clears the placeholder's blocks (omitted, Slack keeps them); a post without blocks omits them."""
        if replace is not None:
            try:
                call(self.log, "chat.update", self.client.chat_update, channel=self.channel, ts=replace,
                     text=message.text, blocks=message.blocks)
                return self._sent(part, replace, message)
            except SlackCallFailed as e:
                # Refused content is the caller's to handle. A 5xx or timeout that outlived the client's retries
                # may have been applied: posting anew could show the answer twice.
                if refused_content(e) or unsure(e):
                    raise
                # e.g. the placeholder was deleted: post the answer anew
        try:
            ts, was_unsure = post_once(self.client, self.log, self.channel, self.thread_ts or thread_of,
                                       message.text, message.blocks, self.key, part, look_first)
        except SlackCallFailed as e:
            self.unsure = self.unsure or unsure(e)
            raise
        self.unsure = self.unsure or was_unsure
        return self._sent(part, ts, message)

    def _sent(self, part: int, ts: str, message: SlackMessage) -> str:
        self.sent[part] = ts
        if part == 0:
            self.first = message
        return ts


class PlaceholderReply:
    """Posts "Looking up crude prices…" (in the reader's language) at once, updates it with the tools running (at
    most once per PROGRESS_INTERVAL, best effort, off the turn's thread), then replaces it with the answer; further
    messages follow in the same thread. If Slack fails the placeholder post transiently, the turn goes on and the
    answer is posted when it is ready. `key` (the event id) tags our posts so that none is posted twice; `texts`:
    the reader's language, for everything the placeholder says."""

    def __init__(self, client: WebClient, channel: str, thread_ts: str | None,
                 log: logging.LoggerAdapter | logging.Logger, texts: Texts, key: str | None = None) -> None:
        self.client, self.channel, self.thread_ts, self.log, self.key = client, channel, thread_ts, log, key
        self.texts = texts
        self.ts: str | None = None
        self._lock = threading.Lock()
        self._finished = False
        self._last_progress = 0.0
        self._unsure = False  # the placeholder post failed transiently: Slack may have applied it all the same
        self._progress = ProgressSender(client, channel, log)
        self._running: dict[str, str] = {}  # call id -> tool name, for the progress line
        self._done: list[str] = []
        self.stray_stream = False  # a failed chat.startStream (see streaming.py) may yet open a stream here

    def _delivery(self) -> Delivery:
        return Delivery(self.client, self.channel, self.thread_ts, self.log, self.texts, self.key)

    def start(self) -> None:
        first, delivery = render_progress(self.texts), self._delivery()
        try:
            try:
                self.ts = delivery.put(first)
            except SlackCallFailed as e:
                if not refused_content(e):
                    raise
                self.ts = delivery.put(SlackMessage(first.text))
        except SlackCallFailed as e:
            if not unsure(e):
                raise  # e.g. channel_not_found: nowhere to answer
            self.log.warning("placeholder not posted (%s); the answer will be posted when it is ready", e.error)
        self._unsure = delivery.unsure  # a copy of the placeholder may yet appear: look first, sweep after
        self._last_progress = time.monotonic()

    @property
    def streamed(self) -> bool:
        return False

    def tool_started(self, call_id: str, name: str, arguments: str) -> None:
        with self._lock:
            self._running[call_id] = name
            running, done = list(self._running.values()), list(self._done)
        self.progress(running, done)

    def tool_finished(self, step: ToolStep) -> None:
        with self._lock:
            self._running.pop(step.call_id, None)
            self._done.append(step.name)
            running, done = list(self._running.values()), list(self._done)
        self.progress(running, done)

    def text_delta(self, delta: str) -> None:
        pass  # the answer replaces the placeholder whole: model text is not shown as it comes

    def progress(self, running: list[str], done: list[str]) -> None:
        with self._lock:
            now = time.monotonic()
            if self._finished or self.ts is None or now - self._last_progress < PROGRESS_INTERVAL:
                return
            self._last_progress = now
            ts = self.ts
        self._progress.send(ts, render_progress(self.texts, running, done))

    def finish(self, final: FinalAnswer) -> None:
        self.deliver(final.messages())

    def deliver(self, messages: list[SlackMessage]) -> None:
        """Replace the placeholder with `messages` (or post them, if it was never posted)."""
        with self._lock:
            self._finished = True
        late_progress = self._progress.close()  # the answer never races a progress update in flight
        delivery = self._delivery()
        self.ts = delivery.send(messages, replace=self.ts, look_first=self._unsure and self.ts is None)
        # Only once delivered: a sweep after a failed delivery could delete the one message the user has.
        settle_later(self.client, self.log, self.channel, self.thread_ts, self.key, delivery.sent, delivery.first,
                     reapply=late_progress, sweep=self._unsure or delivery.unsure, streams=self.stray_stream)

    def fail(self, reason: str) -> None:
        self.deliver([render_error(reason)])


class ResponseUrlReply(NullListener):
    """A slash command's answer through its response_url (the bot is not in the channel). No progress updates
    (the tool and text events are NullListener's no-ops): a response_url takes at most five posts."""

    def __init__(self, response_url: str, log: logging.LoggerAdapter | logging.Logger,
                 response_type: str = "in_channel") -> None:
        self.webhook = WebhookClient(response_url, retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2),
                                                                   RateLimitErrorRetryHandler(max_retry_count=3)])
        self.log, self.response_type = log, response_type
        self.ts: str | None = None

    @property
    def streamed(self) -> bool:
        return False

    def start(self) -> None:
        pass

    def finish(self, final: FinalAnswer) -> None:
        self.deliver(final.messages())

    def deliver(self, messages: list[SlackMessage]) -> None:
        for message in messages[:5]:
            self.send(message, self.response_type)

    def fail(self, reason: str) -> None:
        self.send(render_error(reason), "ephemeral")

    def send(self, message: SlackMessage, response_type: str) -> None:
        response = self.webhook.send(text=message.text, blocks=message.blocks, response_type=response_type)
        if response.status_code != 200:
            self.log.warning("Slack response_url post failed: HTTP %s %s", response.status_code, response.body)
            raise SlackCallFailed("response_url", f"HTTP {response.status_code}")
