"""Web API writes that survive Slack's transient faults without duplicating or losing a message.

A 5xx or a timeout leaves a call's outcome unknown: Slack may have applied it. Calls that are safe to repeat
(chat.update with the same content, chat.delete, reads) are retried by the client's own retry handler, with
backoff. A post is not: a blind retry after a timeout can post a second copy. So every post of a turn carries
message metadata naming the event and the message's place in the answer (`part`), and before posting again we look
for it in the conversation: found, it is updated instead; not found, it is posted again (post_once).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.error import URLError
from urllib.parse import urlparse

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

Log = logging.LoggerAdapter | logging.Logger

# Writes that create or add something: repeating one whose outcome is unknown can duplicate it.
NOT_IDEMPOTENT = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.startStream", "chat.appendStream",
                            "chat.stopStream",
                            "files.completeUploadExternal"})  # shares the file: once per upload (uploads.py)
# Slack's own words for "try again" (HTTP 200 bodies); an HTTP 5xx is reported as "HTTP 5xx" (see call()).
TRANSIENT_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout",
                              "ratelimited", "TimeoutError", "URLError", "ConnectionResetError",
                              "RemoteDisconnected", "ConnectionError", "ConnectionAbortedError", "BrokenPipeError"})
META_TYPE = "oilfx_reply"     # message metadata event_type on every message of an answer
POST_ATTEMPTS = 3
POST_BACKOFF = 0.5            # seconds before the 2nd attempt; doubles after each
LOOKUP_LIMIT = 1000           # conversations.replies' maximum page


class SlackCallFailed(Exception):
    """A Web API call failed; str() names the method and Slack's error code."""

    def __init__(self, method: str, error: str) -> None:
        super().__init__(f"{method} failed: {error}")
        self.method, self.error = method, error


