"""WSGI middleware in front of Bolt in HTTP mode: refuses a request before anything reads or processes it when
it is too big (413), has no usable length (411), is unsigned, wrongly signed or older than 5 minutes (401), is a
byte-for-byte replay of a slash command or click already accepted (401; replayed events are acked and dropped by
the event_id dedupe), or is not the JSON/form body Slack sends (400).

Bolt verifies signatures too but reads any body size, answers a replayed request again (only our event dedupe
stops events; slash commands and button clicks have no retry-safe id) and lets parse errors surface late.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20          # Slack's largest payloads (interactivity with a full message) stay far below 1 MiB
REPLAY_WINDOW = 5 * 60      # SignatureVerifier refuses older timestamps, so remembering 5 minutes is enough

StartResponse = Callable[..., Any]


class RequestGuard:
    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]], signing_secret: str,
                 max_body: int = MAX_BODY, clock: Callable[[], float] = time.time) -> None:
        self.app, self.max_body, self.clock = app, max_body, clock
        self.verifier = SignatureVerifier(signing_secret, clock=_Clock(clock))
        self._seen: set[str] = set()
        self._order: deque[tuple[float, str]] = deque()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return _refuse(start_response, 411, "a Content-Length is required")
        if length < 0 or length > self.max_body:
            return _refuse(start_response, 413, f"body over {self.max_body} bytes")
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        if body.startswith(b"ssl_check=1") or b"&ssl_check=1" in body:
            return self.app(environ, start_response)  # Slack's unsigned certificate check; Bolt only answers 200
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not timestamp or not signature:
            return _refuse(start_response, 401, "missing Slack signature headers")
        try:
            valid = self.verifier.is_valid(body, timestamp, signature)
        except UnicodeDecodeError:  # the verifier decodes the body as UTF-8; Slack never sends anything else
            return _refuse(start_response, 400, "body is not UTF-8")
        if not valid:
            return _refuse(start_response, 401, "invalid or expired signature")
        # Events: Slack's immediate retry can repeat a request byte for byte (same second, same signature), and
        # the event_id dedupe answers each event once anyway. Commands and clicks are never retried by Slack.
        is_event = environ.get("CONTENT_TYPE", "").startswith("application/json")
        if not is_event and not self._first_time(signature):
            return _refuse(start_response, 401, "replayed request")
        if not _well_formed(body, environ.get("CONTENT_TYPE", "")):
            return _refuse(start_response, 400, "body is not a Slack JSON or form payload")
        return self.app(environ, start_response)

    def _first_time(self, signature: str) -> bool:
        now = self.clock()
        with self._lock:
            while self._order and self._order[0][0] < now:
                self._seen.discard(self._order.popleft()[1])
            if signature in self._seen:
                return False
            self._seen.add(signature)
            self._order.append((now + REPLAY_WINDOW, signature))
            return True


class _Clock:
    """SignatureVerifier's clock interface over a plain time function (tests move time)."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


def _well_formed(body: bytes, content_type: str) -> bool:
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/json"):
            return isinstance(json.loads(text), dict)
        if content_type.startswith("application/x-www-form-urlencoded"):
            fields = parse_qs(text, strict_parsing=True)
            return "payload" not in fields or isinstance(json.loads(fields["payload"][0]), dict)
    except ValueError:
        return False
    return False


def _refuse(start_response: StartResponse, status: int, reason: str) -> list[bytes]:
    log.warning("refused a Slack HTTP request: %s (HTTP %d)", reason, status)
    phrases = {400: "Bad Request", 401: "Unauthorized", 411: "Length Required", 413: "Payload Too Large"}
    body = reason.encode()
    start_response(f"{status} {phrases[status]}", [("Content-Type", "text/plain; charset=utf-8"),
                                                   ("Content-Length", str(len(body)))])
    return [body]
