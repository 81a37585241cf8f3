"""Watches every Slack Web API response the bot gets: counts the errors (oilfx_slack_api_errors_total, by method and
code) and remembers the last outcome, which /healthz reports as the Slack connection state.

It is a slack_sdk RetryHandler that never asks for a retry: the SDK shows every attempt's response to its retry
handlers (HTTP 200 bodies, HTTP errors and connection errors alike), and Bolt copies the app client's handlers into
the client it makes for each request, so calls made through Bolt's `say`/`set_status` are seen too. Installed
first in make_client's list, so no other handler's retry decision hides a response from it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.socket_mode.builtin import SocketModeClient

from oilfx.health import Check, CheckResult
from oilfx.metrics import METRICS

# Slack's answers meaning the token no longer works (auth.test's documented errors, and a revoked or expired token).
AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"})


@dataclass(frozen=True)
class CallOutcome:
    """The last Web API response: which method, Slack's error code (None: ok), whether Slack answered at all (not
    a connection error or a 5xx page) and when (time.time())."""

    method: str
    error: str | None
    reached: bool
    at: float

    @property
    def connected(self) -> bool:
        """Slack answered and accepted the token (a refusal of the request itself, e.g. channel_not_found, still
        shows a working connection)."""
        return self.reached and self.error not in AUTH_ERRORS


class ApiWatch(RetryHandler):
    def __init__(self, rejected: Callable[[str], object] | None = None) -> None:
        """`rejected(token)`: called when Slack refuses a call's token (AUTH_ERRORS), e.g. to drop what was
        cached about that token (OAuth: Bolt's auth.test result)."""
        super().__init__(max_retry_count=0)
        self.last: CallOutcome | None = None   # one reference swap per response: no lock needed
        self.rejected = rejected

    def can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                  error: Exception | None = None) -> bool:
        method = request.url.rsplit("/", 1)[-1].split("?", 1)[0]
        code = _error_code(response, error)
        if code is not None:
            METRICS.slack_api_error(method, code)
        reached = response is not None and response.status_code < 500
        self.last = CallOutcome(method, code, reached, time.time())
        if code in AUTH_ERRORS and self.rejected is not None and (token := _bearer(request)):
            self.rejected(token)
        return False


def _bearer(request: HttpRequest) -> str | None:
    """The call's token (slack_sdk's retry request keeps each header as a list of values)."""
    value: Any = (request.headers or {}).get("Authorization")
    if isinstance(value, list):
        value = value[0] if value else None
    return value.removeprefix("Bearer ") if isinstance(value, str) and value.startswith("Bearer ") else None


def _error_code(response: HttpResponse | None, error: Exception | None) -> str | None:
    if response is None:
        return type(error).__name__ if error is not None else "no_response"   # URLError, TimeoutError, ...
    if response.status_code == 429:
        return "ratelimited"
    if response.status_code >= 400:
        return f"http_{response.status_code}"
    body: Any = response.body
    if isinstance(body, dict) and body.get("ok") is False:
        return str(body.get("error") or "unknown")
    return None


def watch_of(client: WebClient) -> ApiWatch | None:
    """The ApiWatch among `client`'s retry handlers (make_client installs one)."""
    return next((h for h in client.retry_handlers or [] if isinstance(h, ApiWatch)), None)


def slack_check(client: WebClient, socket: SocketModeClient | None = None, token_refusal_fails: bool = True) -> Check:
    """/healthz's Slack check: in Socket Mode the websocket is connected; in both modes the last Web API response
    (auth.test at start, then every call) reached Slack and, with one token (`token_refusal_fails`), did not refuse
    it. With a token per workspace (OAuth) a refused token is that workspace's problem, not the process's."""
    watch = watch_of(client)

    def check() -> CheckResult:
        last = watch.last if watch is not None else None
        facts: dict[str, str | float | bool | None] = {
            "last_call": last.method if last else None, "last_error": last.error if last else None,
            "last_call_age_seconds": round(time.time() - last.at, 1) if last else None}
        if socket is not None:
            session = socket.current_session
            facts["socket_connected"] = connected = session is not None and session.is_active()
            if not connected:
                return CheckResult(False, "the Socket Mode connection is down (reconnecting)", facts)
        if last is not None and not (last.connected or (last.reached and not token_refusal_fails)):
            return CheckResult(False, f"the last Slack call ({last.method}) failed: {last.error}", facts)
        return CheckResult(True, "connected" if socket is not None else "the last Slack call worked", facts)

    return check
