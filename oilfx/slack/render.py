"""Turn answers, progress and errors into Slack messages: Block Kit plus a plain-text fallback.

Pure functions, no Slack client. Model output is untrusted: it goes through mrkdwn.py (Slack control sequences
rendered inert, `&<>` escaped), so nothing it writes can ping anyone or hide a link behind a label. The /oilprice
price table is in quote_table.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from oilfx.engines.base import Answer, ModelStep, ToolStep
from oilfx.i18n import Texts
from oilfx.slack.caps import capped
from oilfx.slack.mrkdwn import ZWSP as ZWSP  # re-exported: listeners and tests import these from here
from oilfx.slack.mrkdwn import escape as escape
from oilfx.slack.mrkdwn import neutralise as neutralise
from oilfx.slack.mrkdwn import safe_name as safe_name
from oilfx.slack.mrkdwn import split_text as split_text
from oilfx.slack.mrkdwn import to_mrkdwn as to_mrkdwn
from oilfx.slack.mrkdwn import unlink as unlink
from oilfx.tools import Source, title

SECTION_LIMIT = 3000      # Slack: section text at most 3,000 characters
BLOCK_LIMIT = 50          # Slack: at most 50 blocks per message
MESSAGE_LIMIT = 3500      # msg_too_long shows up near 4,000 characters in practice; stay under it
SHOW_STEPS_ACTION = "oilfx_show_steps"
FEEDBACK_ACTION = "oilfx_feedback"


@dataclass(frozen=True)
class SlackMessage:
    """One chat.postMessage / chat.update payload."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def pack(mrkdwn: str, tail: Sequence[dict[str, Any]] = (), tail_text: str = "") -> list[SlackMessage]:
    """Body text as section blocks across as many messages as Slack's limits need; `tail` blocks (context,
    buttons) go under the last message, `tail_text` is appended to its fallback text."""
    sections = split_text(mrkdwn, SECTION_LIMIT) or [""]
    messages: list[SlackMessage] = []
    current: list[str] = []
    size = 0

    def flush() -> None:
        nonlocal current, size
        if current:
            messages.append(SlackMessage("\n".join(current), [_section(t) for t in current]))
        current, size = [], 0

    for piece in sections:
        for chunk in split_text(piece, MESSAGE_LIMIT) if len(piece) > MESSAGE_LIMIT else [piece]:
            if current and (size + len(chunk) > MESSAGE_LIMIT or len(current) >= BLOCK_LIMIT - len(tail)):
                flush()
            current.append(chunk)
            size += len(chunk)
    flush()
    last = messages[-1]
    text = (last.text + ("\n" + tail_text if tail_text else "")).strip()
    messages[-1] = SlackMessage(text or " ", [b for b in last.blocks if b["text"]["text"]] + list(tail))
    return messages


# --- plain-text fallback (Slack refused the blocks) ------------------------------------------------------------

def plain_messages(messages: Sequence[SlackMessage]) -> list[SlackMessage]:
    """The same answer without blocks: each message's fallback text (already neutralised mrkdwn) joined and split
    to MESSAGE_LIMIT. Sent when Slack refuses the blocks (invalid_blocks, msg_blocks_too_long, ...)."""
    text = "\n\n".join(m.text.strip() for m in messages if m.text.strip())
    return [SlackMessage(piece) for piece in split_text(text, MESSAGE_LIMIT)] or [SlackMessage(" ")]


def render_apology(error: str, texts: Texts) -> SlackMessage:
    """One line where the answer would have been, when Slack refused it as blocks and as plain text."""
    return SlackMessage(":warning: " + texts.t("Slack refused this answer ({error}); please ask again.",
                                               error=escape(error)))


# --- answers --------------------------------------------------------------------------------------------------

def answer_sources(answer: Answer) -> list[Source]:
    """Every source the tools reported, once each, in the order they were first seen."""
    return list(dict.fromkeys(s for step in answer.tool_steps for s in step.result.sources))


def sources_line(answer: Answer, texts: Texts) -> str:
    """`Sources: WTI: Naver (2026-11-24 settlement); … · oilfx responses · gpt-…`, in the reader's language: a
    source's label and time may be words to translate and dates (Text), rendered here."""
    parts = [f"{texts.render(s.label)}: {texts.render(s.source)} ({texts.render(s.as_of)})" if s.label
             else f"{texts.render(s.source)} ({texts.render(s.as_of)})" for s in answer_sources(answer)]
    engine = f"{answer.engine} · {answer.model}" if answer.model else answer.engine
    if parts:
        return escape(texts.t("Sources: {sources} · oilfx {engine}", sources="; ".join(parts), engine=engine))
    return escape(texts.t("No market data used · oilfx {engine}", engine=engine))


