"""The default engine: OpenAI Responses API with one Conversation per oilfx conversation."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import openai

from oilfx.config import Settings
from oilfx.engines.base import Answer, EngineError, EngineState, ModelStep, NullListener, Step, TurnListener
from oilfx.engines.client import make_client, openai_errors
from oilfx.engines.instructions import INSTRUCTIONS
from oilfx.tools import ToolRegistry

log = logging.getLogger(__name__)


class ResponsesEngine:
    name = "responses"

    def __init__(self, settings: Settings, registry: ToolRegistry, state: EngineState | None = None,
                 client: openai.OpenAI | None = None, stream: bool = False) -> None:
        self.settings, self.registry, self.stream = settings, registry, stream
        self.client = client or make_client(settings)
        # Tools and input items go as extra_body, which the SDK merges into the JSON as is: typed params are
        # deep-walked against its TypedDicts on every call (~1-3 ms of CPU a round, most of the bot's CPU per turn).
        self._tools = registry.responses_tools()

    def ask(self, text: str, conversation: str | None = None, listener: TurnListener | None = None) -> Answer:
        with openai_errors(self.settings):
            if conversation is None:
                conversation = self.client.conversations.create(metadata={"app": "oilfx"}).id
        pending: list[dict[str, Any]] = [{"role": "user", "content": text}]
        try:
            return self._turn(conversation, pending, listener or NullListener())
        except EngineError:
            # The conversation holds the model's function calls; unless their outputs reach it, every later
            # turn in this conversation is refused ("No tool output found for function call ...").
            self._close_calls(conversation, [item for item in pending if item.get("type") == "function_call_output"])
            raise

    def _turn(self, conversation: str, pending: list[dict[str, Any]], listener: TurnListener) -> Answer:
        """`pending` holds the items the next request sends; it is updated in place for ask()'s clean-up."""
        steps: list[Step] = []
        with openai_errors(self.settings):
            for round_ in range(1, self.settings.max_tool_rounds + 2):
                last = round_ > self.settings.max_tool_rounds
                started = time.perf_counter()
                response = self._create(listener, model=self.settings.model, instructions=INSTRUCTIONS,
                                        conversation=conversation, extra_body={"tools": self._tools, "input": pending},
                                        parallel_tool_calls=True,
                                        tool_choice="none" if last else "auto")
                _check_status(response)
                calls = [item for item in response.output if item.type == "function_call"]
                usage = response.usage
                steps.append(ModelStep(round_, (time.perf_counter() - started) * 1000,
                                       usage.input_tokens if usage else None,
                                       usage.output_tokens if usage else None, len(calls)))
                if not calls:
                    answer = response.output_text.strip()
                    if not answer:
                        raise EngineError("The model finished without writing an answer; try asking again.")
                    return Answer(answer, tuple(steps), conversation, self.name, self.settings.model)
                if last:
                    stop = json.dumps({"error": "stopped: too many tool rounds in one turn"})
                    pending[:] = [{"type": "function_call_output", "call_id": c.call_id, "output": stop}
                                  for c in calls]
                    break
                tool_steps = self.registry.call_all([(c.call_id, c.name, c.arguments) for c in calls], round_,
                                                    listener)
                steps.extend(tool_steps)
                pending[:] = [{"type": "function_call_output", "call_id": s.call_id, "output": s.output}
                              for s in tool_steps]
        raise EngineError(f"The model kept asking for tools after {self.settings.max_tool_rounds} rounds; "
                          "stopped without an answer.")

    def _create(self, listener: TurnListener, **request: Any) -> Any:
        if not self.stream:
            return self.client.responses.create(**request)
        response = None
        with self.client.responses.create(stream=True, **request) as events:
            for event in events:
                if event.type == "response.output_text.delta":
                    listener.text_delta(event.delta)
                elif event.type in ("response.completed", "response.incomplete", "response.failed"):
                    response = event.response
                elif event.type == "error":
                    raise EngineError(f"The response stream failed ({event.code}: {event.message}).")
        if response is None:
            raise EngineError("The response stream ended before the response was complete; try again.")
        return response

    def _close_calls(self, conversation: str, outputs: list[dict[str, Any]]) -> None:
        if not outputs:
            return
        try:
            self.client.conversations.items.create(conversation, items=outputs)
        except openai.OpenAIError as e:
            log.warning("could not hand %d tool output(s) to %s after a failed turn: %s", len(outputs),
                        conversation, e)


def _check_status(response: Any) -> None:
    status = response.status
    if status in (None, "completed"):
        return
    if status == "incomplete":
        reason = response.incomplete_details.reason if response.incomplete_details else "unknown reason"
        raise EngineError(f"The response ended 'incomplete' ({reason}).")
    error = response.error
    detail = f" ({error.code}: {error.message})" if error else ""
    raise EngineError(f"The response ended '{status}'{detail}.")
