"""A loopback fake of Slack: the Web API (`<base>/api/<method>`), the Socket Mode websocket, response_url hooks.

Modelled on Slack's Web API (docs.slack.dev/reference/methods: HTTP 200 with {"ok": true, ...} or
{"ok": false, "error": "..."}; rate limits as HTTP 429 + Retry-After) and on the Socket Mode protocol
(apps.connections.open -> wss URL -> `hello` -> envelopes acked by envelope_id; `disconnect` messages).
Real clients (slack_sdk WebClient, its built-in SocketModeClient, Bolt) talk to it unchanged:

    fake = FakeSlack().start()
    client = WebClient(token=fake.bot_token, base_url=fake.api_url)
    env = fake.env()    # SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_API_URL for `python bot.py`
    eid = fake.deliver("events_api", fake.app_mention("what does WTI cost?"))
    fake.wait_ack(eid)
    fake.wait_for_message(thread_ts=..., contains="₩")

The parts: slack_state.py (what was recorded, waits), slack_web_api.py + slack_web_methods.py +
slack_refusals.py (the Web API), slack_faults.py (faults a test injects), slack_socket_mode.py (the websocket).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from tests.fakes.httpd import LoopbackHTTPServer
from tests.fakes.slack_faults import AI_METHODS, CONTENT_METHODS, Fault
from tests.fakes.slack_oauth import SlackOAuth
from tests.fakes.slack_payloads import Workspace
from tests.fakes.slack_refusals import MAX_BLOCKS, MAX_SECTION_TEXT, MAX_TEXT, REQUIRED_ARGS
from tests.fakes.slack_signing import signed_request
from tests.fakes.slack_socket_mode import MAX_CONNECTIONS, SocketMode
from tests.fakes.slack_state import Ack, Call, Envelope, FakeSlackError, Message
from tests.fakes.slack_web_api import WebApi, handler_for

# What tests import from here (the parts' names stay importable from the module tests have always used).
__all__ = ["AI_METHODS", "CONTENT_METHODS", "MAX_BLOCKS", "MAX_CONNECTIONS", "MAX_SECTION_TEXT", "MAX_TEXT",
           "REQUIRED_ARGS", "Ack", "Call", "Envelope", "FakeSlack", "FakeSlackError", "Fault", "Message",
           "signed_request", "slack_server"]


class FakeSlack(SlackOAuth, WebApi, SocketMode):
    """One fake Slack workspace with one app installed. Thread-safe; every wait uses a condition variable."""

    def __init__(
        self,
        bot_token: str = "xoxb-fake-bot-token",
        app_token: str = "xapp-1-fake-app-token",
        signing_secret: str = "fake-signing-secret",
        workspace: Workspace | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.signing_secret = signing_secret
        self.workspace = workspace or Workspace()
        self.workspace._ts = self.next_ts
        self._cond = threading.Condition()
        self._ts_counter = itertools.count(1)
        self._ticket_counter = itertools.count(1)
        self._conn_counter = itertools.count(1)
        self._rr = itertools.count()
        self._http: ThreadingHTTPServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ws_thread: threading.Thread | None = None
        self._ws_server: Any = None
        self._stop_ws: asyncio.Event | None = None
        self.ws_port = 0
        self.http_port = 0
        self.max_connections = MAX_CONNECTIONS
        self.ws_keepalive = 5.0  # the server's websocket ping interval and pong timeout (s); set before start()
        self._reset_state()


    # -- lifecycle -----------------------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        self._http = LoopbackHTTPServer(("127.0.0.1", 0), handler_for(self))
        self._http.daemon_threads = True
        self.http_port = self._http.server_address[1]
        self.workspace.base_url = self.base_url.rstrip("/")
        threading.Thread(target=self._http.serve_forever, name="fake-slack-http", daemon=True).start()
        started = threading.Event()
        self._ws_thread = threading.Thread(target=self._run_ws, args=(started,), name="fake-slack-ws", daemon=True)
        self._ws_thread.start()
        if not started.wait(10):
            raise RuntimeError("fake Slack websocket server did not start")
        return self

    def stop(self) -> None:
        if self._loop and self._stop_ws:
            self._loop.call_soon_threadsafe(self._stop_ws.set)
            if self._ws_thread:
                self._ws_thread.join(5)
        if self._http:
            self._http.shutdown()
            self._http.server_close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget calls, messages, faults and acks (open connections stay open)."""
        with self._cond:
            self._reset_state()
            self._cond.notify_all()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/"

    @property
    def api_url(self) -> str:
        """The Web API base, as SLACK_API_URL / WebClient(base_url=...) expect (trailing slash)."""
        return f"{self.base_url}api/"

    def env(self, socket_mode: bool = True) -> dict[str, str]:
        """Environment for a bot process pointed at this fake."""
        env = {"SLACK_BOT_TOKEN": self.bot_token, "SLACK_API_URL": self.api_url,
               "SLACK_SIGNING_SECRET": self.signing_secret}
        if socket_mode:
            env["SLACK_APP_TOKEN"] = self.app_token
        return env

    # -- payload builders (delegates; see slack_payloads.Workspace) ------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        if name in {"app_mention", "dm_message", "channel_message", "message_changed", "message_deleted",
                    "bot_message", "assistant_thread_started", "assistant_thread_context_changed", "edited",
                    "with_files", "slash_command", "block_action", "event_callback"}:
            return getattr(self.workspace, name)
        raise AttributeError(name)


@pytest.fixture
def slack_server() -> Iterator[FakeSlack]:
    """A started fake Slack on 127.0.0.1 (Web API + Socket Mode); stopped after the test."""
    fake = FakeSlack().start()
    try:
        yield fake
    finally:
        fake.stop()
