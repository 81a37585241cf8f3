"""The seed's loop as written, behind a minimal Bolt app: the baseline every oilfx engine is measured against.

`python bench/baseline_seed.py` with the same environment as `python bot.py` (SLACK_BOT_TOKEN, SLACK_APP_TOKEN,
SLACK_API_URL, OPENAI_API_KEY, OPENAI_BASE_URL, OILFX_MODEL, OILFX_KNOC_URL, OILFX_NAVER_URL).

Per @mention, exactly the seed's flow (../shared/seed/oil-price-assistant-function-calling.ko.txt):
threads.create(messages=[question]) -> runs.create -> `wait_run` (retrieve; while queued/in_progress:
time.sleep(2)) -> for each requested tool, one after another: scrape the page with a bare `requests.get`
(no cache, no session, no timeout) -> submit_tool_outputs -> wait_run again, as long as the run asks for
tools -> messages.list -> one chat.postMessage in the mention's thread. The assistant is created once per
process (the seed creates it once per notebook), not per turn.

Where it departs from the seed, and why:
- The fake model (tests/fakes/openai_server.py) scripts three rounds and asks for `oil_price_krw` in round 2,
  a tool the seed lacks. It is written in the seed's style (scrapes both pages again, sequentially, no cache)
  so the baseline runs the same script and the same number of model rounds as the oilfx engines.
- Tool outputs are JSON (`json.dumps`) instead of `str(dict)`, so the fake model can read them.
- Tools are looked up in a dict instead of `locals()[name]` (the project forbids the latter; the cost is the same).
- KNOC's page no longer carries crude prices (the pages fake serves today's pump-price page on its KNOC route), so
  the bench points OILFX_KNOC_URL at a page in the seed's 2023 markup (`tests/fixtures/pages/knoc_seed_2023.html`
  on the fake's `/knoc-seed/`, see bench/harness.py's seed_baseline); without it `oil_price` finds no
  `dl.money_list` and the baseline never answers.
"""

from __future__ import annotations

import json
import logging
import os
import time
import warnings
from decimal import Decimal

import requests
from bs4 import BeautifulSoup
from openai import OpenAI
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from oilfx.market.quote import format_krw, format_krw_litre, krw_per_barrel, krw_per_litre

warnings.filterwarnings("ignore", category=DeprecationWarning)  # the SDK marks Assistants deprecated
log = logging.getLogger(__name__)

KNOC_URL = os.environ.get("OILFX_KNOC_URL", "https://www.knoc.co.kr/")
NAVER_URL = os.environ.get("OILFX_NAVER_URL", "https://finance.naver.com/marketindex/")

SEED_TOOLS = [
    {"type": "function", "function": {"name": "oil_price",
                                      "description": "Get current oil prices - Dubai, WTI, and Brent",
                                      "parameters": {"type": "object", "properties": {}}}},
    {"type": "function", "function": {"name": "usd_krw", "description": "Get current exchange rate from USD to KRW",
                                      "parameters": {"type": "object", "properties": {}}}},
    {"type": "function", "function": {
        "name": "oil_price_krw", "description": "Price of one crude benchmark in KRW per barrel or per litre",
        "parameters": {"type": "object", "properties": {"benchmark": {"type": "string"}, "unit": {"type": "string"}},
                       "required": ["benchmark", "unit"]}}},
]


def oil_price() -> dict[str, str]:
    r = requests.get(KNOC_URL)
    soup = BeautifulSoup(r.text, "html.parser")
    price = [tag.find("li").text for tag in soup.find_all("dl", class_="money_list")[3:]]
    return {"Dubai": price[0], "WTI": price[1], "Brent": price[2]}


def usd_krw() -> str:
    r = requests.get(NAVER_URL)
    soup = BeautifulSoup(r.text, "html.parser")
    return soup.find("span", class_="value").text


def oil_price_krw(benchmark: str, unit: str = "barrel") -> dict:
    usd = Decimal(oil_price()[benchmark])
    rate_text = usd_krw()
    rate = Decimal(rate_text.replace(",", ""))
    if unit == "litre":
        display, exact = format_krw_litre(krw_per_litre(usd, rate)), krw_per_litre(usd, rate)
    else:
        display, exact = format_krw(krw_per_barrel(usd, rate)), krw_per_barrel(usd, rate)
    return {"benchmark": benchmark, "unit": unit, "display": display, "formula": f"{usd} × {rate_text} = {exact}",
            "sources": [{"label": benchmark, "source": "KNOC", "as_of": "KNOC page"},
                        {"label": "USD/KRW", "source": "Naver", "as_of": "Naver page"}]}


TOOLS = {"oil_price": oil_price, "usd_krw": usd_krw, "oil_price_krw": oil_price_krw}


def wait_run(client: OpenAI, run, thread):  # the seed's helper, verbatim but for its print()
    while True:
        run_check = client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id)
        if run_check.status in ["queued", "in_progress"]:
            time.sleep(2)
        else:
            break
    return run_check


def seed_turn(client: OpenAI, assistant_id: str, question: str) -> str:
    """One question through the seed's Assistants flow; the assistant's answer text."""
    thread = client.beta.threads.create(messages=[{"role": "user", "content": question}])
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant_id)
    run_check = wait_run(client, run, thread)
    while run_check.status == "requires_action":
        tool_outputs = []
        for tool in run_check.required_action.submit_tool_outputs.tool_calls:
            kwargs = json.loads(tool.function.arguments)
            output = TOOLS[tool.function.name](**kwargs)
            tool_outputs.append({"tool_call_id": tool.id, "output": json.dumps(output, ensure_ascii=False)})
        run = client.beta.threads.runs.submit_tool_outputs(thread_id=thread.id, run_id=run.id,
                                                           tool_outputs=tool_outputs)
        run_check = wait_run(client, run, thread)
    thread_messages = client.beta.threads.messages.list(thread.id)
    for msg in thread_messages.data:  # newest first
        if msg.role == "assistant":
            return msg.content[0].text.value
    return f"(run ended {run_check.status})"


def build_app() -> tuple[App, str]:
    web = WebClient(token=os.environ["SLACK_BOT_TOKEN"],
                    base_url=os.environ.get("SLACK_API_URL", "https://slack.com/api/"))
    app = App(client=web)
    openai_client = OpenAI()
    assistant = openai_client.beta.assistants.create(instructions="You are an oil expert.",
                                                     model=os.environ.get("OILFX_MODEL", "gpt-4-1106-preview"),
                                                     tools=SEED_TOOLS)

    @app.event("app_mention")
    def on_mention(event: dict, say) -> None:
        answer = seed_turn(openai_client, assistant.id, event["text"])
        say(text=answer, thread_ts=event.get("thread_ts") or event["ts"])

    return app, os.environ["SLACK_APP_TOKEN"]


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    app, app_token = build_app()
    SocketModeHandler(app, app_token).start()


if __name__ == "__main__":
    main()
