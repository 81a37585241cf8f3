"""The Assistants v2 adapter (shut down by OpenAI on 2026-08-26; for servers that still speak it).

One assistant per bot (settings.assistant_id, else created once and its id kept in EngineState), one thread per
conversation. A round is a run reaching a resting status: message + run for the first, submit_tool_outputs for
the next, polled at the server's `openai-poll-after-ms` hint with a deadline. A run left requires_action or
active by an earlier failure holds calls without outputs and blocks the thread: `repair` cancels it.
Token usage comes from the run steps at the end of the turn.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import warnings
from collections.abc import Sequence
from typing import Any

import openai

from oilfx.config import Settings
from oilfx.engines.base import EngineError, EngineState, TurnListener
from oilfx.engines.client import is_gone, make_client, openai_errors
from oilfx.engines.instructions import INSTRUCTIONS
from oilfx.engines.items import Finish, FunctionCall, FunctionOutput, InputItem, ModelResponse, Usage, UserMessage
from oilfx.engines.memory import MemoryState
from oilfx.engines.retry import stateful
from oilfx.i18n import lazy
from oilfx.tools.registry import ToolRegistry

log = logging.getLogger(__name__)
# The SDK marks every Assistants method deprecated; this module exists knowingly for servers that still serve it.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"oilfx\.engines\.assistants")

ACTIVE = ("queued", "in_progress", "cancelling")
DEFAULT_POLL_MS = 1000   # the SDK's own default when the server gives no hint


class AssistantsModel:
    name = "assistants"

    def __init__(self, settings: Settings, registry: ToolRegistry, state: EngineState | None = None,
                 client: openai.OpenAI | None = None) -> None:
        self.settings, self.registry = settings, registry
        self.state = state if state is not None else MemoryState()
        self.client = client or make_client(settings)
        self.runs = self.client.beta.threads.runs
        self.once = self.client.with_options(max_retries=0).beta.threads   # stateful requests: see retry.py
        self._assistant_lock = threading.Lock()

    def _meta_key(self) -> str:
        spec = json.dumps([INSTRUCTIONS, self.registry.chat_tools()], sort_keys=True)
        return f"assistants.assistant_id:{self.settings.model}:{hashlib.sha256(spec.encode()).hexdigest()[:12]}"

    def assistant_id(self, fresh: bool = False) -> str:
        if self.settings.assistant_id:
            return self.settings.assistant_id
        key = self._meta_key()
        with self._assistant_lock:  # concurrent first turns must not each create an assistant
            if not fresh and (known := self.state.get_meta(key)):
                return known
            assistant = self.client.beta.assistants.create(
                model=self.settings.model, name="oilfx", instructions=INSTRUCTIONS,
                tools=self.registry.chat_tools())
            self.state.set_meta(key, assistant.id)
            return assistant.id

    def open(self, conversation: str | None) -> AssistantsThread:
        if conversation is not None:
            return AssistantsThread(self, conversation, created=False)
        with openai_errors(self.settings):
            return AssistantsThread(self, self.client.beta.threads.create(metadata={"app": "oilfx"}).id, True)


class AssistantsThread:
    def __init__(self, model: AssistantsModel, ref: str, created: bool) -> None:
        self.m, self.ref, self.created = model, ref, created
        self.settings = model.settings
        self.run: Any = None
        self.hint = DEFAULT_POLL_MS
        self.durations: list[float] = []

    def repair(self, known: Sequence[FunctionOutput] = ()) -> int:
        """Cancel runs left waiting for outputs or still active: submitting late outputs would only make an
        answer nobody reads, and a cancelled run's calls no longer block the thread."""
        closed = 0
        with openai_errors(self.settings, self.ref):
            for run in self.m.runs.list(self.ref, limit=5, order="desc").data:
                if run.status in (*ACTIVE, "requires_action"):
                    log.info("cancelling run %s left %s on %s", run.id, run.status, self.ref)
                    if run.status != "cancelling":
                        stateful(self.settings, lambda run=run: self.m.once.runs.cancel(run.id, thread_id=self.ref),
                                 lambda run=run: self._settled(run.id))
                    self._wait(run.id, DEFAULT_POLL_MS // 10, cancel_on_timeout=False)
                    closed += 1
        return closed

    def _settled(self, run_id: str) -> Any:
        run = self.m.runs.retrieve(run_id, thread_id=self.ref)
        return run if run.status not in (*ACTIVE[:2], "requires_action") else None

    def send(self, items: Sequence[InputItem], last: bool, listener: TurnListener) -> ModelResponse:
        started = time.perf_counter()
        with openai_errors(self.settings, self.ref):
            first = items[0]
            if isinstance(first, UserMessage):
                stateful(self.settings, lambda: self.m.once.messages.create(self.ref, role="user", content=first.text),
                         lambda: self._message_landed(first.text))
                self.run, self.hint = stateful(self.settings, self._create_run, self._run_landed)
            else:
                outputs = [{"tool_call_id": o.call_id, "output": o.output} for o in items
                           if isinstance(o, FunctionOutput)]
                run_id = self.run.id
                self.run, self.hint = stateful(
                    self.settings, lambda: self._parsed(self.m.once.runs.with_raw_response.submit_tool_outputs(
                        run_id, thread_id=self.ref, tool_outputs=outputs)),
                    lambda: self._submit_landed(run_id))
            run = self.run = self._wait(self.run.id, self.hint)
            self.durations.append((time.perf_counter() - started) * 1000)
            return self._read(run)

    def _read(self, run: Any) -> ModelResponse:
        if run.status == "requires_action":
            calls = tuple(FunctionCall(c.id, c.function.name, c.function.arguments)
                          for c in run.required_action.submit_tool_outputs.tool_calls)
            return ModelResponse(Finish.TOOL_CALLS, calls)
        if run.status == "incomplete":
            reason = run.incomplete_details.reason if run.incomplete_details else "unknown reason"
            if reason == "max_completion_tokens":
                return ModelResponse(Finish.LENGTH, detail=f"the run ended 'incomplete' ({reason})")
            return ModelResponse(Finish.FAILED, detail=lazy("The run ended 'incomplete' ({reason}).", reason=reason))
        if run.status != "completed":
            error = run.last_error
            if error:   # the API's own code and message: data, quoted as they are
                return ModelResponse(Finish.FAILED, detail=lazy("The run ended '{status}' ({code}: {message}).",
                                                                status=run.status, code=error.code,
                                                                message=error.message))
            return ModelResponse(Finish.FAILED, detail=lazy("The run ended '{status}'.", status=run.status))
        messages = self.m.client.beta.threads.messages.list(self.ref, run_id=run.id, order="desc", limit=20)
        for message in messages.data:
            if message.role == "assistant":
                text = "\n".join(b.text.value for b in message.content if b.type == "text")
                return ModelResponse(Finish.DONE, text=text)
        return ModelResponse(Finish.DONE)

    @staticmethod
    def _parsed(raw: Any, hint: int = DEFAULT_POLL_MS) -> tuple[Any, int]:
        return raw.parse(), _poll_hint(raw.headers, hint)

    def _create_run(self) -> tuple[Any, int]:
        create = self.m.once.runs.with_raw_response.create
        cap = self.settings.max_output_tokens
        try:
            return self._parsed(create(self.ref, assistant_id=self.m.assistant_id(), max_completion_tokens=cap))
        except openai.NotFoundError as e:
            if self.settings.assistant_id or is_gone(e, self.ref):
                raise
            # The stored assistant was deleted on the server: make a new one once.
            return self._parsed(create(self.ref, assistant_id=self.m.assistant_id(fresh=True),
                                       max_completion_tokens=cap))

    # -- what a lost attempt left on the server
    def _message_landed(self, text: str) -> Any:
        newest = self.m.client.beta.threads.messages.list(self.ref, limit=1, order="desc").data
        found = newest and newest[0].role == "user" and "".join(
            b.text.value for b in newest[0].content if b.type == "text") == text
        return newest[0] if found else None

    def _run_landed(self) -> tuple[Any, int] | None:
        newest = self.m.runs.list(self.ref, limit=1, order="desc").data
        # repair() left no run active, so an active one is this turn's lost attempt
        return (newest[0], DEFAULT_POLL_MS) if newest and newest[0].status in (*ACTIVE, "requires_action") else None

    def _submit_landed(self, run_id: str) -> tuple[Any, int] | None:
        run = self.m.runs.retrieve(run_id, thread_id=self.ref)
        return None if run.status == "requires_action" and run.id == self.run.id and \
            run.required_action == self.run.required_action else (run, DEFAULT_POLL_MS)

    def _wait(self, run_id: str, hint_ms: int, cancel_on_timeout: bool = True) -> Any:
        deadline = time.monotonic() + self.settings.openai_timeout
        while True:
            raw = self.m.runs.with_raw_response.retrieve(run_id, thread_id=self.ref)
            run = raw.parse()
            hint_ms = _poll_hint(raw.headers, hint_ms)
            if run.status not in ACTIVE:
                return run
            if time.monotonic() + hint_ms / 1000 > deadline:
                if cancel_on_timeout:
                    try:
                        self.m.runs.cancel(run_id, thread_id=self.ref)
                    except openai.OpenAIError as e:
                        log.warning("could not cancel stuck run %s: %s", run_id, e)
                seconds = f"{self.settings.openai_timeout:g}"
                raise EngineError(lazy("The run stayed '{status}' for {seconds} s; cancelled it. Try again in a "
                                       "minute.", status=run.status, seconds=seconds))
            time.sleep(hint_ms / 1000)

    def commit(self, answer: str) -> None:
        pass   # the thread already holds the turn

    def discard(self) -> None:
        with openai_errors(self.settings, self.ref):
            self.m.client.beta.threads.delete(self.ref)

    def round_usage(self) -> list[Usage] | None:
        """One entry per run step (each is one model round), with the step's token usage."""
        if self.run is None:
            return None
        with openai_errors(self.settings, self.ref):
            steps = self.m.runs.steps.list(self.run.id, thread_id=self.ref, order="asc", limit=100).data
        return [Usage(s.usage.prompt_tokens, s.usage.completion_tokens) if s.usage else Usage() for s in steps]


def _poll_hint(headers: Any, default: int = DEFAULT_POLL_MS) -> int:
    try:
        return max(1, int(headers.get("openai-poll-after-ms")))
    except (TypeError, ValueError):
        return default
