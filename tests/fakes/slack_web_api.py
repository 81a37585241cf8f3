"""The fake Slack's Web API over HTTP: `<base>/api/<method>` (form or JSON, token in the header or the form),
response_url hooks; tokens checked, faults applied, then the method answered (slack_web_methods.py) or Slack's
refusal (slack_refusals.py; an unknown method is {"ok": false, "error": "unknown_method"}, HTTP 200)."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.fakes.slack_faults import Faults, Hitches
from tests.fakes.slack_files import FILES_API, UPLOAD_PATH, SlackFiles
from tests.fakes.slack_refusals import missing_argument, refusal
from tests.fakes.slack_state import Call
from tests.fakes.slack_views import SlackViews
from tests.fakes.slack_web_methods import WebMethods

logger = logging.getLogger(__name__)

# Methods an app-level (xapp-) token may call; everything else needs the bot token.
APP_TOKEN_METHODS = {"apps.connections.open"}


class WebApi(SlackViews, WebMethods, Faults, Hitches, SlackFiles):
    """Answers Web API calls and records each (SlackState.calls)."""

    def handle_api(self, method: str, params: dict[str, Any], token: str | None) -> tuple[int, dict, dict]:
        """Answer one Web API call: (HTTP status, extra headers, JSON body). Records the call."""
        if hitch := self._take_hitch(method, params):
            return self._with_hitch(hitch, method, params, token)  # type: ignore[return-value]
        delay = self.latency.get(method, self.latency.get("*", 0.0))
        if delay:
            time.sleep(delay)
        with self._cond:
            status, headers, body = self._answer(method, params, token)
            self.calls.append(Call(method, params, token, time.time(), status, body))
            self._cond.notify_all()
        return status, headers, body

    def _answer(self, method: str, params: dict[str, Any], token: str | None) -> tuple[int, dict, dict]:
        if not token:
            return 200, {}, {"ok": False, "error": "not_authed"}
        if token not in (self.bot_token, self.app_token):
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        if (method in APP_TOKEN_METHODS) != (token == self.app_token):
            return 200, {}, {"ok": False, "error": "not_allowed_token_type"}
        fault = self._take_fault(method, params)
        if fault:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            return fault.status, headers, refusal(fault.error, params.get("blocks"))
        if refused := missing_argument(method, params):
            return 200, {}, refused
        handler = _API.get(method)
        if handler is None:  # what Slack answers for a method it does not have (HTTP 200, as every API error)
            return 200, {}, {"ok": False, "error": "unknown_method", "req_method": method}
        return 200, {}, handler(self, params)


def handler_for(fake: WebApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("fake slack: " + format, *args)

        def _params(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            query = {k: v[-1] for k, v in parse_qs(urlparse(self.path).query).items()}
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype == "application/json" and raw:
                body = json.loads(raw)
            else:
                body = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8")).items()}
                # Form posts carry structured arguments (blocks, chunks, prompts) as JSON strings.
                for key in ("blocks", "attachments", "chunks", "prompts", "metadata", "loading_messages"):
                    if isinstance(body.get(key), str):
                        with contextlib.suppress(ValueError):
                            body[key] = json.loads(body[key])
            return {**query, **body}

        def _reply(self, status: int, body: dict[str, Any] | str, headers: dict[str, str] | None = None) -> None:
            headers = dict(headers or {})
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()  # str: a 5xx HTML page
            try:
                self.send_response(status)
                self.send_header("Content-Type", headers.pop("Content-Type", "application/json; charset=utf-8"))
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up waiting (answer_late): Slack's answer goes nowhere too
                self.close_connection = True

        def do_POST(self) -> None:
            path = urlparse(self.path).path
            if path.startswith(UPLOAD_PATH):  # a file's raw bytes (slack_files.py), not a form
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                return self._reply(*fake.handle_upload(path, data))
            try:
                params = self._params()
            except ValueError:
                self._reply(200, {"ok": False, "error": "invalid_json"})
                return
            if path.startswith("/api/"):
                auth = self.headers.get("Authorization") or ""
                if auth.startswith("Basic "):  # oauth.v2.access: the app's client id and secret (slack_oauth.py)
                    params["basic_auth"] = auth[len("Basic "):]
                token = auth[7:] if auth.startswith("Bearer ") else params.pop("token", None)
                params.pop("token", None)
                status, headers, body = fake.handle_api(path[len("/api/"):], params, token)
                self._reply(status, body, headers)
            elif path == "/oauth/v2/authorize":  # the install page, answered as the installer would (slack_oauth.py)
                status, where = fake.authorize(params)  # type: ignore[attr-defined]
                self._reply(status, where, {"Location": where, "Content-Type": "text/plain"} if status == 302 else {})
            elif path.startswith(("/commands/", "/actions/")):
                fake.handle_response_url(path, params)
                self._reply(200, {"ok": True})
            else:
                self._reply(404, {"ok": False, "error": "unknown_method"})

        do_GET = do_POST

    return Handler


_API: dict[str, Callable[[Any, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": WebMethods._auth_test,
    "apps.connections.open": WebMethods._connections_open,
    "chat.postMessage": WebMethods._post_message,
    "chat.update": WebMethods._update,
    "chat.delete": WebMethods._delete,
    "chat.postEphemeral": WebMethods._ephemeral,
    "reactions.add": WebMethods._reaction,
    "users.info": WebMethods._users_info,
    "conversations.info": WebMethods._conversations_info,
    "assistant.threads.setStatus": WebMethods._assistant,
    "assistant.threads.setSuggestedPrompts": WebMethods._assistant,
    "assistant.threads.setTitle": WebMethods._assistant,
    "chat.startStream": WebMethods._start_stream,
    "chat.appendStream": WebMethods._append_stream,
    "chat.stopStream": WebMethods._stop_stream,
    "conversations.replies": Hitches._replies,
    "conversations.history": Hitches._history,
    **FILES_API,
    "views.publish": SlackViews._views_publish,
}
