"""Faults of the fake Slack's Web API (mixins of FakeSlack).

Clean refusals (Faults): `fail(method, error)`, `refuse_blocks` / `refuse_text`, `disable_ai_features`,
`set_latency`. What a flaky Slack does to a call beyond a clean refusal (Hitches):
- server_error: HTTP 5xx, not applied. Slack's 5xx is its HTML "Server Error | Slack" page (text/html), which
  slack_sdk reports as SlackApiError "Received a response in a non-JSON format" with the status code.
- answer_late: applied at once, answered after `seconds` (past the client's timeout: the client gives up).
- apply_late: held for `seconds`, then applied (a hung request Slack finishes after the client gave up).
- apply_then_fail: applied, then answered with a 5xx page (or HTTP 200 {"ok": false, "error": error}).

conversations.replies / conversations.history return our messages with their message metadata when asked
(include_all_metadata), as Slack does, so a client can find a post whose outcome it does not know.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.slack_state import Call, SlackState

# Slack's 5xx page, abridged (title, heading and message as slack_sdk's own test fixtures record it).
SERVER_ERROR_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
\t<meta charset="utf-8">
\t<title>Server Error | Slack</title>
\t<meta name="author" content="Slack">
</head>
<body>
\t<div id="page"><div id="page_contents">
\t\t<h1>Server Error</h1>
\t\t<div class="card">
\t\t\t<p>It seems like there\u2019s a problem connecting to our servers, and we\u2019re investigating the issue.</p>
\t\t\t<p>Please <a href="https://status.slack.com/">check our Status page for updates</a>.</p>
\t\t</div>
\t</div></div>
</body>
</html>
"""
HTML = {"Content-Type": "text/html; charset=utf-8"}


AI_METHODS = (
    "assistant.threads.setStatus",
    "assistant.threads.setSuggestedPrompts",
    "assistant.threads.setTitle",
    "chat.startStream",
    "chat.appendStream",
    "chat.stopStream",
)


# Methods that carry a message's content (see refuse_blocks / refuse_text).
CONTENT_METHODS = ("chat.postMessage", "chat.update", "chat.startStream", "chat.appendStream", "chat.stopStream")


@dataclass
class Fault:
    error: str
    remaining: int | None  # None: every call until cleared
    retry_after: int | None = None
    status: int = 200
    when: Callable[[dict[str, Any]], bool] | None = None