def call(log: Log, method: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run one Web API call; on failure log the method and Slack's error code and raise SlackCallFailed."""
    try:
        return fn(**kwargs)
    except SlackApiError as e:
        status = e.response.status_code
        # Slack's 5xx body is an HTML error page, which the SDK reports as a long "non-JSON" error string.
        error = f"HTTP {status}" if status >= 500 else str(e.response.get("error") or status)
        log.warning("Slack %s failed: %s", method, error)
        raise SlackCallFailed(method, error) from None
    except OSError as e:  # connection errors and timeouts that outlived the client's retry handlers
        log.warning("Slack %s failed: %s", method, type(e).__name__)
        raise SlackCallFailed(method, type(e).__name__) from None


def unsure(error: SlackCallFailed) -> bool:
    """A transient failure: worth another attempt, and the call may have been applied all the same."""
    return error.error.startswith("HTTP 5") or error.error in TRANSIENT_ERRORS


class IdempotentRetryHandler(ServerErrorRetryHandler):
    """The SDK's server-error handler (500/503 only), widened to every 5xx and to read timeouts, and narrowed to
    calls that are safe to repeat: posts and stream writes are retried by post_once / the stream's own fallback."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        if urlparse(request.url).path.rsplit("/", 1)[-1] in NOT_IDEMPOTENT:
            return False
        if response is not None:
            return response.status_code >= 500
        return isinstance(error, TimeoutError) or (isinstance(error, URLError)
                                                   and isinstance(error.reason, TimeoutError))


def retry_handlers() -> list[RetryHandler]:
    return [ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=3),
            IdempotentRetryHandler(max_retry_count=3)]


def metadata(key: str, part: int) -> dict[str, Any]:
    return {"event_type": META_TYPE, "event_payload": {"event_id": key, "part": part}}


def find_posted(client: WebClient, log: Log, channel: str, thread_ts: str | None, key: str) -> dict[int, list[str]]:
    """Our messages for event `key` in the thread (or at the channel's top level): part -> their ts, oldest first.
    Empty if the lookup fails (e.g. an install without the *:history scopes): the caller then posts again."""
    try:
        if thread_ts:
            response = call(log, "conversations.replies", client.conversations_replies, channel=channel,
                            ts=thread_ts, include_all_metadata=True, limit=LOOKUP_LIMIT)
        else:
            response = call(log, "conversations.history", client.conversations_history, channel=channel,
                            include_all_metadata=True, limit=100)
    except SlackCallFailed as e:
        if e.error != "thread_not_found":
            log.warning("could not look for an earlier post (%s); posting again may duplicate it", e.error)
        return {}
    found: dict[int, list[str]] = {}
    for message in sorted(response.get("messages") or [], key=lambda m: float(m.get("ts") or 0)):
        meta = message.get("metadata") or {}
        payload = meta.get("event_payload") or {}
        if meta.get("event_type") == META_TYPE and payload.get("event_id") == key:
            found.setdefault(int(payload.get("part") or 0), []).append(message["ts"])
    return found


def empty_messages(client: WebClient, log: Log, channel: str, thread_ts: str) -> tuple[list[str], bool]:
    """Bot messages in the thread that are still empty (nothing streamed, no blocks, no files) and untagged: streams
    Slack started for us although chat.startStream failed (it takes no metadata, and every message we finish has
    text and metadata or blocks). Oldest first, and whether the newest bot message of the thread is one of them."""
    try:
        response = call(log, "conversations.replies", client.conversations_replies, channel=channel, ts=thread_ts,
                        include_all_metadata=True, limit=LOOKUP_LIMIT)
    except SlackCallFailed:
        return [], False
    bots = sorted((m for m in response.get("messages") or [] if m.get("bot_id") and m.get("ts") != thread_ts),
                  key=lambda m: float(m.get("ts") or 0))
    empty = [m["ts"] for m in bots if not m.get("metadata") and not (m.get("text") or "").strip()
             and not m.get("blocks") and not m.get("files") and not m.get("attachments")]
    return empty, bool(bots) and bool(empty) and empty[-1] == bots[-1]["ts"]


def find_stream(client: WebClient, log: Log, channel: str, thread_ts: str) -> str | None:
    """The stream Slack started for us although chat.startStream failed: the thread's newest bot message, if it is
    still empty and untagged (see empty_messages)."""
    empty, newest = empty_messages(client, log, channel, thread_ts)
    return empty[-1] if newest else None


def post_once(client: WebClient, log: Log, channel: str, thread_ts: str | None, text: str,
              blocks: list[dict[str, Any]] | None, key: str | None, part: int = 0,
              look_first: bool = False) -> tuple[str, bool]:
    """Post a message exactly once: its ts, and whether an attempt's outcome was unknown (Slack may still apply it
    late: see progress.settle_later). With a key: tagged with metadata; after a failure whose outcome is unknown
    (or with look_first, after an earlier one), the conversation is searched for the tagged message, which is
    updated with this content instead of posting a copy. Raises SlackCallFailed."""
    args: dict[str, Any] = {"channel": channel, "thread_ts": thread_ts, "text": text, "blocks": blocks or None}
    if key is None:
        return call(log, "chat.postMessage", client.chat_postMessage, **args)["ts"], False
    was_unsure = look_first
    for attempt in range(POST_ATTEMPTS):
        if look_first or attempt:
            earlier = find_posted(client, log, channel, thread_ts, key).get(part)
            if earlier:
                log.info("Slack had applied an earlier post (%s part %d): updating it instead", earlier[0], part)
                call(log, "chat.update", client.chat_update, channel=channel, ts=earlier[0], text=text,
                     blocks=blocks or [])
                return earlier[0], was_unsure
        try:
            response = call(log, "chat.postMessage", client.chat_postMessage, metadata=metadata(key, part), **args)
            return response["ts"], was_unsure
        except SlackCallFailed as e:
            was_unsure = was_unsure or unsure(e)
            if not unsure(e) or attempt == POST_ATTEMPTS - 1:
                raise
            time.sleep(POST_BACKOFF * 2 ** attempt)
    raise AssertionError("unreachable")
