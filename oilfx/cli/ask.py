"""`python -m oilfx ask "..." [--engine ...] [--steps] [--json] [--conversation REF]`: one turn of the LLM loop."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from typing import Any

from oilfx.config import ENGINES, Settings
from oilfx.engines import Answer, EngineError, EngineState, ModelStep, ToolStep, make_engine
from oilfx.engines.memory import MemoryState
from oilfx.i18n import EN, Texts, question_lang, texts
from oilfx.market import Market
from oilfx.tools import default_registry

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ask", help="ask the assistant a question (uses the LLM and the tools)")
    parser.add_argument("question", help='e.g. "현재 WTI 석유 가격을 원화로 알려줄래?"')
    parser.add_argument("--engine", choices=ENGINES, help="override OILFX_ENGINE")
    parser.add_argument("--steps", action="store_true", help="show the breakdown: tool calls and model rounds")
    parser.add_argument("--json", action="store_true", help="machine-readable output (answer, steps, conversation)")
    parser.add_argument("--conversation", metavar="REF",
                        help="continue a conversation (conv_..., thread_..., chat_...)")
    parser.set_defaults(func=run)


def _state(settings: Settings) -> tuple[EngineState, Any]:
    """The store when it can be opened (keeps the assistant id and chat history across runs), else memory."""
    try:
        from oilfx.store import open_store
    except ImportError:
        return MemoryState(), None
    try:
        store = open_store(settings)
    except Exception as e:  # the CLI still works without a store; the bot is where the store is required
        log.warning("store unavailable (%s); keeping state in memory", e)
        return MemoryState(), None
    return store, store


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.engine:
        settings = dataclasses.replace(settings, engine=args.engine)
    # As in Slack, the question's language wins; a question of tickers and numbers alone takes --lang/OILFX_LANG.
    tx = texts(question_lang(args.question) or settings.lang)
    state, store = _state(settings)
    try:
        engine = make_engine(settings, default_registry(Market(settings)), state)
        answer = engine.ask(args.question, args.conversation)
    except EngineError as e:
        print(tx.t("oilfx: could not answer ({engine} engine): {error}", engine=settings.engine, error=e.text),
              file=sys.stderr)
        return 1
    finally:
        if store is not None:
            store.close()
    if args.json:
        print(json.dumps(as_json(answer), ensure_ascii=False, indent=2, default=str))  # Decimal figures
        return 0
    print(answer.text)
    for notice in answer.notices:
        print("\n" + tx.t("Note: {notice}", notice=notice))
    if args.steps:
        print()
        print("\n".join(step_lines(answer, tx)))
    print("\n" + tx.t("({engine} · {model} · conversation {conversation})", engine=answer.engine,
                      model=answer.model, conversation=answer.conversation), file=sys.stderr)
    return 0


def _short(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _model_line(step: ModelStep, tx: Texts) -> str:
    """One model round: its tokens in one of three shapes (none reported, in/out, in/out with the details)."""
    shown = {"round": step.round, "ms": f"{step.duration_ms:7.0f}", "input": step.input_tokens,
             "output": step.output_tokens, "cached": step.cached_tokens or 0,
             "reasoning": step.reasoning_tokens or 0}
    if step.input_tokens is None:
        return tx.n("model  round {round}  {ms} ms  tokens n/a  {count} tool call",
                    "model  round {round}  {ms} ms  tokens n/a  {count} tool calls", step.tool_calls, **shown)
    if step.cached_tokens is None and step.reasoning_tokens is None:
        return tx.n("model  round {round}  {ms} ms  {input} in / {output} out tokens  {count} tool call",
                    "model  round {round}  {ms} ms  {input} in / {output} out tokens  {count} tool calls",
                    step.tool_calls, **shown)
    return tx.n("model  round {round}  {ms} ms  {input} in / {output} out tokens ({cached} cached, "
                "{reasoning} reasoning)  {count} tool call",
                "model  round {round}  {ms} ms  {input} in / {output} out tokens ({cached} cached, "
                "{reasoning} reasoning)  {count} tool calls", step.tool_calls, **shown)


def step_lines(answer: Answer, tx: Texts = EN) -> list[str]:
    lines = []
    for step in answer.steps:
        if isinstance(step, ModelStep):
            lines.append(_model_line(step, tx))
            continue
        shown = {"round": step.round, "ms": f"{step.duration_ms:7.0f}", "call": f"{step.name}({step.arguments})",
                 "output": _short(step.output)}
        lines.append(tx.t("tool   round {round}  {ms} ms  {call} ok -> {output}", **shown) if step.ok
                     else tx.t("tool   round {round}  {ms} ms  {call} ERROR -> {output}", **shown))
    return lines


def as_json(answer: Answer) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    for step in answer.steps:
        kind = "model" if isinstance(step, ModelStep) else "tool"
        item = {"kind": kind, **dataclasses.asdict(step)}
        if isinstance(step, ToolStep):
            item["output"] = json.loads(step.output)
            del item["result"]
            item["data"] = step.result.as_json()   # the display data, as `ask --json` has always shown it
        steps.append(item)
    return {"answer": answer.text, "engine": answer.engine, "model": answer.model,
            "conversation": answer.conversation, "notices": list(answer.notices), "steps": steps}
