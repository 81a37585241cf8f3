"""RequestGuard (oilfx/slack/http_guard.py) as a plain WSGI callable, no server: what it refuses, with which
status, and that a request it lets through reaches the app with its body intact. The HTTP end-to-end tests
(test_bot_e2e_http.py, test_faults_security.py) show the same refusals through a running bot."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any

import pytest

from oilfx.slack.http_guard import MAX_BODY, REPLAY_WINDOW, RequestGuard
from tests.fakes.slack_signing import http_body, sign

SECRET = "signing-secret-for-tests"
NOW = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class App:
    """The app behind the guard: records the body each request reached it with."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.bodies.append(environ["wsgi.input"].read())
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app() -> App:
    return App()


@pytest.fixture
def guard(app: App, clock: Clock) -> RequestGuard:
    return RequestGuard(app, SECRET, clock=clock)


def environ(body: bytes, content_type: str = "application/json", *, timestamp: float = NOW,
            signature: str | None = None, method: str = "POST", length: str | None = None,
            headers: bool = True) -> dict[str, Any]:
    env: dict[str, Any] = {"REQUEST_METHOD": method, "CONTENT_TYPE": content_type,
                           "CONTENT_LENGTH": str(len(body)) if length is None else length,
                           "wsgi.input": io.BytesIO(body)}
    if headers:
        ts = str(int(timestamp))
        env["HTTP_X_SLACK_REQUEST_TIMESTAMP"] = ts
        env["HTTP_X_SLACK_SIGNATURE"] = signature or sign(body, SECRET, ts)
    return env


def call(guard: RequestGuard, env: dict[str, Any]) -> tuple[int, bytes]:
    statuses: list[str] = []
    body = b"".join(guard(env, lambda status, _headers: statuses.append(status)))
    return int(statuses[0].split()[0]), body


EVENT = http_body("events_api", {"type": "event_callback", "event_id": "Ev1", "event": {"type": "app_mention"}})
COMMAND = http_body("slash_commands", {"command": "/oilprice", "text": "", "trigger_id": "t1"})
CLICK = http_body("interactive", {"type": "block_actions", "actions": [{"action_id": "show_steps"}]})


@pytest.mark.parametrize("body,content_type", [EVENT, COMMAND, CLICK], ids=["event", "command", "click"])
def test_a_signed_slack_request_reaches_the_app_with_its_body(guard: RequestGuard, app: App, body: bytes,
                                                              content_type: str) -> None:
    assert call(guard, environ(body, content_type)) == (200, b"ok")
    assert app.bodies == [body]


def test_anything_but_a_post_passes_untouched(guard: RequestGuard, app: App) -> None:
    assert call(guard, environ(b"", method="GET", headers=False))[0] == 200
    assert app.bodies == [b""]


@pytest.mark.parametrize("length", ["", "abc"])
def test_no_usable_length_is_411(guard: RequestGuard, app: App, length: str) -> None:
    assert call(guard, environ(EVENT[0], length=length))[0] == 411
    assert app.bodies == []


def test_a_body_over_the_limit_is_413_before_it_is_read(app: App, clock: Clock) -> None:
    guard = RequestGuard(app, SECRET, max_body=100, clock=clock)
    env = environ(b"x" * 101)
    assert call(guard, env)[0] == 413
    assert env["wsgi.input"].tell() == 0  # refused on the header alone
    assert call(guard, environ(b"x", length="-1"))[0] == 413
    assert MAX_BODY == 1 << 20
    assert app.bodies == []


def test_missing_signature_headers_are_401(guard: RequestGuard, app: App) -> None:
    assert call(guard, environ(EVENT[0], headers=False)) == (401, b"missing Slack signature headers")
    env = environ(EVENT[0])
    del env["HTTP_X_SLACK_SIGNATURE"]
    assert call(guard, env)[0] == 401
    assert app.bodies == []


def test_a_wrong_signature_is_401(guard: RequestGuard, app: App) -> None:
    assert call(guard, environ(EVENT[0], signature="v0=" + "0" * 64)) == (401, b"invalid or expired signature")
    other = sign(EVENT[0], "another-secret", str(int(NOW)))
    assert call(guard, environ(EVENT[0], signature=other))[0] == 401
    assert app.bodies == []


def test_a_request_older_than_five_minutes_is_401(guard: RequestGuard, app: App) -> None:
    assert call(guard, environ(EVENT[0], timestamp=NOW - 301))[0] == 401
    assert call(guard, environ(EVENT[0], timestamp=NOW - 290))[0] == 200
    assert len(app.bodies) == 1


def test_a_body_not_utf8_is_400(guard: RequestGuard, app: App) -> None:
    assert call(guard, environ(b"\xff\xfe{}"))[0] == 400
    assert app.bodies == []


@pytest.mark.parametrize("body,content_type", [
    (b"[1, 2]", "application/json"),            # JSON, but not an object
    (b"{not json", "application/json"),
    (b"payload=%7Bnot+json", "application/x-www-form-urlencoded"),
    (b"payload=%5B%5D", "application/x-www-form-urlencoded"),  # payload not an object
    (b"a=1&&&=", "application/x-www-form-urlencoded"),
    (b"hello", "text/plain"),
], ids=["json-list", "json-broken", "payload-broken", "payload-list", "form-broken", "text"])
def test_a_signed_body_slack_would_not_send_is_400(guard: RequestGuard, app: App, body: bytes,
                                                  content_type: str) -> None:
    assert call(guard, environ(body, content_type))[0] == 400
    assert app.bodies == []


@pytest.mark.parametrize("body,content_type", [COMMAND, CLICK], ids=["command", "click"])
def test_a_replayed_command_or_click_is_401(guard: RequestGuard, app: App, clock: Clock, body: bytes,
                                           content_type: str) -> None:
    assert call(guard, environ(body, content_type))[0] == 200
    clock.now += 10
    assert call(guard, environ(body, content_type)) == (401, b"replayed request")
    assert len(app.bodies) == 1


def test_a_replayed_event_passes_to_the_event_id_dedupe(guard: RequestGuard, app: App) -> None:
    """Slack's immediate retry can repeat an event byte for byte; the bot acks it and the dedupe drops it."""
    assert call(guard, environ(*EVENT))[0] == 200
    assert call(guard, environ(*EVENT))[0] == 200
    assert len(app.bodies) == 2


def test_the_replay_memory_forgets_after_the_window(guard: RequestGuard, app: App, clock: Clock) -> None:
    """Old signatures are dropped once the verifier would refuse their timestamp anyway, so memory stays bounded."""
    assert call(guard, environ(*COMMAND))[0] == 200
    clock.now += REPLAY_WINDOW + 1
    fresh = http_body("slash_commands", {"command": "/oilprice", "text": "brent", "trigger_id": "t2"})
    assert call(guard, environ(*fresh, timestamp=clock.now))[0] == 200
    assert len(guard._seen) == 1  # the first command's signature was forgotten


def test_slacks_unsigned_ssl_check_passes(guard: RequestGuard, app: App) -> None:
    body = b"ssl_check=1&token=abc"
    assert call(guard, environ(body, "application/x-www-form-urlencoded", headers=False))[0] == 200
    assert app.bodies == [body]


def test_refusals_are_plain_text_with_a_length(guard: RequestGuard) -> None:
    headers: list[tuple[str, str]] = []
    body = b"".join(guard(environ(json.dumps([]).encode()), lambda _s, h: headers.extend(h)))
    assert dict(headers) == {"Content-Type": "text/plain; charset=utf-8", "Content-Length": str(len(body))}
