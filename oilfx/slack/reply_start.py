"""Getting a turn's reply started: which reply (stream, placeholder, response_url), its first post run beside the
model's first round, the reply an interrupted turn left (to finish in place), and its registration so that
another process can finish the turn if this one dies (orphans.py)."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from slack_sdk import WebClient

from oilfx.engines.base import ToolStep
from oilfx.i18n import Texts
from oilfx.services import Services
from oilfx.slack.replies import PlaceholderReply, ResponseUrlReply, SlackCallFailed
from oilfx.slack.reply import Reply
from oilfx.slack.streaming import StreamingReply
from oilfx.slack.turn_request import TurnRequest
from oilfx.store.base import OpenReply

ChooseReply = Callable[[TurnRequest, logging.LoggerAdapter], Reply]


def choose_reply(services: Services, client: WebClient, request: TurnRequest, log: logging.LoggerAdapter) -> Reply:
    # Slack streams only into a thread, and outside DMs only to a known recipient (team and user).
    if (services.settings.stream and request.reply_thread_ts and request.kind != "command"
            and (request.channel.startswith("D") or (request.team and request.user))):
        return StreamingReply(client, request.channel, request.reply_thread_ts, request.team,
                              request.user, log, request.texts, key=request.event_id)
    return PlaceholderReply(client, request.channel, request.reply_thread_ts, log, request.texts,
                            key=request.event_id)


def reopen_reply(client: WebClient, left: OpenReply, team: str, user: str,
                 log: logging.LoggerAdapter, texts: Texts) -> Reply:
    """The reply a dead process left, to finish in place (`texts`: its reader's language): a stream is adopted
    (stopped, then replaced), a placeholder updated."""
    if left.streamed:
        stream = StreamingReply(client, left.channel, left.thread_ts or left.ts, team, user, log, texts,
                                key=left.event_id)
        stream.adopt(left.ts)
        return stream
    placeholder = PlaceholderReply(client, left.channel, left.thread_ts, log, texts, key=left.event_id)
    placeholder.ts = left.ts
    return placeholder


def start_reply(services: Services, client: WebClient, request: TurnRequest, log: logging.LoggerAdapter,
                choose: ChooseReply, interrupted: OpenReply | None) -> Reply:
    """The turn's reply (`choose`: which one for this request), started, or `interrupted`, the one an earlier owner
    of the event left (the caller read it from the store); SlackCallFailed: nowhere to answer."""
    if interrupted:
        # An earlier owner of this event died after posting its reply: answer there, not a second time.
        log.warning("taking over an interrupted turn; its %s %s gets the answer",
                    "stream" if interrupted.streamed else "placeholder", interrupted.ts)
        return reopen_reply(client, interrupted, request.team, request.user, log, request.texts)
    reply = choose(request, log)
    try:
        reply.start()
    except SlackCallFailed as e:
        if request.response_url and e.error in {"not_in_channel", "channel_not_found"}:
            log.info("bot is not in the channel; answering through the command's response_url")
            return ResponseUrlReply(request.response_url, log)
        raise
    if reply.ts:
        # Until finish_event: a redelivery or a restarted bot (orphans.py) finishes it if this process dies.
        try:
            services.store.open_reply(OpenReply(
                request.event_id, request.channel, reply.ts, request.reply_thread_ts, reply.streamed,
                json.dumps(dataclasses.asdict(request), ensure_ascii=False), time.time()))
        except Exception:
            # The reply is posted: the turn goes on in it (a store that is gone fails it later, saying why,
            # here) rather than leave it open and post the failure in another. Only a restart could not
            # finish this turn if the process died now.
            log.exception("store failed to register the open reply")
    return reply


def start_beside(start: Callable[[], Reply]) -> Future[Reply]:
    """Run the reply's first post (placeholder or chat.startStream) on its own thread beside the model's first
    round, which does not need it: awaited, it put one Slack round trip on every turn's critical path. Not on
    the turn pool: a full pool would have every turn waiting for a start queued behind them."""
    future: Future[Reply] = Future()

    def run() -> None:
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(start())
            except BaseException as e:  # re-raised in the turn's thread by result()
                future.set_exception(e)

    threading.Thread(target=run, name="oilfx-reply-start", daemon=True).start()
    return future


class ReplyWhenStarted:
    """The engine's listener for one turn: each event goes to the reply once it has started (events wait for the
    start; if it failed, the turn is abandoned and they are dropped)."""

    def __init__(self, reply: Future[Reply], log: logging.LoggerAdapter) -> None:
        self.reply, self.log = reply, log

    def _ready(self) -> Reply | None:
        try:
            return self.reply.result()
        except Exception:
            return None

    def tool_started(self, call_id: str, name: str, arguments: str) -> None:
        if (reply := self._ready()) is not None:
            reply.tool_started(call_id, name, arguments)

    def tool_finished(self, step: ToolStep) -> None:
        self.log.info("tool %s %s in %.0f ms", step.name, "ok" if step.ok else "failed", step.duration_ms)
        if (reply := self._ready()) is not None:
            reply.tool_finished(step)

    def text_delta(self, delta: str) -> None:
        if (reply := self._ready()) is not None:
            reply.text_delta(delta)
