"""The fake OpenAI's "model": a script over the conversation the server holds, the same for every API.

  round 1: oil_price + usd_krw in parallel; round 2: oil_price_krw(benchmark, unit) read from the question;
  round 3: an answer quoting oil_price_krw's `display`, `formula` and `sources`. A tool error -> an answer saying
  the data is unavailable, repeating the error.
Like a real model it only calls tools the request declared, and none under `tool_choice: "none"`.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Collection
from typing import Any

EVIL = "<!channel> <@U123> <https://evil.example|click>"
INVENTED = ("₩98,436", "98,436.89원")  # the seed model's wrong product of 76.41 x 1,289.00
LONG_ANSWER = 10_000
HUGE_ANSWER = 120_000
LONE_SURROGATE = "\ud83d"
MARKER = re.compile(r"\[fake:([a-z0-9_]+)\]")
BENCHMARK_WORDS = {"wti": "WTI", "서부텍사스": "WTI", "brent": "Brent", "브렌트": "Brent", "dubai": "Dubai",
                   "두바이": "Dubai"}
NO_TOOLS_ANSWER = "I can't look that up right now: no tools were available for this answer."
COMMENTARY = "Let me look up the latest prices and the exchange rate first."
CHARS_PER_TOKEN = 4


def question_params(question: str) -> tuple[str, str]:
    q = question.lower()
    benchmark = "WTI"
    positions = [(q.find(w), b) for w, b in BENCHMARK_WORDS.items() if w in q]
    if positions:
        benchmark = min(positions)[1]
    unit = "litre" if any(w in q for w in ("리터", "litre", "liter", "per l ")) else "barrel"
    return benchmark, unit


def script(events: list[dict[str, Any]], mode: str | None,
           allowed: Collection[str] | None = None, answers: deque[Any] | None = None) -> tuple[str, Any]:
    """("calls", [(name, arguments)]) or ("text", answer) for the turn that starts at the last user message.

    `allowed`: the tools the request declared (empty under tool_choice "none"); None: any.
    `answers`: the fake's queue of scripted answers (FakeOpenAI.answers), the next one used by this turn."""
    kind, decision = _decide(events, mode)
    if answers and (scripted := _scripted(events, answers, kind)) is not None:
        return scripted
    if kind == "calls" and allowed is not None:
        decision = [(name, arguments) for name, arguments in decision if name in allowed]
        if not decision:
            return "text", NO_TOOLS_ANSWER
    return kind, decision


def _scripted(events: list[dict[str, Any]], answers: deque[Any], kind: str) -> tuple[str, Any] | None:
    """A test's answer text instead of the script's, after the script's real tool calls (None: make those calls
    first); an entry `(calls, text)` first calls `calls` instead (any names, declared or not, as a model that
    invents a tool does; () for no call at all)."""
    entry = answers[0]
    calls, text = entry if isinstance(entry, tuple) else (None, entry)
    users = [i for i, e in enumerate(events) if e["kind"] == "user"]
    started = any(e["kind"] == "call" for e in events[users[-1] if users else 0:])
    if calls is None and kind == "calls":
        return None
    if calls and not started:
        return "calls", list(calls)
    answers.popleft()
    return "text", text


def _decide(events: list[dict[str, Any]], mode: str | None) -> tuple[str, Any]:
    users = [i for i, e in enumerate(events) if e["kind"] == "user"]
    start = users[-1] if users else 0
    question = events[start]["text"] if users else ""
    turn = events[start + 1:]
    calls = [e for e in turn if e["kind"] == "call"]
    outputs = {e["call_id"]: e["output"] for e in turn if e["kind"] == "output"}
    if mode == "loop":
        return "calls", [("oil_price", "{}")]
    if not calls:
        if mode == "bad_json":
            return "calls", [("oil_price", "{benchmark: WTI"), ("usd_krw", "{}")]
        return "calls", [("oil_price", "{}"), ("usd_krw", "{}")]
    korean = bool(re.search(r"[가-힣]", question))
    for output in outputs.values():
        parsed = json_or_none(output)
        if isinstance(parsed, dict) and "error" in parsed:
            if mode == "invent":
                return "text", f"WTI is about {INVENTED[0]} per barrel ({INVENTED[1]}), from my own estimate."
            if korean:
                return "text", f"죄송합니다. 지금은 데이터를 가져올 수 없습니다: {parsed['error']}"
            return "text", f"Sorry, the data is unavailable right now: {parsed['error']}"
    krw_calls = [c for c in calls if c["name"] == "oil_price_krw"]
    if not krw_calls:
        benchmark, unit = question_params(question)
        if mode == "bad_args":
            return "calls", [("oil_price_krw", json.dumps({"benchmark": "Gold", "unit": "barrel"}))]
        return "calls", [("oil_price_krw", json.dumps({"benchmark": benchmark, "unit": unit}))]
    result = json_or_none(outputs.get(krw_calls[-1]["call_id"], "")) or {}
    sources = "; ".join(f"{s['label']}: {s['source']} ({s['as_of']})" for s in result.get("sources", []))
    if korean:
        unit_word = "리터당" if result.get("unit") == "litre" else "배럴당"
        text = (f"{result.get('benchmark')}는 {unit_word} {result.get('display')}입니다 "
                f"(계산: {result.get('formula')}). 원유 가격은 전 거래일 결제가입니다. 출처: {sources}")
    else:
        unit_word = "per litre" if result.get("unit") == "litre" else "per barrel"
        text = (f"{result.get('benchmark')} is {result.get('display')} {unit_word} ({result.get('formula')}). "
                f"Crude is the previous trading day's settlement. Sources: {sources}")
    if mode == "evil":
        text += f" {EVIL}"
    if mode == "invent":
        text += f" Earlier today it was {INVENTED[0]} ({INVENTED[1]})."
    if mode == "surrogate":
        text += f" {LONE_SURROGATE}"
    if mode in ("long", "huge"):
        size = HUGE_ANSWER if mode == "huge" else LONG_ANSWER
        paragraphs = [text]
        while sum(len(p) + 2 for p in paragraphs) < size:
            paragraphs.append(f"Note {len(paragraphs)}: crude benchmarks settle once per trading day, so this "
                              "figure holds until the next settlement is published by the source.")
        text = "\n\n".join(paragraphs)[:size - 3] + " ok"
    return "text", text


def capped(text: str, cap: int | None, mode: str | None) -> tuple[str, bool]:
    """The text a model writes under an output cap: (text, cut off?). Mode "length": the cap falls mid-answer."""
    tokens = max(1, len(text) // CHARS_PER_TOKEN)
    if mode == "length":
        cap = min(cap or tokens, tokens // 2)
    if cap is None or tokens <= cap:
        return text, False
    return text[:cap * CHARS_PER_TOKEN], True


def json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def tokens(events: list[dict[str, Any]]) -> int:
    return max(1, sum(len(json.dumps(e, ensure_ascii=False)) for e in events) // CHARS_PER_TOKEN)
