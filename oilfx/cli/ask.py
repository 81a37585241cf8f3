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
    state, store = _state(settings)
    try:
        engine = make_engine(settings, default_registry(Market(settings)), state)
        answer = engine.ask(args.question, args.conversation)
    except EngineError as e:
        print(f"oilfx: could not answer ({settings.engine} engine): {e}", file=sys.stderr)
        return 1
    finally:
        if store is not None:
            store.close()
    if args.json:
        print(json.dumps(as_json(answer), ensure_ascii=False, indent=2, default=str))  # Decimal figures
        return 0
    print(answer.text)
    for notice in answer.notices:
        print(f"\nNote: {notice}")
    if args.steps:
        print()
        print("\n".join(step_lines(answer)))
    print(f"\n({answer.engine} · {answer.model} · conversation {answer.conversation})", file=sys.stderr)
    return 0


def _short(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def step_lines(answer: Answer) -> list[str]:
    lines = []
    for step in answer.steps:
        if isinstance(step, ModelStep):
            tokens = (f"{step.input_tokens} in / {step.output_tokens} out tokens"
                      if step.input_tokens is not None else "tokens n/a")
            if step.cached_tokens is not None or step.reasoning_tokens is not None:
                tokens += f" ({step.cached_tokens or 0} cached, {step.reasoning_tokens or 0} reasoning)"
            lines.append(f"model  round {step.round}  {step.duration_ms:7.0f} ms  {tokens}  "
                         f"{step.tool_calls} tool call(s)")
        else:
            status = "ok" if step.ok else "ERROR"
            lines.append(f"tool   round {step.round}  {step.duration_ms:7.0f} ms  {step.name}({step.arguments}) "
                         f"{status} -> {_short(step.output)}")
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
