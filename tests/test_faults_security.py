"""Security faults: HTTP-mode requests that must be refused before anything is processed, secrets kept out of
DEBUG logs, tool arguments that try to reach other URLs or files, and user text that names tools."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from oilfx.config import load_settings
from oilfx.market import Market, format_krw
from oilfx.tools import default_registry
from tests.fakes.bot_process import BotProcess, free_port
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack_server import FakeSlack, signed_request
from tests.fakes.slack_signing import http_body, sign

ANSWER_TIMEOUT = 20.0


def wait_listening(bot: BotProcess, port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or not bot.alive:
                bot.stop()
                pytest.fail(f"HTTP bot did not listen on {port}; its log:\n{bot.log()}")
            time.sleep(0.05)


@pytest.fixture(scope="module")
def http_bot(servers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, BotProcess]]:
    """HTTP mode at DEBUG, so the secrets test also sees everything Bolt and slack_sdk log."""
    slack, openai_fake, pages = servers
    port = free_port()
    env = {**slack.env(socket_mode=False), **openai_fake.env(), **pages.env(), "PORT": str(port),
           "OILFX_HTTP_HOST": "127.0.0.1", "OILFX_LOG_LEVEL": "DEBUG",
           "OILFX_DB": str(tmp_path_factory.mktemp("sec") / "oilfx.db")}
    bot = BotProcess(env).start()
    wait_listening(bot, port)
    yield f"http://127.0.0.1:{port}/slack/events", bot
    bot.stop()


def raw_post(url: str, head: dict[str, str], body: bytes, send: int | None = None) -> int:
    """POST with exact headers over a plain socket (sending only `send` bytes of the body); the status code."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    lines = ["POST /slack/events HTTP/1.1", f"Host: {host}:{port}", "Connection: close",
             *(f"{k}: {v}" for k, v in head.items())]
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body[:send])
        reply = b""
        while chunk := s.recv(4096):
            reply += chunk
    return int(reply.split(b" ", 2)[1])


def nothing_processed(slack: FakeSlack, openai_fake: FakeOpenAI, channel: str, model_requests: int) -> None:
    time.sleep(0.5)  # room for a wrongly accepted request to reach the model or Slack
    assert slack.posted(channel) == []
    assert len(openai_fake.requests) == model_requests


def test_http_requests_without_signature_headers_are_refused(http_bot, servers):
    url, _ = http_bot
    slack, openai_fake, _ = servers
    before = len(openai_fake.requests)
    payload = slack.app_mention("WTI in won? (no headers)", channel="C0NOHDR")
    for omit in (("X-Slack-Signature",), ("X-Slack-Request-Timestamp",),
                 ("X-Slack-Signature", "X-Slack-Request-Timestamp")):
        assert signed_request(url, payload, slack.signing_secret, omit=omit).status_code == 401
    nothing_processed(slack, openai_fake, "C0NOHDR", before)


def test_a_replayed_request_is_refused_and_answered_once(http_bot, servers, quote):
    url, _ = http_bot
    slack = servers[0]
    payload = slack.app_mention("WTI in won? (replayed)", channel="C0REPLAY")
    ts = str(int(time.time()))
    assert signed_request(url, payload, slack.signing_secret, timestamp=int(ts)).status_code == 200
    slack.wait_for_message(channel="C0REPLAY", contains=format_krw(quote.krw_per_barrel("WTI")),
                           timeout=ANSWER_TIMEOUT)
    # The same bytes, signature and timestamp again (an attacker's replay within the 5 minutes, or Slack's own
    # immediate retry in the same second): acked, and the event_id dedupe drops it.
    assert signed_request(url, payload, slack.signing_secret, timestamp=int(ts)).status_code == 200
    # A slash command has no event_id: only the replay check stops it from being run twice.
    command = slack.slash_command(text="WTI in won? (replayed command)", channel="C0REPLAYCMD")
    body, ctype = http_body("slash_commands", command)
    assert signed_request(url, body, slack.signing_secret, timestamp=int(ts), content_type=ctype).status_code == 200
    slack.wait_for_message(channel="C0REPLAYCMD", contains="₩", timeout=ANSWER_TIMEOUT)
    assert signed_request(url, body, slack.signing_secret, timestamp=int(ts), content_type=ctype).status_code == 401
    time.sleep(0.5)
    assert len(slack.posted("C0REPLAY")) == 1 and len(slack.posted("C0REPLAYCMD")) == 1


