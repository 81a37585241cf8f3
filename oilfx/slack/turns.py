"""One conversational turn, from a Slack message to the answer in its thread.

claim the event (Slack retries and redeliveries answer once) -> wait for the thread's turn (in message order)
-> the reply started beside the model's first round (reply_start.py) and engine.ask with the reply as its listener
-> remember the conversation -> guard -> the reply finishes with the answer. Every failure ends in a short message
where the answer would have gone.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from concurrent.futures import Executor, Future
from dataclasses import dataclass

from oilfx.engines.base import Answer, EngineError, with_notices
from oilfx.guard import guard_answer
from oilfx.metrics import METRICS, TurnOutcome
from oilfx.services import Services
from oilfx.slack import turn_notes
from oilfx.slack.arrivals import ARRIVALS
from oilfx.slack.caps import clean_text, question_too_long
from oilfx.slack.chart_post import attach_charts, requested_charts
from oilfx.slack.clients import NotInstalled, TeamClients
from oilfx.slack.language import Languages, left_reply, localise
from oilfx.slack.render import steps_breakdown, wants_steps
from oilfx.slack.replies import SlackCallFailed
from oilfx.slack.reply import FinalAnswer, Reply
from oilfx.slack.reply_start import ChooseReply, ReplyWhenStarted, choose_reply, start_beside, start_reply
from oilfx.slack.turn_log import thread_log
from oilfx.slack.turn_request import TurnRequest
from oilfx.store import records
from oilfx.store.base import ThreadKey, TurnTicket
from oilfx.store.leases import EventLeases
from oilfx.store.records import AnswerRecord, StepsRecord
from oilfx.tools.context import ToolContext

__all__ = ["TurnRequest", "TurnRunner", "thread_log"]  # where listeners and tests have always found them

logger = logging.getLogger(__name__)

# Two messages to one thread can reach us (or two processes) in either order a few ms apart; a follow-up waits
# until this long after its arrival for an earlier message (lower ts) to enter the thread's queue. A thread's first
# message (its root) has nothing before it. Counted from arrival: a turn our pool picks up later does not wait.
ORDER_SETTLE_SECONDS = 0.15
TURN_WAIT_SECONDS = 600.0


@dataclass(frozen=True)
class _Arrival:
    """What submit() did when the message arrived: the event is ours, and its place in the thread's queue."""

    ticket: TurnTicket | None  # None: no thread yet (a top-level DM), so nothing to order
    at: float                  # time.monotonic() at arrival


