"""The chat engine's stored history (Chat Completions keeps nothing server-side): trimmed to a token budget.

A turn is a user message and what followed it (assistant tool_calls, their tool outputs, the answer). Turns are
kept newest first while they fit; an older turn that does not fit whole is kept as its question and answer only,
and the first that does not fit even so ends the history. The newest turn is never dropped, however large (at
worst it too keeps only its question and answer). A tool_calls message always travels with every one of its tool
outputs, or not at all: Chat Completions refuses a call without its output ("An assistant message with
'tool_calls' must be followed by tool messages ...") and an output without its call.
"""

from __future__ import annotations

import json
from typing import Any

# Earlier turns sent with each request, in estimated tokens: about 6k, room for several turns with their tool
# outputs inside an 8k-context local model (llama.cpp's small default) beside the instructions and the answer.
HISTORY_BUDGET_TOKENS = 6000
MESSAGE_OVERHEAD = 4   # tokens a message costs beyond its content (role and separators; OpenAI's cookbook: 3-4)

Message = dict[str, Any]


def estimate_tokens(text: str) -> int:
    """~4 ASCII characters a token (OpenAI's rule of thumb for English); any other character (Hangul, ₩) one token
    each, which overestimates Korean a little: the budget errs on the short side."""
    ascii_chars = sum(1 for c in text if c < "\x80")
    return -(-ascii_chars // 4) + len(text) - ascii_chars


def message_tokens(message: Message) -> int:
    content = message.get("content")
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False) if content else ""
    if message.get("tool_calls"):
        text += json.dumps(message["tool_calls"], ensure_ascii=False)
    return MESSAGE_OVERHEAD + estimate_tokens(text)


def is_history(value: Any) -> bool:
    """A list of chat messages, as we save them (anything else is a corrupt record)."""
    return isinstance(value, list) and all(
        isinstance(m, dict) and m.get("role") in ("user", "assistant", "tool") for m in value)


def split_turns(messages: list[Message]) -> list[list[Message]]:
    """The messages as turns, each starting at a user message; anything before the first is no turn."""
    turns: list[list[Message]] = []
    for m in messages:
        if m.get("role") == "user":
            turns.append([m])
        elif turns:
            turns[-1].append(m)
    return turns


def paired(turn: list[Message]) -> bool:
    """Every tool_calls message is followed by an output for each of its calls, and every output answers one."""
    pending: set[str] = set()
    for m in turn:
        if m.get("role") == "tool":
            if m.get("tool_call_id") not in pending:
                return False
            pending.discard(m["tool_call_id"])
        elif pending:
            return False   # the calls must be answered before anything else
        elif m.get("role") == "assistant" and m.get("tool_calls"):
            pending = {c.get("id") for c in m["tool_calls"] if isinstance(c, dict)}
    return not pending


def compact(turn: list[Message]) -> list[Message]:
    """The turn as its question and answer: tool calls and their outputs leave together, so none dangles."""
    return [m for m in turn if m.get("role") == "user" or (m.get("role") == "assistant" and not m.get("tool_calls")
                                                            and m.get("content"))]


def _tokens(turn: list[Message]) -> int:
    return sum(message_tokens(m) for m in turn)


def trim_history(messages: list[Message], budget: int = HISTORY_BUDGET_TOKENS) -> list[Message]:
    turns = [t if paired(t) else compact(t) for t in split_turns(messages)]
    if not turns:
        return []
    newest = turns[-1] if _tokens(turns[-1]) <= budget else compact(turns[-1])
    kept, used = [newest], _tokens(newest)
    for turn in reversed(turns[:-1]):
        for form in (turn, compact(turn)):
            if used + _tokens(form) <= budget:
                kept.insert(0, form)
                used += _tokens(form)
                break
        else:
            break
    return [m for turn in kept for m in turn]
