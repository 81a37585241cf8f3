"""/healthz and /metrics of `python bot.py` in Socket Mode (OILFX_HEALTH_PORT), against the loopback fakes: healthy
once connected, and after one mention the metric families hold exactly what the fakes saw: one answered turn, the
model rounds and tokens the fake OpenAI answered with, the tool calls its script made, one fetch per market source
the pages fake served, and the Slack API error a fault at the fake Slack caused. No secret or user text in either."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import yaml

from oilfx.market import Quote, format_krw
from tests.fakes.bot_process import REPO, BotProcess, clean_env, free_port, start_connected
from tests.fakes.openai_server import DEFAULT, Script
from tests.fakes.ops import get, poll, scrape, series, value
from tests.fakes.pages import (
    FRANKFURTER_PATH,
    FRED_PATH,
    KNOC_PATH,
    NAVER_FX_PATH,
    NAVER_MOBILE_PATH,
    NAVER_WORLD_PATH,
    OPINET_PATH,
    PagesServer,
)

QUESTION = "현재 WTI 석유 가격을 원화로 알려줄래? (ops)"
MAX_QUESTION = 200   # OILFX_MAX_QUESTION_CHARS: a longer question is not sent to the model
# The pages fake's routes, by the (quantity, source) labels the market layer counts them under.
SOURCE_PATHS = {("oil", "opinet"): OPINET_PATH, ("oil", "naver"): NAVER_WORLD_PATH, ("oil", "fred"): FRED_PATH,
                ("fx", "naver"): NAVER_FX_PATH, ("fx", "naver_mobile"): NAVER_MOBILE_PATH,
                ("fx", "frankfurter"): FRANKFURTER_PATH, ("pump", "knoc"): KNOC_PATH}


@pytest.fixture(scope="module")
def ops_bot(servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The bot's health port base URL, and its environment."""
    slack, openai_fake, pages = servers
    port = free_port()
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_HEALTH_PORT": str(port),
           "OILFX_HTTP_HOST": "127.0.0.1", "OILFX_DB": str(tmp_path_factory.mktemp("ops") / "oilfx.db"),
           "OILFX_OPENAI_MAX_RETRIES": "0", "OILFX_MAX_QUESTION_CHARS": str(MAX_QUESTION)}
    bot = start_connected(env, slack)
    yield f"http://127.0.0.1:{port}", env
    bot.stop()


def secrets_of(env: dict[str, str]) -> list[str]:
    return [env[k] for k in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "OPENAI_API_KEY")]


def ask(slack: Any, quote: Quote, channel: str) -> None:
    payload = slack.app_mention(QUESTION, channel=channel)
    slack.wait_ack(slack.deliver("events_api", payload))
    slack.wait_for_message(channel=channel, thread_ts=payload["event"]["ts"],
                           contains=format_krw(quote.krw_per_barrel("WTI")), timeout=20, final=True)


def source_requests(pages: PagesServer) -> dict[tuple[str, str], int]:
    return {labels: pages.count(path) for labels, path in SOURCE_PATHS.items()}


def test_healthz_is_200_with_each_check_once_connected(ops_bot):
    base, env = ops_bot
    # The source check runs in the background at start: wait for it, then every check is healthy.
    health = poll(lambda: get(base + "/healthz"),
                  lambda r: r.json()["checks"]["market"].get("checked_at"), what="the market check")
    assert health.status_code == 200 and health.headers["Content-Type"] == "application/json"
    body = health.json()
    assert body["status"] == "ok" and body["failed"] == []
    assert {name: c["ok"] for name, c in body["checks"].items()} == {"store": True, "slack": True, "market": True}
    assert body["checks"]["slack"]["socket_connected"] is True
    assert body["checks"]["slack"]["last_error"] is None
    for secret in secrets_of(env):
        assert secret not in health.text