def wants_steps(question: str) -> bool:
    """The user asked for the breakdown ("steps", "단계", "과정")."""
    q = question.lower()
    return bool(re.search(r"\bsteps?\b", q)) or "단계" in q or "과정" in q


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def steps_breakdown(answer: Answer, texts: Texts) -> str:
    """Each model round and tool call: arguments, result, milliseconds, tokens. mrkdwn, untrusted parts escaped."""
    lines = ["*" + texts.t("Run steps") + "*"]
    rounds: dict[int, list[ToolStep]] = {}
    for s in answer.tool_steps:
        rounds.setdefault(s.round, []).append(s)
    model_rounds = {m.round: m for m in answer.model_steps}
    for number in sorted(set(rounds) | set(model_rounds)):
        m: ModelStep | None = model_rounds.get(number)
        if m is not None:
            lines.append(_round_line(m, number, texts))
        for t in rounds.get(number, []):
            call = f"`{safe_name(t.name)}({safe_name(_clip(t.arguments, 200))})`"
            ms = f"{t.duration_ms:.0f}"
            lines.append(texts.t("• {call} ok, {ms} ms", call=call, ms=ms) if t.ok
                         else texts.t("• {call} error, {ms} ms", call=call, ms=ms))
            lines.append(f"    → `{safe_name(_clip(t.output, 400))}`")
    if len(lines) == 1:
        lines.append(texts.t("No model rounds or tool calls were recorded."))
    return "\n".join(lines)


def _round_line(m: ModelStep, number: int, texts: Texts) -> str:
    ms = f"{m.duration_ms:.0f}"
    if m.input_tokens is not None or m.output_tokens is not None:
        return texts.n("Round {round}: model {ms} ms, {input} in / {output} out tokens, {count} tool call",
                       "Round {round}: model {ms} ms, {input} in / {output} out tokens, {count} tool calls",
                       m.tool_calls, round=number, ms=ms, input=m.input_tokens or 0, output=m.output_tokens or 0)
    return texts.n("Round {round}: model {ms} ms, {count} tool call",
                   "Round {round}: model {ms} ms, {count} tool calls", m.tool_calls, round=number, ms=ms)


def show_steps_button(key: str, texts: Texts) -> dict[str, Any]:
    # block_ids are per message (the key is the answer's own): one constant on every message let clients that
    # key interactive state by block_id mix up messages.
    return {"type": "actions", "block_id": f"oilfx_steps_{key}",
            "elements": [{"type": "button", "action_id": SHOW_STEPS_ACTION, "value": key,
                          "text": {"type": "plain_text", "text": texts.t("Show steps")}}]}


def feedback_block(key: str, texts: Texts) -> dict[str, Any]:
    """Thumbs up/down under an answer (Slack's feedback_buttons); each value carries the answer's stored key."""
    def button(text: str, value: str, label: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": text}, "value": f"{value}:{key}", "accessibility_label": label}

    return {"type": "context_actions", "block_id": f"oilfx_feedback_{key}",
            "elements": [{"type": "feedback_buttons", "action_id": FEEDBACK_ACTION,
                          "positive_button": button(texts.t("Good answer"), "good",
                                                    texts.t("Mark this answer as good")),
                          "negative_button": button(texts.t("Bad answer"), "bad",
                                                    texts.t("Mark this answer as bad"))}]}


def answer_footer(answer: Answer, texts: Texts, feedback_key: str | None = None) -> list[dict[str, Any]]:
    """What goes under a streamed answer: the sources line and the feedback buttons."""
    return [_context(sources_line(answer, texts))] + ([feedback_block(feedback_key, texts)] if feedback_key else [])


def render_answer(answer: Answer, texts: Texts, *, steps_key: str | None = None, show_steps: bool = False,
                  header: str = "", feedback_key: str | None = None) -> list[SlackMessage]:
    """The answer as one or more messages: body, then a context line (sources, as-of, engine/model) and the
    "Show steps" button (or the breakdown itself when `show_steps`) and the feedback buttons. `header` is trusted
    mrkdwn put first."""
    body = to_mrkdwn(answer.text) or "_" + texts.t("(the model returned an empty answer)") + "_"
    if header:
        body = header + "\n" + body
    context = sources_line(answer, texts)
    tail: list[dict[str, Any]] = [_context(context)]
    if steps_key and not show_steps:
        tail.append(show_steps_button(steps_key, texts))
    if feedback_key:
        tail.append(feedback_block(feedback_key, texts))
    messages = capped(body, lambda text: pack(text, tail, tail_text=context), texts)  # ≤ MAX_ANSWER_MESSAGES
    if show_steps:
        messages += pack(steps_breakdown(answer, texts))
    return messages


def progress_text(texts: Texts) -> str:
    """The placeholder's first line: what a user sees at once."""
    return texts.t("Looking up crude prices…")


def render_progress(texts: Texts, running: Iterable[str] = (), done: Iterable[str] = ()) -> SlackMessage:
    """The placeholder while a turn runs: which tools are running and which finished."""
    lines = [progress_text(texts)]
    lines += [f"✓ {_tool_title(name, texts)}" for name in done]
    lines += ["⏳ " + texts.t("Fetching {title}…", title=_tool_title(name, texts)) for name in running]
    text = "\n".join(lines)
    return SlackMessage(text, [_context(text)])


def _tool_title(name: str, texts: Texts) -> str:
    """The tool's own title (a Msg, or a model-invented name as given: escaped after rendering)."""
    return safe_name(texts.render(title(name)))


def render_error(reason: str) -> SlackMessage:
    """A short failure message; `reason` is our own text but may quote outside data, so it is escaped."""
    text = f":warning: {neutralise(reason)}"
    return SlackMessage(text, [_section(_clip(text, SECTION_LIMIT))])


def render_steps(breakdown: str) -> list[SlackMessage]:
    return pack(breakdown)
