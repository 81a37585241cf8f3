"""The one tool loop every engine runs: rounds, tools, finish handling, and the invariant that a turn leaves its
conversation usable whatever failed. It knows no API: each is an adapter behind `Model` (items.py)."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from oilfx.config import Settings
from oilfx.engines.base import Answer, EngineError, ModelStep, NullListener, Step, TurnListener
from oilfx.engines.items import (
    STOPPED,
    Conversation,
    ConversationGone,
    Finish,
    FunctionOutput,
    InputItem,
    Model,
    ModelResponse,
    UserMessage,
)
from oilfx.i18n import Msg, lazy
from oilfx.metrics import METRICS
from oilfx.tools.context import ToolContext
from oilfx.tools.registry import ToolRegistry

log = logging.getLogger(__name__)


class LoopEngine:
    """An Engine: `model` is the adapter for one API (responses, assistants, chat)."""

    def __init__(self, model: Model, registry: ToolRegistry, settings: Settings) -> None:
        self.model, self.registry, self.settings = model, registry, settings
        self.name = model.name

    def ask(self, text: str, conversation: str | None = None, listener: TurnListener | None = None,
            context: ToolContext | None = None) -> Answer:
        try:
            return self._ask(text, conversation, listener, context)
        except ConversationGone as gone:
            if conversation is None or gone.ref != conversation:
                raise   # one this turn made vanished under it: say so rather than loop
            # Every later turn would meet the same 404: the thread would be broken for good. Answer in a new
            # conversation (its ref replaces the old one in the caller's store) and tell the user what was lost.
            log.info("conversation %s is gone (%s); answering in a new one", conversation, gone)
            answer = self._ask(text, None, listener, context)
            return replace(answer, notices=(*answer.notices, gone.notice))

    def _ask(self, text: str, conversation: str | None, listener: TurnListener | None,
             context: ToolContext | None) -> Answer:
        conv = self.model.open(conversation)
        # Outputs the tools produced that the API has not yet received: if the turn fails, they close its calls.
        undelivered: list[FunctionOutput] = []
        try:
            # An earlier failure or a dead process may have left calls without outputs; the API refuses
            # every request in this conversation until each has one.
            if not conv.created and (closed := conv.repair()):
                log.info("closed %d dangling tool call(s) in %s before the turn", closed, conv.ref)
            return self._turn(conv, text, listener or NullListener(), undelivered, context)
        except ConversationGone:
            raise   # nothing left to tidy
        except EngineError:
            self._clean_up(conv, undelivered)
            raise

    def _clean_up(self, conv: Conversation, undelivered: list[FunctionOutput]) -> None:
        """Best effort: the next turn's repair closes whatever this cannot (e.g. during an outage)."""
        try:
            if conv.created:
                conv.discard()     # no orphan conversation for a thread that never got an answer
            else:
                conv.repair(undelivered)
        except EngineError as e:
            log.warning("could not tidy %s after a failed turn (the next turn will): %s", conv.ref, e)

    def _turn(self, conv: Conversation, text: str, listener: TurnListener,
              undelivered: list[FunctionOutput], context: ToolContext | None) -> Answer:
        steps: list[Step] = []
        items: list[InputItem] = [UserMessage(text)]
        rounds = self.settings.max_tool_rounds
        for round_ in range(1, rounds + 2):
            last = round_ > rounds
            started = time.perf_counter()
            reply = conv.send(items, last, listener)
            METRICS.model_round(self.name, reply.usage.input_tokens, reply.usage.output_tokens)
            steps.append(_model_step(round_, (time.perf_counter() - started) * 1000, reply))
            if reply.finish is Finish.LENGTH:
                raise EngineError(lazy("The answer was cut off ({detail}) at the output cap of {cap} tokens "
                                       "(OILFX_MAX_OUTPUT_TOKENS); ask a narrower question or raise the cap.",
                                       detail=reply.detail, cap=self.settings.max_output_tokens))
            if reply.finish is Finish.FAILED:
                raise EngineError(_failed(reply.detail))
            if not reply.calls:
                answer = reply.text.strip()
                if not answer:
                    raise EngineError(lazy("The model finished without writing an answer; try asking again."))
                conv.commit(answer)
                return Answer(answer, tuple(_with_usage(steps, conv, self.name)), conv.ref, self.name,
                              self.settings.model)
            if last:
                undelivered[:] = [FunctionOutput(c.call_id, STOPPED) for c in reply.calls]
                break
            tool_steps = self.registry.call_all([(c.call_id, c.name, c.arguments) for c in reply.calls], round_,
                                                listener, context)
            steps.extend(tool_steps)
            items = [FunctionOutput(s.call_id, s.output) for s in tool_steps]
            undelivered[:] = items
        raise EngineError(lazy("The model kept asking for tools after {rounds} rounds; stopped without an answer.",
                               rounds=rounds))


def _failed(detail: Msg | str) -> Msg | str:
    """An adapter's FAILED detail is its own sentence (a Msg); a bare phrase from elsewhere made one."""
    if isinstance(detail, Msg):
        return detail
    return f"{detail[:1].upper()}{detail[1:]}." if detail else lazy("The model round failed; try asking again.")


def _model_step(round_: int, duration_ms: float, reply: ModelResponse) -> ModelStep:
    u = reply.usage
    return ModelStep(round_, duration_ms, u.input_tokens, u.output_tokens, len(reply.calls), u.reasoning_tokens,
                     u.cached_tokens)


def _with_usage(steps: list[Step], conv: Conversation, engine: str) -> list[Step]:
    usages = conv.round_usage()
    if not usages:
        return steps
    METRICS.tokens(engine, sum(u.input_tokens or 0 for u in usages), sum(u.output_tokens or 0 for u in usages))
    result: list[Step] = []
    for step in steps:
        if isinstance(step, ModelStep) and step.round <= len(usages):
            u = usages[step.round - 1]
            step = ModelStep(step.round, step.duration_ms, u.input_tokens, u.output_tokens, step.tool_calls,
                             u.reasoning_tokens, u.cached_tokens)
        result.append(step)
    return result
