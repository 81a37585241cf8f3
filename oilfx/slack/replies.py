"""Where a turn's progress and answer go. `Reply` is the interface: a placeholder message updated in place
(`PlaceholderReply`), a slash command's response_url (`ResponseUrlReply`) or Slack's native streaming
(streaming.py). `Delivery` puts an answer's messages into a thread so that none is lost: blocks first, the same
text without blocks if Slack refuses them, a one-line apology if that is refused too."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from oilfx.slack.render import SlackMessage, plain_messages, render_apology, render_error, render_progress

PROGRESS_INTERVAL = 1.0  # seconds between placeholder updates (chat.update is ~50/min per workspace)
# Slack's refusals of a message's content (chat.postMessage / chat.update / chat.stopStream): sending the same
# blocks again is refused again, so the answer goes out as plain text instead.
CONTENT_REFUSALS = frozenset({
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "msg_blocks_too_long", "too_many_blocks",
    "invalid_attachments", "too_many_attachments", "invalid_chunks", "invalid_arguments", "no_text",
    "markdown_text_conflict",
})


class SlackCallFailed(Exception):
    """A Web API call failed; str() names the method and Slack's error code."""

    def __init__(self, method: str, error: str) -> None:
        super().__init__(f"{method} failed: {error}")
        self.method, self.error = method, error


def call(log: logging.LoggerAdapter | logging.Logger, method: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run one Web API call; on failure log the method and Slack's error code and raise SlackCallFailed."""
    try:
        return fn(**kwargs)
    except SlackApiError as e:
        error = str(e.response.get("error") or e.response.status_code)
        log.warning("Slack %s failed: %s", method, error)
        raise SlackCallFailed(method, error) from None
    except OSError as e:  # connection errors that outlived the client's retry handler
        log.warning("Slack %s failed: %s", method, type(e).__name__)
        raise SlackCallFailed(method, type(e).__name__) from None


def refused_content(error: SlackCallFailed) -> bool:
    return error.error in CONTENT_REFUSALS


class Delivery:
    """Puts messages into one thread, the first one in place of `replace` (a placeholder or a stopped stream)
    when given. Refused blocks -> the rest of the answer as plain mrkdwn text, split; refused again -> a one-line
    apology. Other failures (e.g. channel_not_found) raise SlackCallFailed: there is nowhere to answer."""

    def __init__(self, client: WebClient, channel: str, thread_ts: str | None,
                 log: logging.LoggerAdapter | logging.Logger) -> None:
        self.client, self.channel, self.thread_ts, self.log = client, channel, thread_ts, log

    def send(self, messages: list[SlackMessage], replace: str | None = None) -> str:
        """The first message's ts (a new thread's key when thread_ts is None)."""
        return self._each(messages, replace, None, blocks=True)

    def _each(self, messages: list[SlackMessage], replace: str | None, first: str | None, blocks: bool) -> str:
        for i, message in enumerate(messages):
            target = replace if i == 0 else None
            try:
                ts = self.put(message, target, first)
            except SlackCallFailed as e:
                if not refused_content(e):
                    raise
                if blocks:
                    self.log.warning("Slack refused the answer's blocks (%s); sending it as plain text", e.error)
                    return self._each(plain_messages(messages[i:]), target, first, blocks=False)
                self.log.error("Slack refused the answer as plain text too (%s); apologising", e.error)
                return first or self.put(render_apology(e.error), target, first)
            first = first or ts
        assert first is not None
        return first

    def put(self, message: SlackMessage, replace: str | None = None, thread_of: str | None = None) -> str:
        """Update `replace` with the message, or post it (into thread_ts, else under `thread_of`). blocks=[] on an
        update clears the placeholder's blocks (omitted, Slack keeps them); a post without blocks omits them."""
        if replace is not None:
            try:
                call(self.log, "chat.update", self.client.chat_update, channel=self.channel, ts=replace,
                     text=message.text, blocks=message.blocks)
                return replace
            except SlackCallFailed as e:
                if refused_content(e):
                    raise
                # e.g. the placeholder was deleted: post the answer anew
        response = call(self.log, "chat.postMessage", self.client.chat_postMessage, channel=self.channel,
                        thread_ts=self.thread_ts or thread_of, text=message.text, blocks=message.blocks or None)
        return response["ts"]


class Reply(Protocol):
    ts: str | None  # the first message's ts once known (a new thread's key for /oilprice questions)

    def start(self) -> None: ...

    def progress(self, running: list[str], done: list[str]) -> None: ...

    def finish(self, messages: list[SlackMessage]) -> None: ...

    def fail(self, reason: str) -> None: ...


class PlaceholderReply:
    """Posts "Looking up crude prices…" at once, updates it with the tools running (at most once per
    PROGRESS_INTERVAL), then replaces it with the answer; further messages follow in the same thread."""

    def __init__(self, client: WebClient, channel: str, thread_ts: str | None,
                 log: logging.LoggerAdapter | logging.Logger) -> None:
        self.client, self.channel, self.thread_ts, self.log = client, channel, thread_ts, log
        self.ts: str | None = None
        self._lock = threading.Lock()
        self._finished = False
        self._last_progress = 0.0

    def start(self) -> None:
        first = render_progress()
        try:
            self.ts = Delivery(self.client, self.channel, self.thread_ts, self.log).put(first)
        except SlackCallFailed as e:
            if not refused_content(e):
                raise
            self.ts = Delivery(self.client, self.channel, self.thread_ts, self.log).put(SlackMessage(first.text))
        self._last_progress = time.monotonic()

    def progress(self, running: list[str], done: list[str]) -> None:
        with self._lock:
            now = time.monotonic()
            if self._finished or self.ts is None or now - self._last_progress < PROGRESS_INTERVAL:
                return
            self._last_progress = now
            message = render_progress(running, done)
            # progress is best effort; the answer still replaces the placeholder
            with contextlib.suppress(SlackCallFailed):
                call(self.log, "chat.update", self.client.chat_update, channel=self.channel, ts=self.ts,
                     text=message.text, blocks=message.blocks)

    def finish(self, messages: list[SlackMessage]) -> None:
        with self._lock:
            self._finished = True
        self.ts = Delivery(self.client, self.channel, self.thread_ts, self.log).send(messages, replace=self.ts)

    def fail(self, reason: str) -> None:
        self.finish([render_error(reason)])


class ResponseUrlReply:
    """A slash command's answer through its response_url (the bot is not in the channel). No progress updates:
    a response_url takes at most five posts."""

    def __init__(self, response_url: str, log: logging.LoggerAdapter | logging.Logger,
                 response_type: str = "in_channel") -> None:
        self.webhook = WebhookClient(response_url, retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2),
                                                                   RateLimitErrorRetryHandler(max_retry_count=3)])
        self.log, self.response_type = log, response_type
        self.ts: str | None = None

    def start(self) -> None:
        pass

    def progress(self, running: list[str], done: list[str]) -> None:
        pass

    def finish(self, messages: list[SlackMessage]) -> None:
        for message in messages[:5]:
            self.send(message, self.response_type)

    def fail(self, reason: str) -> None:
        self.send(render_error(reason), "ephemeral")

    def send(self, message: SlackMessage, response_type: str) -> None:
        response = self.webhook.send(text=message.text, blocks=message.blocks, response_type=response_type)
        if response.status_code != 200:
            self.log.warning("Slack response_url post failed: HTTP %s %s", response.status_code, response.body)
            raise SlackCallFailed("response_url", f"HTTP {response.status_code}")
