"""A peer modelled on Slack's own agent loop: the Bolt for Python assistant template
(github.com/slack-samples/bolt-python-assistant-template, its `app.py`, `listeners/events/app_mentioned.py` and
`agent/llm_caller.py`, late 2025), written here as our code so the bench can run it on the same fakes.

`python bench/baseline_template.py` with the same environment as `python bot.py` (SLACK_BOT_TOKEN, SLACK_APP_TOKEN,
SLACK_API_URL, OPENAI_API_KEY, OPENAI_BASE_URL, OILFX_MODEL, OILFX_OPINET_URL, OILFX_NAVER_URL).

What it models, per @mention:
- `App(client=WebClient(base_url=SLACK_API_URL))` and `SocketModeHandler(app, app_token).start()` with their
  defaults: Bolt's listener pool (5 threads: at most 5 turns at a time) and the Socket Mode client's 10 message
  workers.
- `assistant.threads.setStatus("thinking...")`, then `client.chat_stream(channel, recipient_team_id,
  recipient_user_id, thread_ts)` (slack_sdk's ChatStream with its default 256-character buffer).
- The template's recursive `call_llm`: a new `openai.OpenAI()` per model round, `responses.create(input=prompts,
  tools=..., stream=True)` on the whole, growing input (no `previous_response_id`, no conversation); every
  `response.output_text.delta` is `streamer.append(markdown_text=delta)`; each `response.output_item.done` that is
  a function call is kept and shown as a TaskUpdateChunk `in_progress`; after the stream the calls run one after
  another, each appended to the input with its output and its task marked `complete` (or `error`), and `call_llm`
  recurses until a round makes no call. Then `streamer.stop(blocks=feedback)`; on any exception `say(warning)`.
- No cache anywhere: each tool call fetches its pages again.

Where it differs from the template, and why:
- Tools: the template ships a dice roller. These three are the fake model's script (tests/fakes/openai_script.py:
  `oil_price` + `usd_krw`, then `oil_price_krw`), written the simple way a template user would: `requests` to the
  same pages the bot reads (Opinet's CSV download form for crude, Naver's market index page for USD/KRW), one
  request per page per call, no session, no cache, no fallback; `oil_price_krw` fetches both pages again. The won
  figure uses oilfx's Decimal helpers so the answer matches the bot's (as bench/baseline_seed.py does).
- Logging at WARNING, as the bench runs the bot; the template's app.py sets DEBUG.
- The model comes from OILFX_MODEL (the template hard-codes gpt-4o-mini); the feedback block is a minimal
  `context_actions` with Slack's `feedback_buttons` (the template's `create_feedback_block`), no listener for it.
- BENCH_TEMPLATE_CLIENT=shared builds one OpenAI client per process instead of one per round (the template's way
  costs ~25 ms of CPU per round on the bench machine, mostly loading the CA bundle), to show the loop without it.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import openai
import requests
from bs4 import BeautifulSoup
from slack_bolt import App, Say
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.models.messages.chunk import TaskUpdateChunk
from slack_sdk.web.chat_stream import ChatStream

from oilfx.market.quote import format_krw, format_krw_litre, krw_per_barrel, krw_per_litre

log = logging.getLogger(__name__)

OPINET_URL = os.environ.get("OILFX_OPINET_URL", "https://www.opinet.co.kr/glopcoilSelect.do")
NAVER_URL = os.environ.get("OILFX_NAVER_URL", "https://finance.naver.com/marketindex/")
MODEL = os.environ.get("OILFX_MODEL", "gpt-4o-mini")
SHARED_CLIENT = os.environ.get("BENCH_TEMPLATE_CLIENT", "per-call") == "shared"

TOOLS = [
    {"type": "function", "name": "oil_price", "description": "Current crude prices: Dubai, WTI and Brent (USD/bbl)",
     "parameters": {"type": "object", "properties": {}}},
    {"type": "function", "name": "usd_krw", "description": "Current USD to KRW exchange rate",
     "parameters": {"type": "object", "properties": {}}},
    {"type": "function", "name": "oil_price_krw",
     "description": "Price of one crude benchmark in KRW per barrel or per litre",
     "parameters": {"type": "object", "properties": {"benchmark": {"type": "string"}, "unit": {"type": "string"}},
                    "required": ["benchmark", "unit"]}},
]


def oil_price() -> dict[str, str]:
    """Opinet's daily crude CSV (a POST form, cp949), the latest row."""
    end = date.today()
    start = end - timedelta(days=14)
    form = [("TERM", "D"), ("SEL_DIV", "div_dar"), ("OILSRTCD", "001"), ("OILSRTCD", "002"), ("OILSRTCD", "003")]
    for prefix, day in (("STA", start), ("END", end)):
        form += [(f"{prefix}_Y", f"{day.year}"), (f"{prefix}_M", f"{day.month:02d}"), (f"{prefix}_D", f"{day.day:02d}")]
    r = requests.post(OPINET_URL, data=form, timeout=10)
    rows = list(csv.reader(io.StringIO(r.content.decode("cp949"))))
    header, latest = rows[0], max(rows[1:], key=lambda row: [int(n) for n in re.findall(r"\d+", row[0])])
    return {name: latest[header.index(name)] for name in ("Dubai", "WTI", "Brent")}


