"""Best-effort writes beside a turn: progress updates of the placeholder, and settling an answer afterwards.

A progress update is a chat.update on its own thread with a short timeout and no retries: a slow Slack delays
neither the model nor the answer. The answer waits for an update in flight (at most PROGRESS_TIMEOUT), so the two
never race. An update that timed out may still be applied by Slack later, over the answer; and a post that timed
out may appear after we looked for it. So when either happened, `settle` goes back later, off the turn: it applies
the answer's first message again and deletes any copy of our messages that is not part of the answer.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref

from slack_sdk import WebClient

from oilfx.slack.render import SlackMessage
from oilfx.slack.writes import SlackCallFailed, call, empty_messages, find_posted, unsure

Log = logging.LoggerAdapter | logging.Logger

PROGRESS_TIMEOUT = 3.0           # seconds; at most the client's own timeout
SETTLE_AFTER = (2.0, 6.0)        # times the client's timeout after the answer: when to settle it

_quick: weakref.WeakKeyDictionary[WebClient, WebClient] = weakref.WeakKeyDictionary()
_quick_lock = threading.Lock()


def quick_client(client: WebClient) -> WebClient:
    """A client like `client` with a short timeout and no retries, for progress updates (which may be dropped)."""
    with _quick_lock:
        quick = _quick.get(client)
        if quick is None:
            quick = WebClient(token=client.token, base_url=client.base_url, retry_handlers=[],
                              timeout=min(float(client.timeout), PROGRESS_TIMEOUT))  # type: ignore[arg-type]
            _quick[client] = quick
        return quick


class ProgressSender:
    """Sends the newest progress message for one placeholder, one chat.update at a time, on its own thread."""

    def __init__(self, client: WebClient, channel: str, log: Log) -> None:
        self.client, self.channel, self.log = quick_client(client), channel, log
        self._lock = threading.Lock()
        self._next: tuple[str, SlackMessage] | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self.unsure = False  # an update timed out or failed ambiguously: Slack may still apply it

    def send(self, ts: str, message: SlackMessage) -> None:
        with self._lock:
            if self._closed:
                return
            self._next = (ts, message)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="oilfx-progress", daemon=True)
                self._thread.start()

    def close(self) -> bool:
        """No more updates; wait for the one in flight. True if one may still be applied late by Slack."""
        with self._lock:
            self._closed, self._next, thread = True, None, self._thread
        if thread is not None:
            thread.join(float(self.client.timeout or PROGRESS_TIMEOUT) + 1.0)
            if thread.is_alive():
                self.unsure = True
        return self.unsure

    def _run(self) -> None:
        while True:
            with self._lock:
                job, self._next = self._next, None
                if job is None or self._closed:
                    self._thread = None
                    return
            ts, message = job
            try:
                call(self.log, "chat.update", self.client.chat_update, channel=self.channel, ts=ts,
                     text=message.text, blocks=message.blocks)
            except SlackCallFailed as e:  # best effort: the answer replaces the placeholder anyway
                if unsure(e):
                    self.unsure = True


def settle_later(client: WebClient, log: Log, channel: str, thread_ts: str | None, key: str | None,
                 answer: dict[int, str], first: SlackMessage | None, reapply: bool, sweep: bool,
                 streams: bool = False) -> None:
    """In the background: `reapply` the answer's first message over a progress update Slack applied late,
    `sweep` copies of our posts (tagged with `key`) that are not the answer's messages `answer` (part -> ts), and
    delete empty `streams` a failed chat.startStream may have left open in the thread."""
    streams = streams and thread_ts is not None
    if not (reapply and first is not None and 0 in answer) and not (sweep and key) and not streams:
        return

    def run() -> None:
        waited = 0.0
        for factor in SETTLE_AFTER:
            delay = factor * float(client.timeout or 1) - waited
            time.sleep(max(0.0, delay))
            waited += max(0.0, delay)
            try:
                if reapply and first is not None and 0 in answer:
                    call(log, "chat.update", client.chat_update, channel=channel, ts=answer[0], text=first.text,
                         blocks=first.blocks or [])
                if streams and thread_ts is not None:
                    for ts in empty_messages(client, log, channel, thread_ts)[0]:
                        log.warning("deleting an empty stream Slack started late: %s", ts)
                        call(log, "chat.delete", client.chat_delete, channel=channel, ts=ts)
                if sweep and key:
                    keep = set(answer.values())
                    for copies in find_posted(client, log, channel, thread_ts, key).values():
                        for ts in copies:
                            if ts not in keep:
                                log.warning("deleting a copy of our message that Slack applied late: %s", ts)
                                call(log, "chat.delete", client.chat_delete, channel=channel, ts=ts)
            except SlackCallFailed:
                continue

    threading.Thread(target=run, name="oilfx-settle", daemon=True).start()