class TurnRunner:
    """Runs turns on `executor` (our pool, not Bolt's: a turn takes seconds and many threads may be busy)."""

    def __init__(self, services: Services, clients: TeamClients, executor: Executor,
                 choose: ChooseReply | None = None) -> None:
        # clients(team): the Web API client of the request's workspace (clients.py), looked up when the turn runs
        self.services, self.clients, self.executor = services, clients, executor
        # Which reply a request gets (the seam unit tests use to watch the turn through the Reply interface).
        self.choose: ChooseReply = choose or (
            lambda request, log: choose_reply(services, clients(request.team), request, log))
        self._leases = EventLeases(services.store, services.settings.event_lease)
        self.languages = Languages(services.store, services.settings.lang, services.settings.locale_ttl)
        self.arrivals = ARRIVALS

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
            METRICS.turn(request.kind, TurnOutcome.ERROR)  # the store could not claim it: the user is told so
            self.executor.submit(self._tell, request, functools.partial(turn_notes.store_unavailable, failure), log)
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
            METRICS.turn(request.kind, TurnOutcome.BUSY)
            self._tell(request, turn_notes.busy, log)
        except Exception as e:  # outside _turn (which counts its own): e.g. the store failed in the queue step
            log.exception("turn failed")
            METRICS.turn(request.kind, TurnOutcome.ERROR)
            self._tell(request, functools.partial(turn_notes.failed, e), log)
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
                # Earlier questions of the thread this process read first, then those another process read.
                if missing := self.arrivals.wait_for_earlier(request.channel, request.thread_ts, request.order,
                                                             team=request.team):
                    log.warning("earlier message(s) %s of the thread never reached the queue; going ahead",
                                ", ".join(missing))
                time.sleep(max(0.0, arrived + ORDER_SETTLE_SECONDS - time.monotonic()))
            with store.thread_turn(ticket.key, request.order, timeout=TURN_WAIT_SECONDS, ticket=ticket):
                self._turn(request, log)
        finally:
            store.leave_turn(ticket)  # only if the turn never started (e.g. the wait failed): a no-op otherwise

    def _tell(self, request: TurnRequest, reason: turn_notes.Note, log: logging.LoggerAdapter) -> None:
        """`reason` (written in the reader's language, once that is known) where the answer would have gone, in a
        reply of its own."""
        try:
            left = left_reply(self.services.store, request.event_id)
            request = localise(request, self.languages, self.clients(request.team), left)
            reply = self.choose(request, log)
        except NotInstalled as e:  # the team uninstalled: nowhere to say it
            log.error("could not tell the user (%s): %s", e, turn_notes.for_log(reason))
            return
        self._report(reply, reason(request.texts), log)

    def _report(self, reply: Reply, reason: str, log: logging.LoggerAdapter) -> None:
        try:
            reply.fail(reason)
        except SlackCallFailed:
            log.error("could not tell the user: %s", reason)

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
        try:
            client = self.clients(request.team)  # before the model runs: an uninstalled team costs no tokens
        except NotInstalled as e:
            log.error("turn abandoned: %s", e)
            return
        # The reader's language (maybe a users.info call) is found beside the model's first round, which does not
        # need it, and before the reply's first post, which does: the frame waits for it, the model never.
        localised: Future[TurnRequest] = Future()

        def begin() -> Reply:
            fallback = dataclasses.replace(request, lang=self.languages.workspace.value)
            try:   # read once: its language (localise) and the reply to finish (start_reply)
                left = self.services.store.get_open_reply(request.event_id)
            except Exception:
                localised.set_result(fallback)   # the turn fails on the store below; it must not wait for this
                raise
            try:   # it never raises; if it ever did, the turn must not wait for it forever
                localised.set_result(localise(request, self.languages, client, left))
            except Exception:
                log.exception("no reader's language found; using the workspace's")
                localised.set_result(fallback)
            return start_reply(self.services, client, localised.result(), log, self.choose, left)

        start = start_beside(begin)
        outcome = TurnOutcome.ERROR
        try:
            outcome = self._answer(request, localised, start, log, started)
        except Exception as e:  # anything unexpected still ends the placeholder with a message
            try:
                reply = start.result()  # failing to start: no post (Slack) or run()'s report (e.g. the store)
            except SlackCallFailed as failed:
                log.error("turn abandoned: cannot post in the channel (%s)", failed)
                outcome = TurnOutcome.UNDELIVERED
                return
            log.exception("turn failed")
            self._report(reply, turn_notes.failed(e, localised.result().texts), log)
        finally:
            METRICS.turn(request.kind, outcome, time.perf_counter() - started)

    def _answer(self, request: TurnRequest, localised: Future[TurnRequest], start: Future[Reply],
                log: logging.LoggerAdapter, started: float) -> TurnOutcome:
        services, engine = self.services, self.services.engine
        if len(request.text) > services.settings.max_question_chars:
            log.warning("question of %d characters not sent to the model (OILFX_MAX_QUESTION_CHARS)", len(request.text))
            note = question_too_long(request.text, services.settings.max_question_chars, localised.result().texts)
            self._report(start.result(), note or "", log)
            return TurnOutcome.REJECTED
        # A turn without a thread starts one with its first post: a new thread has no conversation yet.
        early = ThreadKey(request.team, request.channel, request.thread_ts) if request.thread_ts else None
        conversation = services.store.get_conversation(early, engine.name) if early else None
        try:
            answer = engine.ask(request.text, conversation, ReplyWhenStarted(start, log),
                                ToolContext(request.team, request.channel, request.user))
        except EngineError as e:
            log.warning("engine failed: %s", e)
            self._report(start.result(), localised.result().texts.render(e.text), log)
            return TurnOutcome.ENGINE_FAILED
        answer = dataclasses.replace(answer, text=clean_text(answer.text))  # no lone surrogate reaches the store
        reply = start.result()
        request = localised.result()   # set before the reply started: from here on the frame's language is known
        thread_ts = request.thread_ts or reply.ts
        key = ThreadKey(request.team, request.channel, thread_ts) if thread_ts else None
        if key is not None:
            services.store.set_conversation(key, engine.name, answer.conversation)
        answer, removed = guard_answer(answer, request.texts)
        if removed:
            log.warning("removed %d amount(s) no tool produced: %s", len(removed), ", ".join(removed))
        answer = with_notices(answer, request.texts)  # e.g. the earlier context was lost: after the text, both paths
        show_steps = services.settings.show_steps or wants_steps(request.text)
        steps_key = None if show_steps else self._save_steps(key, answer, request)
        feedback_key = self._save_answer(key, request, answer)
        try:
            reply.finish(FinalAnswer(answer, request.texts, steps_key=steps_key, feedback_key=feedback_key,
                                     show_steps=show_steps, header=request.header))
        except SlackCallFailed as e:
            log.error("answer not delivered: %s", e)
            return TurnOutcome.UNDELIVERED
        log.info("turn answered in %.0f ms: %d tool call(s), conversation %s",
                 (time.perf_counter() - started) * 1000, len(answer.tool_steps), answer.conversation)
        self._attach_charts(request, reply, answer, log)
        return TurnOutcome.ANSWERED

    def _attach_charts(self, request: TurnRequest, reply: Reply, answer: Answer, log: logging.LoggerAdapter) -> None:
        """After the answer (placeholder and stream alike): each chart its price_history calls asked for, drawn
        from the market and uploaded into the answer's thread. Nothing here may touch the delivered answer."""
        if not (charts := requested_charts(answer)):
            return
        thread = reply.ts if request.kind == "command" else request.reply_thread_ts
        if request.kind == "command" and thread is None:
            log.info("%d chart(s) not attached: the answer went through the command's response_url", len(charts))
            return
        try:
            attach_charts(self.clients(request.team), self.services.market, request.channel, thread, charts, log,
                          request.texts)
        except Exception:
            log.exception("charts not attached")

    def _save_answer(self, key: ThreadKey | None, request: TurnRequest, answer: Answer) -> str:
        """Keep what a feedback click refers to; the buttons carry only this short key."""
        return records.keep(self.services.store, AnswerRecord(
            team=request.team, channel=request.channel, thread_ts=key.thread_ts if key else "",
            question=request.text, answer=answer.text, engine=f"{answer.engine} {answer.model}".strip()))

    def _save_steps(self, key: ThreadKey | None, answer: Answer, request: TurnRequest) -> str:
        """Keep the breakdown for the "Show steps" button; the button carries only this short key. Written now, in
        the asker's language: the record keeps the text, not the steps."""
        breakdown = steps_breakdown(answer, request.texts)
        return records.keep(self.services.store, StepsRecord(thread=str(key) if key else "", breakdown=breakdown))