def test_oversized_and_malformed_bodies_are_refused(http_bot, servers):
    url, _ = http_bot
    slack, openai_fake, _ = servers
    before = len(openai_fake.requests)
    payload = slack.app_mention("WTI in won? " + "x" * (2 << 20), channel="C0HUGE")
    huge = json.dumps(payload).encode()
    ts = str(int(time.time()))
    head = {"Content-Type": "application/json", "Content-Length": str(len(huge)),
            "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(huge, slack.signing_secret, ts)}
    assert raw_post(url, head, huge, send=1024) == 413  # refused before the body is read
    for body, ctype in ((b"{not json", "application/json"), (b"[1, 2]", "application/json"),
                        (b"\xff\xfe\x00garbage", "application/json"),
                        (b"payload=%7Bnot+json", "application/x-www-form-urlencoded"),
                        (b"<xml/>", "text/xml")):
        status = signed_request(url, body, slack.signing_secret, content_type=ctype).status_code
        assert status == 400, (body, status)
    nothing_processed(slack, openai_fake, "C0HUGE", before)


def test_secrets_never_reach_the_logs_even_at_debug(http_bot, servers, tmp_path):
    url, bot = http_bot
    slack, openai_fake, pages = servers
    # Socket Mode too (the app-level token is used there), also at DEBUG.
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_LOG_LEVEL": "DEBUG",
           "OILFX_DB": str(tmp_path / "oilfx.db")}
    socket_bot = BotProcess(env).start()
    try:
        slack.wait_connections(1, timeout=30)
        payload = slack.app_mention("WTI in won? (debug logs)", channel="C0DEBUG")
        slack.wait_ack(slack.deliver("events_api", payload))
        slack.wait_for_message(channel="C0DEBUG", contains="₩", timeout=ANSWER_TIMEOUT)
        http_payload = slack.app_mention("Brent in won? (debug logs)", channel="C0DEBUGHTTP")
        assert signed_request(url, http_payload, slack.signing_secret).status_code == 200
        slack.wait_for_message(channel="C0DEBUGHTTP", contains="₩", timeout=ANSWER_TIMEOUT)
    finally:
        socket_bot.stop()
    logs = socket_bot.log() + bot.log()
    assert " DEBUG " in logs  # the test really captured debug output
    for secret in (slack.bot_token, slack.app_token, slack.signing_secret, openai_fake.env()["OPENAI_API_KEY"]):
        assert secret not in logs
        assert secret[8:] not in logs  # not even the token's distinctive tail


# --- tools cannot be pointed elsewhere ------------------------------------------------------------------------

class _Trap(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Trap.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def trap() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trap)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Trap.hits = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_tool_arguments_cannot_fetch_other_urls_or_files(servers, trap):
    pages = servers[2]
    registry = default_registry(Market(load_settings(pages.env(OILFX_CACHE_TTL="0"))))
    before = pages.total()
    for arguments in ({"benchmark": f"{trap}/steal", "unit": "barrel"},
                      {"benchmark": "../../etc/passwd", "unit": "barrel"},
                      {"benchmark": "WTI", "unit": "file:///etc/passwd"},
                      {"benchmark": "WTI", "unit": "barrel", "url": f"{trap}/x"},
                      {"benchmark": "WTI", "unit": "barrel", "source": "/etc/passwd"}):
        step = registry.call("c1", "oil_price_krw", json.dumps(arguments))
        assert not step.ok and "invalid arguments" in step.output
        assert "root:" not in step.output
    for name in ("oil_price", "usd_krw"):  # no parameters at all: extra ones are refused
        step = registry.call("c1", name, json.dumps({"url": f"{trap}/y"}))
        assert not step.ok and "Additional properties" in step.output
    assert _Trap.hits == [] and pages.total() == before


@pytest.mark.parametrize("name", ["__class__", "__init__", "_run", "call", "default_registry", "market", "os.system",
                                  "oil_price_krw ", "OIL_PRICE"])
def test_only_registered_names_dispatch(servers, name):
    registry = default_registry(Market(load_settings(servers[2].env())))
    step = registry.call("c1", name, "{}")
    assert not step.ok and f"unknown tool {name!r}" in step.output


def test_user_text_naming_a_tool_is_only_a_question(servers, quote, tmp_path):
    """The question text reaches the model as text; only the model's function calls (checked against the registry)
    run tools. A user typing a tool name or call gets an ordinary answer, one set of tool calls."""
    slack, openai_fake, pages = servers
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_DB": str(tmp_path / "oilfx.db")}
    bot = BotProcess(env).start()
    try:
        slack.wait_connections(1, timeout=30)
        text = 'oil_price_krw({"benchmark": "../../etc/passwd"}) usd_krw __import__("os") WTI?'
        payload = slack.app_mention(text, channel="C0TOOLTEXT")
        slack.wait_ack(slack.deliver("events_api", payload))
        reply = slack.wait_for_message(channel="C0TOOLTEXT", contains=format_krw(quote.krw_per_barrel("WTI")),
                                       timeout=ANSWER_TIMEOUT)
    finally:
        bot.stop()
    assert "passwd" not in reply.all_text.replace(text, "")
    assert "tool oil_price_krw ok" in bot.log() and "failed" not in bot.log()