def test_metrics_after_one_turn_count_what_the_fakes_saw(ops_bot, servers, quote):
    base, _ = ops_bot
    slack, openai_fake, pages = servers
    poll(lambda: get(base + "/healthz"), lambda r: r.json()["checks"]["market"].get("checked_at"),
         what="the market check (its fetches are not the turn's)")
    before, fetched_before = scrape(base), source_requests(pages)
    responses_before, requests_before = set(openai_fake.responses), len(openai_fake.requests)

    ask(slack, quote, "C0OPSMETRICS")
    after = poll(lambda: scrape(base), lambda m: value(m, "oilfx_turns_total", kind="mention", outcome="answered")
                 > value(before, "oilfx_turns_total", kind="mention", outcome="answered"), what="the turn counted")

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("oilfx_turns_total", kind="mention", outcome="answered") == 1
    assert sum(series(after, "oilfx_turns_total").values()) - sum(series(before, "oilfx_turns_total").values()) == 1
    assert delta("oilfx_turn_duration_seconds_count", kind="mention") == 1
    assert delta("oilfx_turn_duration_seconds_sum", kind="mention") > 0

    # What the fake OpenAI answered during the turn: its rounds, their usage and the function calls in them.
    new = [openai_fake.responses[r]["response"] for r in openai_fake.responses if r not in responses_before]
    rounds = [r for r in openai_fake.requests[requests_before:]
              if r["method"] == "POST" and r["path"] == "/v1/responses"]
    assert len(new) == len(rounds) > 1
    assert delta("oilfx_model_rounds_total", engine="responses") == len(rounds)
    assert delta("oilfx_model_tokens_total", engine="responses", direction="input") == sum(
        r["usage"]["input_tokens"] for r in new)
    assert delta("oilfx_model_tokens_total", engine="responses", direction="output") == sum(
        r["usage"]["output_tokens"] for r in new)
    calls = Counter(item["name"] for r in new for item in r["output"] if item["type"] == "function_call")
    assert calls, "the scripted model calls tools"
    assert {dict(k)["tool"]: v - value(before, "oilfx_tool_calls_total", **dict(k))
            for k, v in series(after, "oilfx_tool_calls_total").items()} == dict(calls)
    assert series(after, "oilfx_tool_failures_total") == series(before, "oilfx_tool_failures_total")

    # One fetch per source the pages fake served (the cache serves the turn's second look at each), no failures.
    served = {labels for labels, n in source_requests(pages).items() if n > fetched_before[labels]}
    assert served, "the turn read market pages"
    assert {labels: delta("oilfx_source_fetches_total", quantity=labels[0], source=labels[1])
            for labels in SOURCE_PATHS} == {labels: int(labels in served) for labels in SOURCE_PATHS}
    assert series(after, "oilfx_source_failures_total") == series(before, "oilfx_source_failures_total")
    assert series(after, "oilfx_slack_api_errors_total") == series(before, "oilfx_slack_api_errors_total")


def test_a_slack_api_error_is_counted_by_method_and_code(ops_bot, servers, quote):
    base, _ = ops_bot
    slack, _, _ = servers
    before = scrape(base)
    refused_before = len([c for c in slack.calls_to("chat.startStream") if not c.ok])
    slack.fail("chat.startStream", "not_allowed_token_type")  # what a workspace without AI features answers
    ask(slack, quote, "C0OPSFAULT")   # answered all the same, in the placeholder
    refused = len([c for c in slack.calls_to("chat.startStream") if not c.ok]) - refused_before
    assert refused >= 1
    after = poll(lambda: scrape(base), lambda m: value(m, "oilfx_turns_total", kind="mention", outcome="answered")
                 > value(before, "oilfx_turns_total", kind="mention", outcome="answered"), what="the turn counted")
    labels = {"method": "chat.startStream", "error": "not_allowed_token_type"}
    assert (value(after, "oilfx_slack_api_errors_total", **labels)
            - value(before, "oilfx_slack_api_errors_total", **labels)) == refused


@pytest.mark.parametrize(("script", "text", "outcome", "told"), [
    (Script.misbehave("500"), "WTI in won? (model down)", "failed", "OpenAI returned HTTP 500"),
    (DEFAULT, "WTI in won? " + "x" * MAX_QUESTION, "rejected", "OILFX_MAX_QUESTION_CHARS"),
], ids=["engine-failed", "too-long"])
def test_a_turn_that_is_not_answered_is_counted_by_its_outcome(ops_bot, servers, script, text, outcome, told):
    base, _ = ops_bot
    slack, openai_fake, _ = servers
    before = scrape(base)
    channel = f"C0OPS{outcome.upper()}"
    with openai_fake.scripted(script):
        payload = slack.app_mention(text, channel=channel)
        slack.wait_ack(slack.deliver("events_api", payload))
        slack.wait_for_message(channel=channel, contains=told, timeout=20, final=True)
    after = poll(lambda: scrape(base), lambda m: value(m, "oilfx_turns_total", kind="mention", outcome=outcome)
                 > value(before, "oilfx_turns_total", kind="mention", outcome=outcome), what=f"a {outcome} turn")
    assert sum(series(after, "oilfx_turns_total").values()) - sum(series(before, "oilfx_turns_total").values()) == 1
    assert value(after, "oilfx_turns_total", kind="mention", outcome="answered") == value(
        before, "oilfx_turns_total", kind="mention", outcome="answered")


