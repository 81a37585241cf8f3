"""One conversational turn, from a Slack message to the answer in its thread.

claim the event (Slack retries and redeliveries answer once) -> wait for the thread's turn (in message order)
-> placeholder (posted beside the model's first round) and engine.ask with progress -> remember the conversation
-> render -> post. Every failure ends in a short message where the answer would have gone.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from slack_sdk import WebClient

from oilfx.engines.base import Answer, EngineError, ToolStep, with_notices
from oilfx.guard import guard_answer
from oilfx.services import Services
from oilfx.slack.caps import clean_text, question_too_long
from oilfx.slack.render import answer_footer, render_answer, render_steps, steps_breakdown, wants_steps
from oilfx.slack.replies import PlaceholderReply, Reply, ResponseUrlReply, SlackCallFailed
from oilfx.slack.streaming import StreamingReply
from oilfx.store import records
from oilfx.store.base import OpenReply, ThreadKey, TurnTicket
from oilfx.store.leases import EventLeases
from oilfx.store.records import AnswerRecord, StepsRecord

logger = logging.getLogger(__name__)

# Two messages to one thread can reach us (or two processes) in either order a few ms apart; a follow-up waits
# until this long after its arrival for an earlier message (lower ts) to enter the thread's queue. A thread's first
# message (its root) has nothing before it. Counted from arrival: a turn our pool picks up later does not wait.
ORDER_SETTLE_SECONDS = 0.15
TURN_WAIT_SECONDS = 600.0


@dataclass(frozen=True)
class TurnRequest:
    team: str
    channel: str
    user: str
    text: str
    event_id: str                  # dedupe key: the envelope's event_id, or the command's trigger_id
    order: str                     # the message ts: turns in one thread run in this order
    thread_ts: str | None          # the conversation's thread; None: a new thread started by our first reply
    reply_thread_ts: str | None    # where to post (None: top level, e.g. a top-level DM)
    kind: str = "mention"          # mention | dm | command
    response_url: str | None = None
    header: str = ""               # trusted mrkdwn above the answer (e.g. who asked, for /oilprice)


def thread_log(team: str, channel: str, thread_ts: str | None, event_id: str) -> logging.LoggerAdapter:
    """A logger whose every line names the Slack thread and event, so one turn can be followed."""
    context = f"team={team} channel={channel} thread_ts={thread_ts or '-'} event_id={event_id}"
    return _Adapter(logger, {"context": context})


class _Adapter(logging.LoggerAdapter):
    def process(self, msg, kwargs):  # type: ignore[no-untyped-def]
        return f"[{self.extra['context']}] {msg}", kwargs


class _ReplyStart:
    """The reply's first post (placeholder or chat.startStream), run on its own thread beside the model's first
    round, which does not need it: awaited, it put one Slack round trip on every turn's critical path.
    result() is the started reply, or raises what starting it raised (SlackCallFailed: nowhere to answer)."""

    def __init__(self, start: Callable[[], Reply]) -> None:
        self._done = threading.Event()
        self._reply: Reply | None = None
        self._error: BaseException | None = None
        threading.Thread(target=self._run, args=(start,), name="oilfx-reply-start", daemon=True).start()

    def _run(self, start: Callable[[], Reply]) -> None:
        try:
            self._reply = start()
        except BaseException as e:  # re-raised in the turn's thread by result()
            self._error = e
        finally:
            self._done.set()

    def result(self) -> Reply:
        self._done.wait()
        if self._error is not None:
            raise self._error
        assert self._reply is not None
        return self._reply

    def ready(self) -> Reply | None:
        """The reply for progress callbacks: waits for the start; None if it failed (the turn is abandoned)."""
        try:
            return self.result()
        except Exception:
            return None


class _Progress:
    """The engine's TurnListener: tells the reply which tools run and which finished (once the reply exists)."""

    def __init__(self, start: _ReplyStart, log: logging.LoggerAdapter) -> None:
        self.start, self.log = start, log
        self._lock = threading.Lock()
        self.running: dict[str, str] = {}
        self.done: list[str] = []

    def tool_started(self, call_id: str, name: str, arguments: str) -> None:
        reply = self.start.ready()
        if isinstance(reply, StreamingReply):  # tasks and text go to it as well
            reply.tool_started(call_id, name, arguments)
        with self._lock:
            self.running[call_id] = name
            running, done = list(self.running.values()), list(self.done)
        if reply is not None:
            reply.progress(running, done)

    def tool_finished(self, step: ToolStep) -> None:
        self.log.info("tool %s %s in %.0f ms", step.name, "ok" if step.ok else "failed", step.duration_ms)
        reply = self.start.ready()
        if isinstance(reply, StreamingReply):
            reply.tool_finished(step)
        with self._lock:
            self.running.pop(step.call_id, None)
            self.done.append(step.name)
            running, done = list(self.running.values()), list(self.done)
        if reply is not None:
            reply.progress(running, done)

    def text_delta(self, delta: str) -> None:
        reply = self.start.ready()
        if isinstance(reply, StreamingReply):
            reply.text_delta(delta)


