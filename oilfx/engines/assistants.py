"""The seed's flow on Assistants v2 (shut down by OpenAI on 2026-08-26; for servers that still speak it).

One assistant per bot (settings.assistant_id, else created once and its id kept in EngineState), one thread per
conversation, message + run, polled at the server's `openai-poll-after-ms` hint (not a fixed 2 s) with a
deadline, requires_action -> tools -> submit_tool_outputs, until completed; the answer from the newest
assistant message, token usage from the run steps.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import warnings
from typing import Any

import openai

from oilfx.config import Settings
from oilfx.engines.base import Answer, EngineError, EngineState, ModelStep, NullListener, Step, TurnListener
from oilfx.engines.client import make_client, openai_errors
from oilfx.engines.instructions import INSTRUCTIONS
from oilfx.engines.memory import MemoryState
from oilfx.tools import ToolRegistry

log = logging.getLogger(__name__)
# The SDK marks every Assistants method deprecated; this module exists knowingly for servers that still serve it.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"oilfx\.engines\.assistants")

ACTIVE = ("queued", "in_progress", "cancelling")
DEFAULT_POLL_MS = 1000   # the SDK's own default when the server gives no hint


class AssistantsEngine:
    name = "assistants"

    def __init__(self, settings: Settings, registry: ToolRegistry, state: EngineState | None = None,
                 client: openai.OpenAI | None = None) -> None:
        self.settings, self.registry = settings, registry
        self.state = state if state is not None else MemoryState()
        self.client = client or make_client(settings)
        self.runs = self.client.beta.threads.runs
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

    def ask(self, text: str, conversation: str | None = None, listener: TurnListener | None = None) -> Answer:
        listener = listener or NullListener()
        with openai_errors(self.settings):
            if conversation is None:
                conversation = self.client.beta.threads.create(metadata={"app": "oilfx"}).id
            else:
                self._cancel_active_runs(conversation)
            self.client.beta.threads.messages.create(conversation, role="user", content=text)
            return self._run_turn(conversation, listener)

    def _cancel_active_runs(self, thread_id: str) -> None:
        """A run left active (e.g. an earlier turn gave up on it) blocks new messages: cancel it first."""
        for run in self.runs.list(thread_id, limit=5, order="desc").data:
            if run.status in (*ACTIVE, "requires_action"):
                log.info("cancelling run %s left %s on %s", run.id, run.status, thread_id)
                if run.status != "cancelling":
                    self.runs.cancel(run.id, thread_id=thread_id)
                self._wait(thread_id, run.id, DEFAULT_POLL_MS // 10, cancel_on_timeout=False)

    def _create_run(self, thread_id: str) -> tuple[Any, int]:
        try:
            raw = self.runs.with_raw_response.create(thread_id, assistant_id=self.assistant_id())
        except openai.NotFoundError:
            if self.settings.assistant_id:
                raise
            # The stored assistant was deleted on the server: make a new one once.
            raw = self.runs.with_raw_response.create(thread_id, assistant_id=self.assistant_id(fresh=True))
        return raw.parse(), _poll_hint(raw.headers)

    def _wait(self, thread_id: str, run_id: str, hint_ms: int, cancel_on_timeout: bool = True) -> Any:
        deadline = time.monotonic() + self.settings.openai_timeout
        while True:
            raw = self.runs.with_raw_response.retrieve(run_id, thread_id=thread_id)
            run = raw.parse()
            hint_ms = _poll_hint(raw.headers, hint_ms)
            if run.status not in ACTIVE:
                return run
            if time.monotonic() + hint_ms / 1000 > deadline:
                if cancel_on_timeout:
                    try:
                        self.runs.cancel(run_id, thread_id=thread_id)
                    except openai.OpenAIError as e:
                        log.warning("could not cancel stuck run %s: %s", run_id, e)
                raise EngineError(f"The run stayed '{run.status}' for {self.settings.openai_timeout:g} s; "
                                  "cancelled it. Try again in a minute.")
            time.sleep(hint_ms / 1000)

    def _run_turn(self, thread_id: str, listener: TurnListener) -> Answer:
        steps: list[Step] = []
        round_durations: list[float] = []
        started = time.perf_counter()
        run, hint = self._create_run(thread_id)
        for round_ in range(1, self.settings.max_tool_rounds + 2):
            run = self._wait(thread_id, run.id, hint)
            round_durations.append((time.perf_counter() - started) * 1000)
            if run.status == "completed":
                break
            if run.status != "requires_action":
                error = run.last_error
                detail = f" ({error.code}: {error.message})" if error else ""
                if run.status == "incomplete" and run.incomplete_details:
                    detail = f" ({run.incomplete_details.reason})"
                raise EngineError(f"The run ended '{run.status}'{detail}.")
            calls = run.required_action.submit_tool_outputs.tool_calls
            if round_ > self.settings.max_tool_rounds:
                self.runs.cancel(run.id, thread_id=thread_id)
                raise EngineError(f"The model kept asking for tools after {self.settings.max_tool_rounds} "
                                  "rounds; stopped without an answer.")
            tool_steps = self.registry.call_all([(c.id, c.function.name, c.function.arguments) for c in calls],
                                                round_, listener)
            steps.extend(tool_steps)
            started = time.perf_counter()
            raw = self.runs.with_raw_response.submit_tool_outputs(
                run.id, thread_id=thread_id,
                tool_outputs=[{"tool_call_id": s.call_id, "output": s.output} for s in tool_steps])
            run, hint = raw.parse(), _poll_hint(raw.headers, hint)
        messages = self.client.beta.threads.messages.list(thread_id, run_id=run.id, order="desc", limit=20)
        answer = ""
        for message in messages.data:
            if message.role == "assistant":
                answer = "\n".join(b.text.value for b in message.content if b.type == "text").strip()
                break
        if not answer:
            raise EngineError("The run completed without an assistant message; try asking again.")
        model_steps = self._model_steps(thread_id, run.id, round_durations)
        ordered = sorted([*model_steps, *steps], key=lambda s: (s.round, isinstance(s, ModelStep) is False))
        return Answer(answer, tuple(ordered), thread_id, self.name, self.settings.model)

    def _model_steps(self, thread_id: str, run_id: str, durations: list[float]) -> list[ModelStep]:
        """One ModelStep per run step (each is one model round), with the step's token usage."""
        run_steps = self.runs.steps.list(run_id, thread_id=thread_id, order="asc", limit=100).data
        result = []
        for i, step in enumerate(run_steps, start=1):
            calls = len(step.step_details.tool_calls) if step.step_details.type == "tool_calls" else 0
            usage = step.usage
            result.append(ModelStep(i, durations[i - 1] if i <= len(durations) else 0.0,
                                    usage.prompt_tokens if usage else None,
                                    usage.completion_tokens if usage else None, calls))
        return result


def _poll_hint(headers: Any, default: int = DEFAULT_POLL_MS) -> int:
    try:
        return max(1, int(headers.get("openai-poll-after-ms")))
    except (TypeError, ValueError):
        return default