def test_tool_failures_are_counted_by_tool_and_kind(ops_bot, servers, quote):
    """The scripted model calls a tool with arguments its schema refuses; the bot hands back an error output."""
    base, _ = ops_bot
    slack, openai_fake, _ = servers
    before, responses_before, requests_before = scrape(base), set(openai_fake.responses), len(openai_fake.requests)
    with openai_fake.scripted(Script.misbehave("bad_args")):
        payload = slack.app_mention("WTI in won? (bad arguments)", channel="C0OPSTOOLS")
        slack.wait_ack(slack.deliver("events_api", payload))
        slack.wait_for_message(channel="C0OPSTOOLS", contains="invalid arguments", timeout=20, final=True)
    after = poll(lambda: scrape(base), lambda m: sum(series(m, "oilfx_turns_total").values())
                 > sum(series(before, "oilfx_turns_total").values()), what="the turn counted")
    # What the bot sent back: each function_call_output carrying an error, by the name of the call it answers.
    names = {item["call_id"]: item["name"] for r in openai_fake.responses.values()
             if r["response"]["id"] not in responses_before
             for item in r["response"]["output"] if item["type"] == "function_call"}
    failed = Counter(names[i["call_id"]] for r in openai_fake.requests[requests_before:]
                     if r["path"] == "/v1/responses" and r["method"] == "POST"
                     for i in (r["body"] or {}).get("input") or []
                     if isinstance(i, dict) and i.get("type") == "function_call_output"
                     and "error" in json.loads(i["output"]))
    assert failed, "the scripted call was refused"
    for tool, n in failed.items():
        assert (value(after, "oilfx_tool_failures_total", tool=tool, kind="call")
                - value(before, "oilfx_tool_failures_total", tool=tool, kind="call")) == n


def test_no_secret_or_user_text_in_metrics_or_health(ops_bot):
    base, env = ops_bot
    for path in ("/metrics", "/healthz"):
        text = get(base + path).text
        for forbidden in [*secrets_of(env), QUESTION, "C0OPSMETRICS"]:
            assert forbidden not in text, f"{forbidden!r} in {path}"


def test_other_paths_and_methods_on_the_health_port(ops_bot):
    base, _ = ops_bot

    assert get(base + "/slack/events").status_code == 404   # Socket Mode: nothing of Slack is served here
    refused = requests.post(base + "/healthz", timeout=10)
    assert refused.status_code == 405 and refused.headers["Allow"] == "GET, HEAD"
    assert requests.post(base + "/metrics", timeout=10).status_code == 405
    assert get(base + "/metrics").headers["Content-Type"].startswith("text/plain;")
    # What Prometheus asks for first: the OpenMetrics format, which prometheus_client negotiates.
    scraped = requests.get(base + "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"},
                           timeout=10)
    assert scraped.headers["Content-Type"].startswith("application/openmetrics-text")
    assert "oilfx_turns" in scraped.text and scraped.text.rstrip().endswith("# EOF")


def test_the_compose_health_check_command_passes_against_the_bot(ops_bot):
    """docker-compose.yml's health check, run as Docker would run it (its python, the bot's OILFX_HEALTH_PORT)."""
    _, env = ops_bot
    command = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]["bot"]["healthcheck"]["test"]
    assert command[:2] == ["CMD", "python"]
    run = [sys.executable, *command[2:]]
    healthy = subprocess.run(run, env={**clean_env({}), "OILFX_HEALTH_PORT": env["OILFX_HEALTH_PORT"]},
                             capture_output=True, text=True, timeout=30)
    assert healthy.returncode == 0, healthy.stderr
    nobody = subprocess.run(run, env={**clean_env({}), "OILFX_HEALTH_PORT": str(free_port())},
                            capture_output=True, text=True, timeout=30)
    assert nobody.returncode != 0   # nothing listening: unhealthy, as a 503 would be


def test_a_health_port_in_use_stops_the_bot_naming_the_setting(servers, tmp_path):
    slack, openai_fake, pages = servers
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_HTTP_HOST": "127.0.0.1",
               "OILFX_HEALTH_PORT": port, "OILFX_DB": str(tmp_path / "oilfx.db")}
        done = BotProcess(env).run()
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "OILFX_HEALTH_PORT" in done.stderr and f"127.0.0.1:{port}" in done.stderr


def test_healthz_names_slack_while_the_socket_cannot_reconnect(ops_bot, servers):
    """Last in the module: it takes the bot's connection away, then gives it back."""
    base, _ = ops_bot
    slack, _, _ = servers
    slack.server_error("apps.connections.open", times=None)   # Slack's 5xx page for every reconnect attempt
    try:
        slack.drop()
        down = poll(lambda: get(base + "/healthz"), lambda r: r.status_code == 503, what="the Slack check failing")
        body = down.json()
        assert body["failed"] == ["slack"] and body["checks"]["slack"]["socket_connected"] is False
    finally:
        slack.clear_faults()
    slack.wait_connections(1, timeout=20)
    poll(lambda: get(base + "/healthz"), lambda r: r.status_code == 200, what="healthy after reconnecting")