class Faults(SlackState):
    """Clean refusals a test asks for: an error for the next calls of a method, Slack's content refusals, the AI
    features switched off, latency. Applied before the method runs (WebApi._answer)."""

    def fail(
        self, method: str, error: str, times: int | None = 1, retry_after: int | None = None,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """The next `times` calls of `method` (None: all, until clear_faults) fail with `error`.
        `ratelimited` answers HTTP 429 with Retry-After (default 1 s); `when(params)` narrows which calls fail,
        e.g. `when=lambda p: p.get("channel") == "C0GONE"`."""
        status = 200
        if error == "ratelimited":
            status, retry_after = 429, retry_after if retry_after is not None else 1
        with self._cond:
            self.faults.setdefault(method, []).append(Fault(error, times, retry_after, status, when))

    def clear_faults(self, method: str | None = None) -> None:
        with self._cond:
            if method is None:
                self.faults.clear()
                self.hitches.clear()
            else:
                self.faults.pop(method, None)
                self.hitches.pop(method, None)

    def disable_ai_features(self, error: str = "not_allowed_token_type", stream_error: str | None = None) -> None:
        """Answer every assistant.threads.* / chat.*Stream call with an error, as a workspace without the
        AI-app features (or an app without the assistant feature) does. Undo with clear_faults()."""
        for m in AI_METHODS:
            self.fail(m, (stream_error or error) if "Stream" in m else error, times=None)

    # -- content refusals (what Slack answers a message it will not take) ----------------------------------------

    def refuse_blocks(self, error: str = "invalid_blocks", methods: tuple[str, ...] = CONTENT_METHODS,
                      times: int | None = None) -> None:
        """Refuse every call of `methods` that carries blocks as real Slack refuses content it will not take:
        HTTP 200, {"ok": false, "error": error} (invalid_blocks also with Slack's `errors` and
        response_metadata.messages). The same call without blocks (plain text) goes through."""
        for method in methods:
            self.fail(method, error, times=times, when=lambda p: bool(p.get("blocks")))

    def refuse_text(self, error: str = "msg_too_long", methods: tuple[str, ...] = CONTENT_METHODS,
                    times: int | None = None, longer_than: int = 0) -> None:
        """Refuse every call of `methods` whose text (text, markdown_text and markdown_text chunks) is longer than
        `longer_than` characters (Slack's msg_too_long shows up near 4,000 in practice, see SLACK_FACTS.md)."""
        def has_text(p: dict[str, Any]) -> bool:
            chunks = "".join(c.get("text", "") for c in p.get("chunks") or [] if c.get("type") == "markdown_text")
            return len((p.get("text") or "") + (p.get("markdown_text") or "") + chunks) > longer_than

        for method in methods:
            self.fail(method, error, times=times, when=has_text)

    def set_latency(self, seconds: float, method: str = "*") -> None:
        """Delay every response of `method` ("*": all methods) by `seconds` (for benchmarks)."""
        with self._cond:
            self.latency[method] = seconds

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for f in self.faults.get(method, []):
            if f.when is not None and not f.when(params):
                continue
            if f.remaining is not None:
                f.remaining -= 1
                if f.remaining <= 0:
                    self.faults[method].remove(f)
            return f
        return None


@dataclass
class Hitch:
    kind: str                  # server_error | answer_late | apply_late | apply_then_fail
    remaining: int | None      # None: every call until clear_faults
    when: Callable[[dict[str, Any]], bool] | None = None
    seconds: float = 0.0
    status: int = 500
    error: str | None = None   # apply_then_fail with HTTP 200 and this error instead of a 5xx page


class Hitches(SlackState):
    """Ambiguous faults and the reads that resolve them; needs WebApi's _answer and _message_json."""

    def _hitch(self, method: str, kind: str, times: int | None, when: Callable[[dict[str, Any]], bool] | None,
               **kw: Any) -> None:
        with self._cond:
            self.hitches.setdefault(method, []).append(Hitch(kind, times, when, **kw))

    def server_error(self, method: str, times: int | None = 1, status: int = 500,
                     when: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """The next `times` calls of `method` get Slack's HTTP 5xx page and are not applied."""
        self._hitch(method, "server_error", times, when, status=status)

    def answer_late(self, method: str, seconds: float, times: int | None = 1,
                    when: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """The next `times` calls are applied at once and answered after `seconds`."""
        self._hitch(method, "answer_late", times, when, seconds=seconds)

    def apply_late(self, method: str, seconds: float, times: int | None = 1,
                   when: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """The next `times` calls are held `seconds`, then applied and answered."""
        self._hitch(method, "apply_late", times, when, seconds=seconds)

    def apply_then_fail(self, method: str, times: int | None = 1, status: int = 500, error: str | None = None,
                        when: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """The next `times` calls are applied, then answered with a 5xx page (or HTTP 200 and `error`)."""
        self._hitch(method, "apply_then_fail", times, when, status=status, error=error)

    def _take_hitch(self, method: str, params: dict[str, Any]) -> Hitch | None:
        with self._cond:
            for h in self.hitches.get(method, []):
                if h.when is not None and not h.when(params):
                    continue
                if h.remaining is not None:
                    h.remaining -= 1
                    if h.remaining <= 0:
                        self.hitches[method].remove(h)
                return h
        return None

    def _with_hitch(self, hitch: Hitch, method: str, params: dict[str, Any],
                    token: str | None) -> tuple[int, dict, dict | str]:
        """Answer a call the way `hitch` says; the recorded Call says what was applied and what was answered."""
        if hitch.kind == "apply_late":
            time.sleep(hitch.seconds)
        with self._cond:
            if hitch.kind == "server_error":
                status, headers, body = hitch.status, dict(HTML), {"ok": False, "error": f"HTTP {hitch.status}"}
            else:
                status, headers, body = self._answer(method, params, token)  # type: ignore[attr-defined]
            call = Call(method, params, token, time.time(), status, body)
            call.hitch = hitch.kind  # type: ignore[attr-defined]
            self.calls.append(call)
            self._cond.notify_all()
        if hitch.kind == "answer_late":
            time.sleep(hitch.seconds)
        if hitch.kind == "server_error" or (hitch.kind == "apply_then_fail" and hitch.error is None):
            return hitch.status, dict(HTML), SERVER_ERROR_PAGE
        if hitch.kind == "apply_then_fail":
            return 200, {}, {"ok": False, "error": hitch.error}
        return status, headers, body

    # -- reads: our messages with their metadata -------------------------------------------------------------

    def _listed(self, m: Any, include_metadata: bool) -> dict[str, Any]:
        out = self._message_json(m)  # type: ignore[attr-defined]
        if include_metadata and isinstance(m.params.get("metadata"), dict):
            out["metadata"] = m.params["metadata"]
        return out

    def _replies(self, p: dict) -> dict:
        channel, ts = p.get("channel", ""), p.get("ts", "")
        with_meta = str(p.get("include_all_metadata")).lower() in {"1", "true"}
        msgs = [m for m in self.messages.values()
                if m.channel == channel and not m.deleted and (m.ts == ts or m.thread_ts == ts)]
        if not msgs:
            return {"ok": False, "error": "thread_not_found"}
        msgs.sort(key=lambda m: float(m.ts))
        limit = int(p.get("limit") or 1000)
        return {"ok": True, "messages": [self._listed(m, with_meta) for m in msgs[:limit]],
                "has_more": len(msgs) > limit, "response_metadata": {"next_cursor": ""}}

    def _history(self, p: dict) -> dict:
        channel = p.get("channel", "")
        with_meta = str(p.get("include_all_metadata")).lower() in {"1", "true"}
        msgs = sorted((m for m in self.messages.values()
                       if m.channel == channel and not m.deleted and m.thread_ts is None),
                      key=lambda m: float(m.ts), reverse=True)  # newest first, as Slack lists a channel
        limit = int(p.get("limit") or 100)
        return {"ok": True, "messages": [self._listed(m, with_meta) for m in msgs[:limit]],
                "has_more": len(msgs) > limit, "pin_count": 0, "response_metadata": {"next_cursor": ""}}

