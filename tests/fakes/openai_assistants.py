"""The fake's Assistants v2 (assistants, threads, messages, runs polled to a resting status, run steps), as a
mixin of FakeOpenAI (openai_server.py). Runs honour `max_completion_tokens` (an `incomplete` run) and call only
the tools the assistant declared."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tests.fakes.openai_script import capped, script, tokens
from tests.fakes.openai_wire import FakeError, page, server_error

RUN_ACTIVE = {"queued", "in_progress", "requires_action", "cancelling"}


class AssistantsFake:
    if TYPE_CHECKING:  # provided by FakeOpenAI
        _lock: Any
        assistants: dict[str, dict[str, Any]]
        threads: dict[str, dict[str, Any]]
        runs: dict[str, dict[str, Any]]
        poll_after_ms: int
        async_runs: bool
        latency: float
        outage: bool

        def _id(self, prefix: str) -> str: ...

        def _mode(self, events: list[dict[str, Any]]) -> str | None: ...

        def _model_round(self, mode: str | None, headers: dict[str, str], body: Any, assistants: bool = False,
                         after_tools: bool = False) -> None: ...

    def _assistants(self, method: str, p: list[str], body: dict[str, Any]) -> dict[str, Any]:
        if not p and method == "POST":
            if not body.get("model"):
                raise FakeError(400, "Missing required parameter: 'model'.", param="model")
            aid = self._id("asst")
            obj = {"id": aid, "object": "assistant", "created_at": int(time.time()), "model": body["model"],
                   "name": body.get("name"), "description": body.get("description"),
                   "instructions": body.get("instructions"), "tools": body.get("tools", []),
                   "metadata": body.get("metadata") or {}, "temperature": 1.0, "top_p": 1.0,
                   "tool_resources": {}, "response_format": "auto"}
            with self._lock:
                self.assistants[aid] = obj
            return obj
        if p and p[0] in self.assistants:
            if method == "DELETE":
                with self._lock:
                    del self.assistants[p[0]]
                return {"id": p[0], "object": "assistant.deleted", "deleted": True}
            return self.assistants[p[0]]
        raise FakeError(404, f"No assistant found with id '{p[0] if p else ''}'.")

    def _message(self, tid: str, role: str, text: str, run_id: str | None = None,
                 assistant_id: str | None = None) -> dict[str, Any]:
        now = int(time.time())
        return {"id": self._id("msg"), "object": "thread.message", "created_at": now, "thread_id": tid,
                "assistant_id": assistant_id, "run_id": run_id, "role": role, "status": "completed",
                "content": [{"type": "text", "text": {"value": text, "annotations": []}}], "attachments": [],
                "metadata": {}, "completed_at": now, "incomplete_at": None, "incomplete_details": None}

    def _threads(self, method: str, p: list[str], query: dict[str, str], headers: dict[str, str],
                 body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        ok: dict[str, str] = {}
        if not p and method == "POST":
            tid = self._id("thread")
            obj = {"id": tid, "object": "thread", "created_at": int(time.time()),
                   "metadata": body.get("metadata") or {}, "tool_resources": {}}
            thread = {"obj": obj, "messages": [], "events": [], "runs": []}
            for m in body.get("messages") or []:
                thread["messages"].append(self._message(tid, m.get("role", "user"), str(m.get("content", ""))))
                thread["events"].append({"kind": "user", "text": str(m.get("content", ""))})
            with self._lock:
                self.threads[tid] = thread
            return 200, ok, obj
        thread = self.threads.get(p[0]) if p else None
        if thread is None:
            raise FakeError(404, f"No thread found with id '{p[0] if p else ''}'.")
        tid = p[0]
        if len(p) == 1:
            if method == "DELETE":
                with self._lock:
                    del self.threads[tid]
                return 200, ok, {"id": tid, "object": "thread.deleted", "deleted": True}
            return 200, ok, thread["obj"]
        if p[1] == "messages" and len(p) == 2:
            if method == "POST":
                active = [r for r in thread["runs"] if self.runs[r]["obj"]["status"] in RUN_ACTIVE]
                if active:
                    raise FakeError(400, f"Can't add messages to {tid} while a run {active[0]} is active.")
                content = body.get("content", "")
                text = content if isinstance(content, str) else "".join(
                    c.get("text", "") for c in content if isinstance(c, dict))
                msg = self._message(tid, body.get("role", "user"), text)
                with self._lock:
                    thread["messages"].append(msg)
                    thread["events"].append({"kind": "user", "text": text})
                return 200, ok, msg
            msgs = thread["messages"]
            if query.get("run_id"):
                msgs = [m for m in msgs if m["run_id"] == query["run_id"]]
            return 200, ok, page(msgs, query, default_order="desc")
        if p[1] == "runs":
            return self._runs(method, tid, thread, p[2:], query, headers, body)
        raise FakeError(404, "Invalid URL")

    def _runs(self, method: str, tid: str, thread: dict[str, Any], p: list[str], query: dict[str, str],
              headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        poll = {"openai-poll-after-ms": str(self.poll_after_ms)}
        if not p:
            if method == "GET":
                return 200, {}, page([self.runs[r]["obj"] for r in thread["runs"]], query, default_order="desc")
            if body.get("stream"):
                raise FakeError(400, "This fake does not stream runs.", param="stream")
            assistant = self.assistants.get(body.get("assistant_id", ""))
            if assistant is None:
                raise FakeError(404, f"No assistant found with id '{body.get('assistant_id')}'.")
            active = [r for r in thread["runs"] if self.runs[r]["obj"]["status"] in RUN_ACTIVE]
            if active:
                raise FakeError(400, f"Thread {tid} already has an active run {active[0]}.")
            mode = self._mode(thread["events"])
            self._model_round(mode, headers, body, assistants=True)
            rid = self._id("run")
            now = int(time.time())
            obj = {"id": rid, "object": "thread.run", "created_at": now, "assistant_id": assistant["id"],
                   "thread_id": tid, "status": "queued", "started_at": None, "expires_at": now + 600,
                   "cancelled_at": None, "failed_at": None, "completed_at": None, "last_error": None,
                   "model": body.get("model") or assistant["model"],
                   "instructions": body.get("instructions") or assistant["instructions"] or "",
                   "tools": body.get("tools") or assistant["tools"], "required_action": None, "metadata": {},
                   "incomplete_details": None, "usage": None, "temperature": 1.0, "top_p": 1.0,
                   "max_prompt_tokens": None, "max_completion_tokens": body.get("max_completion_tokens"),
                   "truncation_strategy": {"type": "auto", "last_messages": None}, "response_format": "auto",
                   "tool_choice": "auto", "parallel_tool_calls": body.get("parallel_tool_calls", True)}
            with self._lock:
                self.runs[rid] = {"obj": obj, "mode": mode, "steps": [], "pending": [], "ready_at": self._ready_at()}
                thread["runs"].append(rid)
            return 200, poll, obj
        run = self.runs.get(p[0])
        if run is None or run["obj"]["thread_id"] != tid:
            raise FakeError(404, f"No run found with id '{p[0]}'.")
        obj = run["obj"]
        if len(p) == 1:
            with self._lock:
                if obj["status"] in ("queued", "in_progress") and time.monotonic() < run["ready_at"]:
                    obj["status"] = "in_progress"
                elif obj["status"] in ("queued", "in_progress"):
                    self._advance(run, thread)
            return 200, poll, obj
        action = p[1]
        if action == "submit_tool_outputs":
            # before any change, so that the SDK's retry of a 429 finds the run as it was
            self._model_round(run["mode"], headers, body, assistants=True, after_tools=True)
            if self.outage:
                raise server_error()
            with self._lock:
                if obj["status"] != "requires_action":
                    raise FakeError(400, f"Runs in status \"{obj['status']}\" do not accept tool outputs.")
                given = {o.get("tool_call_id"): o.get("output", "") for o in body.get("tool_outputs", [])}
                missing = [c for c in run["pending"] if c not in given]
                if missing:
                    raise FakeError(400, f"Expected tool outputs for call_ids {run['pending']}, got {list(given)}.",
                                    param="tool_outputs")
                step = run["steps"][-1]
                for call in step["step_details"]["tool_calls"]:
                    call["function"]["output"] = given[call["id"]]
                    thread["events"].append({"kind": "output", "call_id": call["id"], "output": given[call["id"]]})
                step["status"], step["completed_at"] = "completed", int(time.time())
                run["pending"] = []
                obj["status"], obj["required_action"] = "queued", None
                run["ready_at"] = self._ready_at()
            return 200, poll, obj
        if action == "cancel":
            if self.outage:
                raise server_error()
            with self._lock:
                if obj["status"] not in RUN_ACTIVE:
                    raise FakeError(400, f"Cannot cancel run with status '{obj['status']}'.")
                obj["status"], obj["cancelled_at"], obj["required_action"] = "cancelled", int(time.time()), None
            return 200, poll, obj
        if action == "steps" and method == "GET":
            return 200, {}, page(run["steps"], query, default_order="desc")
        raise FakeError(404, "Invalid URL")

    def _ready_at(self) -> float:
        """When an Assistants run's model round is over (async_runs); 0: at the first poll."""
        return time.monotonic() + self.latency if self.async_runs else 0.0

    def _advance(self, run: dict[str, Any], thread: dict[str, Any]) -> None:
        """One poll of a queued/in_progress run: it moves to its next resting status (the fake thinks fast)."""
        obj, mode, now = run["obj"], run["mode"], int(time.time())
        obj["started_at"] = obj["started_at"] or now
        if mode == "stuck":
            obj["status"] = "in_progress"
            return
        if mode in ("failed", "expired", "cancelled", "incomplete", "length"):
            mode = "incomplete" if mode == "length" else mode
            obj["status"] = mode
            if mode == "failed":
                obj["failed_at"] = now
                obj["last_error"] = {"code": "server_error", "message": "Sorry, something went wrong (fake)."}
            elif mode == "incomplete":
                obj["incomplete_details"] = {"reason": "max_completion_tokens"}
            elif mode == "cancelled":
                obj["cancelled_at"] = now
            return
        declared = {t.get("function", {}).get("name") for t in obj["tools"]}
        kind, decision = script(thread["events"], mode, declared, self.answers)
        usage = {"prompt_tokens": tokens(thread["events"]), "completion_tokens": 20,
                 "total_tokens": tokens(thread["events"]) + 20}
        base = {"object": "thread.run.step", "created_at": now, "assistant_id": obj["assistant_id"],
                "thread_id": obj["thread_id"], "run_id": obj["id"], "cancelled_at": None, "expired_at": None,
                "failed_at": None, "last_error": None, "metadata": None, "usage": usage}
        if kind == "calls":
            calls = [{"id": self._id("call"), "type": "function",
                      "function": {"name": n, "arguments": a, "output": None}} for n, a in decision]
            for c in calls:
                thread["events"].append({"kind": "call", "call_id": c["id"], "name": c["function"]["name"],
                                         "arguments": c["function"]["arguments"]})
            run["steps"].append({**base, "id": self._id("step"), "status": "in_progress", "type": "tool_calls",
                                 "completed_at": None, "step_details": {"type": "tool_calls", "tool_calls": calls}})
            run["pending"] = [c["id"] for c in calls]
            obj["status"] = "requires_action"
            obj["required_action"] = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [
                {"id": c["id"], "type": "function",
                 "function": {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}}
                for c in calls]}}
            return
        decision, cut = capped(decision, obj["max_completion_tokens"], mode)
        if cut:   # the real API ends the run; the partial message is not the answer
            obj["status"], obj["incomplete_details"] = "incomplete", {"reason": "max_completion_tokens"}
            return
        msg = self._message(obj["thread_id"], "assistant", decision, obj["id"], obj["assistant_id"])
        thread["messages"].append(msg)
        thread["events"].append({"kind": "assistant", "text": decision})
        run["steps"].append({**base, "id": self._id("step"), "status": "completed", "type": "message_creation",
                             "completed_at": now, "step_details": {"type": "message_creation",
                                                                   "message_creation": {"message_id": msg["id"]}}})
        total = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        for step in run["steps"]:
            for k in total:
                total[k] += step["usage"][k]
        obj["status"], obj["completed_at"], obj["usage"] = "completed", now, total