def usd_krw() -> str:
    r = requests.get(NAVER_URL, timeout=10)
    return BeautifulSoup(r.text, "html.parser").find("span", class_="value").text


def oil_price_krw(benchmark: str, unit: str = "barrel") -> dict[str, Any]:
    usd, rate_text = Decimal(oil_price()[benchmark]), usd_krw()
    rate = Decimal(rate_text.replace(",", ""))
    exact = krw_per_litre(usd, rate) if unit == "litre" else krw_per_barrel(usd, rate)
    display = format_krw_litre(exact) if unit == "litre" else format_krw(exact)
    return {"benchmark": benchmark, "unit": unit, "display": display, "formula": f"{usd} × {rate_text} = {exact}",
            "description": f"{benchmark} {display}",
            "sources": [{"label": benchmark, "source": "Opinet", "as_of": "Opinet CSV"},
                        {"label": "USD/KRW", "source": "Naver", "as_of": "Naver page"}]}


def run_tool(name: str, arguments: str) -> dict[str, Any]:
    try:
        kwargs = json.loads(arguments or "{}")
        if name == "oil_price":
            return {**oil_price(), "description": "Fetched Dubai, WTI and Brent"}
        if name == "usd_krw":
            rate = usd_krw()
            return {"usd_krw": rate, "description": f"USD/KRW {rate}"}
        if name == "oil_price_krw":
            return oil_price_krw(**kwargs)
        return {"error": f"unknown tool {name}"}
    except Exception as e:  # the template's tools return an error the model reads
        return {"error": f"{type(e).__name__}: {e}"}


_shared: openai.OpenAI | None = openai.OpenAI() if SHARED_CLIENT else None


def call_llm(streamer: ChatStream, prompts: list[dict[str, Any]]) -> None:
    """One model round streamed into Slack; tools after the stream, one after another; then the next round."""
    llm = _shared or openai.OpenAI()
    tool_calls = []
    for event in llm.responses.create(model=MODEL, input=prompts, tools=TOOLS, stream=True):
        if event.type == "response.output_text.delta":
            streamer.append(markdown_text=f"{event.delta}")
        if event.type == "response.output_item.done" and event.item.type == "function_call":
            tool_calls.append(event.item)
            streamer.append(chunks=[TaskUpdateChunk(id=event.item.call_id, title=f"Calling {event.item.name}...",
                                                    status="in_progress")])
    if not tool_calls:
        return
    for call in tool_calls:
        prompts.append({"id": call.id, "call_id": call.call_id, "type": "function_call", "name": call.name,
                        "arguments": call.arguments})
        result = run_tool(call.name, call.arguments)
        prompts.append({"type": "function_call_output", "call_id": call.call_id, "output": json.dumps(result)})
        error = result.get("error")
        streamer.append(chunks=[TaskUpdateChunk(id=call.call_id, title=str(error or result["description"]),
                                                status="error" if error else "complete")])
    call_llm(streamer, prompts)


def feedback_block() -> list[dict[str, Any]]:
    def button(text: str, value: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": text}, "value": value}

    return [{"type": "context_actions", "elements": [{
        "type": "feedback_buttons", "action_id": "feedback",
        "positive_button": button("Good Response", "good-feedback"),
        "negative_button": button("Bad Response", "bad-feedback")}]}]


def build_app() -> App:
    token = os.environ["SLACK_BOT_TOKEN"]
    app = App(token=token, client=WebClient(base_url=os.environ.get("SLACK_API_URL", "https://slack.com/api"),
                                            token=token))

    @app.event("app_mention")
    def app_mentioned(client: WebClient, event: dict[str, Any], say: Say) -> None:
        try:
            channel_id, team_id, user_id = event.get("channel"), event.get("team"), event.get("user")
            thread_ts = event.get("thread_ts") or event.get("ts")
            client.assistant_threads_setStatus(channel_id=channel_id, thread_ts=thread_ts, status="thinking...")
            streamer = client.chat_stream(channel=channel_id, recipient_team_id=team_id, recipient_user_id=user_id,
                                          thread_ts=thread_ts)
            call_llm(streamer, [{"role": "user", "content": event.get("text")}])
            streamer.stop(blocks=feedback_block())
        except Exception as e:
            log.exception("Failed to handle an app_mention: %s", e)
            say(f":warning: Something went wrong! ({e})")

    return app


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    SocketModeHandler(build_app(), os.environ["SLACK_APP_TOKEN"]).start()


if __name__ == "__main__":
    main()