@dataclass(frozen=True)
class _Arrival:
    """What submit() did when the message arrived: the event is ours, and its place in the thread's queue."""

    ticket: TurnTicket | None  # None: no thread yet (a top-level DM), so nothing to order
    at: float                  # time.monotonic() at arrival


class TurnRunner:
    """Runs turns on `executor` (our pool, not Bolt's: a turn takes seconds and many threads may be busy)."""

    def __init__(self, services: Services, client: WebClient, executor: Executor) -> None:
        self.services, self.client, self.executor = services, client, executor
        self._leases = EventLeases(services.store, services.settings.event_lease)

    def submit(self, request: TurnRequest) -> None:
        # Claimed and queued now, on the listener's thread: our pool may pick the turn up seconds later under load,
        # and a later message of the thread (on this or another process) must find this one ahead of it.
        arrival = self._arrive(request, thread_log(request.team, request.channel, request.thread_ts,
                                                   request.event_id))
        if arrival is not None:
            self.executor.submit(self.run, request, arrival)

    def _arrive(self, request: TurnRequest, log: logging.LoggerAdapter) -> _Arrival | None:
        store = self.services.store
        ticket, failure = None, None
        try:
            # Queued before the claim: whichever delivery of an event wins the claim has its entry queued already,
            # so the thread's next message, arriving after any delivery of this one, is queued behind it.
            if request.thread_ts is not None:
                ticket = store.enter_turn(ThreadKey(request.team, request.channel, request.thread_ts), request.order)
            # A process killed mid-turn leaves its lease; once it runs out, a redelivery takes the event over.
            claimed = store.claim_event(request.event_id, self.services.settings.event_lease)
        except Exception as e:
            log.exception("store failed to claim the event")
            claimed, failure = None, e
        if not claimed and ticket is not None:
            try:
                store.leave_turn(ticket)
            except Exception:
                log.exception("store failed to drop the turn's queue entry")
        if claimed is None:
            self.executor.submit(self._report, self._reply_for(request, log),
                                 _store_gone(failure) or "oilfx's store is unavailable; try again shortly.", log)
            return None
        if not claimed:
            log.info("event already handled or in progress; not answering again")
            return None
        self._leases.hold(request.event_id)
        return _Arrival(ticket, time.monotonic())

    def run(self, request: TurnRequest, arrival: _Arrival | None = None) -> None:
        log = thread_log(request.team, request.channel, request.thread_ts, request.event_id)
        store = self.services.store
        if arrival is None:
            arrival = self._arrive(request, log)
            if arrival is None:
                return
        try:
            if arrival.ticket is None:
                self._turn(request, log)
            else:
                self._ordered_turn(request, log, arrival.ticket, arrival.at)
        except TimeoutError:
            log.warning("thread busy: the turn could not start in time")
            self._report(self._reply_for(request, log),
                         "This thread is still busy with earlier questions; please ask again in a minute.", log)
        except Exception as e:
            log.exception("turn failed")
            self._report(self._reply_for(request, log), _store_gone(e)
                         or f"Something went wrong on oilfx's side ({type(e).__name__}); please try again.", log)
        finally:
            self._leases.release(request.event_id)  # first: a renewal racing finish_event would report a lost lease
            try:
                store.finish_event(request.event_id)
            except Exception:
                log.exception("store failed to mark the event finished")

    def _ordered_turn(self, request: TurnRequest, log: logging.LoggerAdapter, ticket: TurnTicket,
                      arrived: float) -> None:
        store = self.services.store
        try:
            if request.order != request.thread_ts:
                time.sleep(max(0.0, arrived + ORDER_SETTLE_SECONDS - time.monotonic()))
            with store.thread_turn(ticket.key, request.order, timeout=TURN_WAIT_SECONDS, ticket=ticket):
                self._turn(request, log)
        finally:
            store.leave_turn(ticket)  # only if the turn never started (e.g. the wait failed): a no-op otherwise

    def _reply_for(self, request: TurnRequest, log: logging.LoggerAdapter) -> Reply:
        # Slack streams only into a thread, and outside DMs only to a known recipient (team and user).
        if (self.services.settings.stream and request.reply_thread_ts and request.kind != "command"
                and (request.channel.startswith("D") or (request.team and request.user))):
            return StreamingReply(self.client, request.channel, request.reply_thread_ts, request.team,
                                  request.user, log, key=request.event_id)
        return PlaceholderReply(self.client, request.channel, request.reply_thread_ts, log, key=request.event_id)

    def _report(self, reply: Reply, reason: str, log: logging.LoggerAdapter) -> None:
        try:
            reply.fail(reason)
        except SlackCallFailed:
            log.error("could not tell the user: %s", reason)

    def _start(self, request: TurnRequest, log: logging.LoggerAdapter) -> Reply:
        reply = self._reply_for(request, log)
        interrupted = self.services.store.get_open_reply(request.event_id)
        if interrupted:
            # An earlier owner of this event died after posting its reply: answer there, not a second time.
            log.warning("taking over an interrupted turn; its %s %s gets the answer",
                        "stream" if interrupted.streamed else "placeholder", interrupted.ts)
            return resume_reply(self.client, interrupted, request, reply, log)
        try:
            reply.start()
        except SlackCallFailed as e:
            if request.response_url and e.error in {"not_in_channel", "channel_not_found"}:
                log.info("bot is not in the channel; answering through the command's response_url")
                return ResponseUrlReply(request.response_url, log)
            raise
        if reply.ts:
            # Until finish_event: a redelivery or a restarted bot (orphans.py) finishes it if this process dies.
            streamed = isinstance(reply, StreamingReply) and reply.streaming
            try:
                self.services.store.open_reply(OpenReply(
                    request.event_id, request.channel, reply.ts, request.reply_thread_ts, streamed,
                    json.dumps(dataclasses.asdict(request), ensure_ascii=False), time.time()))
            except Exception:
                # The reply is posted: the turn goes on in it (a store that is gone fails it later, saying why,
                # here) rather than leave it open and post the failure in another. Only a restart could not
                # finish this turn if the process died now.
                log.exception("store failed to register the open reply")
        return reply

    def take_over(self, request: TurnRequest) -> bool:
        """Answer an event whose process died mid-turn (orphans.py), if its lease has run out: claimed like a
        redelivery, so once across processes; the turn then answers in the reply the dead process left."""
        store = self.services.store
        if not store.claim_event(request.event_id, self.services.settings.event_lease):
            return False
        try:
            ticket = (store.enter_turn(ThreadKey(request.team, request.channel, request.thread_ts), request.order)
                      if request.thread_ts is not None else None)
        except Exception:
            store.finish_event(request.event_id)  # raise below; never leave it claimed and unanswered for good
            raise
        self._leases.hold(request.event_id)
        self.executor.submit(self.run, request, _Arrival(ticket, time.monotonic()))
        return True

    def _turn(self, request: TurnRequest, log: logging.LoggerAdapter) -> None:
        started = time.perf_counter()
        log.info("turn started (%s, %d chars)", request.kind, len(request.text))
        start = _ReplyStart(lambda: self._start(request, log))
        try:
            self._answer(request, start, log, started)
        except Exception as e:  # anything unexpected still ends the placeholder with a message
            try:
                reply = start.result()  # failing to start: no post (Slack) or run()'s report (e.g. the store)
            except SlackCallFailed as failed:
                log.error("turn abandoned: cannot post in the channel (%s)", failed)
                return
            log.exception("turn failed")
            self._report(reply, _store_gone(e)
                         or f"Something went wrong on oilfx's side ({type(e).__name__}); please try again.", log)

    def _answer(self, request: TurnRequest, start: _ReplyStart, log: logging.LoggerAdapter, started: float) -> None:
        services, engine = self.services, self.services.engine
        if note := question_too_long(request.text, services.settings.max_question_chars):
            log.warning("question of %d characters not sent to the model (OILFX_MAX_QUESTION_CHARS)", len(request.text))
            self._report(start.result(), note, log)
            return
        # A turn without a thread starts one with its first post: a new thread has no conversation yet.
        early = ThreadKey(request.team, request.channel, request.thread_ts) if request.thread_ts else None
        conversation = services.store.get_conversation(early, engine.name) if early else None
        try:
            answer = engine.ask(request.text, conversation, _Progress(start, log))
        except EngineError as e:
            log.warning("engine failed: %s", e)
            self._report(start.result(), str(e), log)
            return
        answer = dataclasses.replace(answer, text=clean_text(answer.text))  # no lone surrogate reaches the store
        reply = start.result()
        thread_ts = request.thread_ts or reply.ts
        key = ThreadKey(request.team, request.channel, thread_ts) if thread_ts else None
        if key is not None:
            services.store.set_conversation(key, engine.name, answer.conversation)
        answer, removed = guard_answer(answer)
        if removed:
            log.warning("removed %d amount(s) no tool produced: %s", len(removed), ", ".join(removed))
        answer = with_notices(answer)   # e.g. the earlier context was lost: after the text, on both paths
        show_steps = services.settings.show_steps or wants_steps(request.text)
        steps_key = None if show_steps else self._save_steps(key, answer)
        feedback_key = self._save_answer(key, request, answer)
        messages = render_answer(answer, steps_key=steps_key, show_steps=show_steps, header=request.header,
                                 feedback_key=feedback_key)
        try:
            if isinstance(reply, StreamingReply):
                # Streamed: the task timeline stands in for "Show steps"; the breakdown follows only if asked.
                extra = render_steps(steps_breakdown(answer)) if show_steps else []
                body = render_answer(answer, steps_key=steps_key, header=request.header, feedback_key=feedback_key)
                reply.finish_answer(answer.text, answer_footer(answer, feedback_key), body, extra)
            else:
                reply.finish(messages)
        except SlackCallFailed as e:
            log.error("answer not delivered: %s", e)
            return
        log.info("turn answered in %.0f ms: %d tool call(s), %d message(s), conversation %s",
                 (time.perf_counter() - started) * 1000, len(answer.tool_steps), len(messages), answer.conversation)

    def _save_answer(self, key: ThreadKey | None, request: TurnRequest, answer: Answer) -> str:
        """Keep what a feedback click refers to; the buttons carry only this short key."""
        return records.keep(self.services.store, AnswerRecord(
            team=request.team, channel=request.channel, thread_ts=key.thread_ts if key else "",
            question=request.text, answer=answer.text, engine=f"{answer.engine} {answer.model}".strip()))

    def _save_steps(self, key: ThreadKey | None, answer: Answer) -> str:
        """Keep the breakdown for the "Show steps" button; the button carries only this short key."""
        return records.keep(self.services.store,
                            StepsRecord(thread=str(key) if key else "", breakdown=steps_breakdown(answer)))


def _store_gone(e: BaseException | None) -> str | None:
    """What users are told about a store that will not come back by itself (StoreGone: its file was deleted),
    where the answer would have gone; None for other failures."""
    why = getattr(e, "for_users", None)
    return f"oilfx's store is unavailable: {why}." if why else None


def resume_reply(client: WebClient, left: OpenReply, request: TurnRequest, reply: Reply,
                 log: logging.LoggerAdapter) -> Reply:
    """The reply a dead process left, to finish in place: a stream is adopted (stopped, then replaced), a
    placeholder updated."""
    if left.streamed:
        stream = reply if isinstance(reply, StreamingReply) else StreamingReply(
            client, left.channel, left.thread_ts or left.ts, request.team, request.user, log, key=request.event_id)
        stream.adopt(left.ts)
        return stream
    reply.ts = left.ts
    return reply

