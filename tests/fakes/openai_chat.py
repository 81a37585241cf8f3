"""The fake's Chat Completions with tools, as a mixin of FakeOpenAI (openai_server.py): stateless, the history
comes in `messages`; honours tool_choice "none" and `max_completion_tokens` (finish_reason "length"). Like the real
API it refuses a tool_calls message not followed by an output for each call, and a tool message without its call
(check_tool_pairs)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from tests.fakes.openai_script import capped, script, tokens
from tests.fakes.openai_wire import FakeError, chat_sse, server_error


def check_tool_pairs(messages: list[dict[str, Any]]) -> None:
    """The real API's 400s for broken pairs (wording as api.openai.com answers, quoted in many public reports)."""
    pending: list[str] = []
    for index, m in enumerate(messages):
        role = m.get("role")
        if role == "tool":
            if m.get("tool_call_id") not in pending:
                raise FakeError(400, "Invalid parameter: messages with role 'tool' must be a response to a preceeding "
                                "message with 'tool_calls'.", param=f"messages.[{index}].role")
            pending.remove(m["tool_call_id"])
            continue
        if pending:
            raise FakeError(400, "An assistant message with 'tool_calls' must be followed by tool messages "
                            "responding to each 'tool_call_id'. The following tool_call_ids did not have response "
                            f"messages: {', '.join(pending)}", param=f"messages.[{index - 1}].role")
        if role == "assistant":
            pending = [c["id"] for c in m.get("tool_calls") or []]
    if pending:
        raise FakeError(400, "An assistant message with 'tool_calls' must be followed by tool messages responding "
                        "to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
                        f"{', '.join(pending)}", param=f"messages.[{len(messages) - 1}].role")


class ChatFake:
    if TYPE_CHECKING:  # provided by FakeOpenAI
        def _id(self, prefix: str) -> str: ...

        def _mode(self, events: list[dict[str, Any]]) -> str | None: ...

        def _model_round(self, mode: str | None, headers: dict[str, str], body: Any, assistants: bool = False,
                         after_tools: bool = False) -> None: ...

    def _chat(self, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise FakeError(400, "Missing required parameter: 'messages'.", param="messages")
        check_tool_pairs(messages)
        events: list[dict[str, Any]] = []
        for m in messages:
            role, content = m.get("role"), m.get("content")
            text = content if isinstance(content, str) else "".join(
                c.get("text", "") for c in content or [] if isinstance(c, dict))
            if role == "user":
                events.append({"kind": "user", "text": text})
            elif role == "assistant":
                for call in m.get("tool_calls") or []:
                    events.append({"kind": "call", "call_id": call["id"], "name": call["function"]["name"],
                                   "arguments": call["function"]["arguments"]})
                if text:
                    events.append({"kind": "assistant", "text": text})
            elif role == "tool":
                events.append({"kind": "output", "call_id": m.get("tool_call_id"), "output": text})
        mode = self._mode(events)
        self._model_round(mode, headers, body, after_tools=messages[-1].get("role") == "tool")
        if mode in ("failed", "expired", "cancelled"):
            raise server_error()
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None, "annotations": []}
        if mode == "incomplete":
            finish, message["content"] = "length", ""
        else:
            declared = {t.get("function", {}).get("name") for t in body.get("tools") or []}
            kind, decision = script(events, mode, set() if body.get("tool_choice") == "none" else declared,
                                    self.answers)
            if kind == "calls":
                finish = "tool_calls"
                message["tool_calls"] = [{"id": self._id("call"), "type": "function",
                                          "function": {"name": n, "arguments": a}} for n, a in decision]
            else:
                text, cut = capped(decision, body.get("max_completion_tokens") or body.get("max_tokens"), mode)
                finish, message["content"] = "length" if cut else "stop", text
        prompt = tokens(events)
        reasoning = 64 if mode == "reasoning" else 0
        completion = max(1, len(json.dumps(message, ensure_ascii=False)) // 4) + reasoning
        completion = {"id": self._id("chatcmpl"), "object": "chat.completion", "created": int(time.time()),
                "model": body.get("model", "gpt-test"), "service_tier": "default", "system_fingerprint": None,
                "choices": [{"index": 0, "finish_reason": finish, "logprobs": None, "message": message}],
                "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                          "total_tokens": prompt + completion,
                          "prompt_tokens_details": {"cached_tokens": tokens(events[:-1]) if len(events) > 1 else 0,
                                                    "audio_tokens": 0},
                          "completion_tokens_details": {"reasoning_tokens": reasoning, "audio_tokens": 0,
                                                        "accepted_prediction_tokens": 0,
                                                        "rejected_prediction_tokens": 0}}}
        if body.get("stream"):
            return chat_sse(completion, bool((body.get("stream_options") or {}).get("include_usage")))
        return completion
