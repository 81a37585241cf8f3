"""The fake Slack's file upload flow, as slack_sdk's `files_upload_v2` drives it (a mixin of the fake's WebApi).

1. `files.getUploadURLExternal(filename, length)` -> `{"ok": true, "upload_url", "file_id"}`: a URL on the fake's
   own HTTP server (under UPLOAD_PATH) and an id. Refusals as Slack documents them: a missing `filename` or
   `length` -> `invalid_arguments` naming the field; `length` 0 -> `missing_argument`; an `alt_txt` over 1,000
   characters -> `alt_txt_too_large`.
2. POST of the raw bytes to `upload_url` -> HTTP 200 `OK - <length>` (text/plain). An unknown URL -> 404; a body
   whose size is not the `length` announced -> 400 (assumption: Slack documents only "non-200 is a failure").
   `fail_uploads(status)` makes the next upload answer that status instead.
3. `files.completeUploadExternal(files=[{"id", "title"}], channel_id, thread_ts, initial_comment)` ->
   `{"ok": true, "files": [{"id", "title"}]}`; the file is shared as a message in the channel (in the thread when
   thread_ts is given) whose `files` list holds the file object as a `file_share` message shows it, and the bytes
   are kept (`uploaded()`). Refusals: a file id not uploaded to (or already completed: the method "can only be
   called once") -> `file_not_found` ("Could not find the file from the upload ticket"); a malformed channel_id
   -> `invalid_arguments` with Slack's regex message (bolt-js#2115); `not_in_channel` and the like through
   `fail()` (slack_faults.py), as for every method.
Facts from Slack's method reference (errors lists of both methods) and slack_sdk's client.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.slack_state import Message, SlackState

UPLOAD_PATH = "/upload/v1/"
MAX_ALT_TXT = 1000  # "Description for the image is longer than the limit of 1000 character"
CHANNEL_ID = re.compile(r"^[CGDZ][A-Z0-9]{8,}$")
MIMETYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "csv": "text/csv",
             "txt": "text/plain"}


@dataclass
class FakeFile:
    id: str
    filename: str
    length: int
    ticket: str
    alt_txt: str | None = None
    data: bytes | None = None          # the bytes uploaded to the ticket's URL
    title: str | None = None
    shared: list[tuple[str, str | None]] = field(default_factory=list)  # (channel, thread_ts) once completed
    completed: bool = False


def _invalid(field_name: str, problem: str = "missing required field") -> dict[str, Any]:
    return {"ok": False, "error": "invalid_arguments",
            "response_metadata": {"messages": [f"[ERROR] {problem}: {field_name}"]}}


class SlackFiles(SlackState):
    """Upload tickets, the uploaded bytes and the shared files; guarded by the state's lock like the rest."""

    def _reset_state(self) -> None:
        super()._reset_state()
        self.files: dict[str, FakeFile] = {}
        self._tickets: dict[str, str] = {}      # upload URL ticket -> file id
        self._upload_failures: list[int] = []

    # -- what tests read -----------------------------------------------------------------------------------------

    def uploaded(self, channel: str | None = None, thread_ts: str | None = None) -> list[FakeFile]:
        """Files completed into `channel` (and thread), in completion order."""
        with self._cond:
            return [f for f in self.files.values() if f.completed and any(
                (channel is None or c == channel) and (thread_ts is None or t == thread_ts) for c, t in f.shared)]

    def fail_uploads(self, status: int = 500, times: int = 1) -> None:
        """The next `times` uploads to an upload URL answer HTTP `status` (the bytes are not kept)."""
        with self._cond:
            self._upload_failures += [status] * times

    # -- step 1 ----------------------------------------------------------------------------------------------------

    def _get_upload_url(self, p: dict[str, Any]) -> dict[str, Any]:
        filename, length = p["filename"], p["length"]   # present: REQUIRED_ARGS refused the call otherwise
        try:
            size = int(length)
        except (TypeError, ValueError):
            return _invalid("[json-pointer:/length]", "must be a valid integer")
        if size <= 0:
            return {"ok": False, "error": "missing_argument"}
        if len(p.get("alt_txt") or "") > MAX_ALT_TXT:
            return {"ok": False, "error": "alt_txt_too_large"}
        file_id = "F" + secrets.token_hex(5).upper()
        ticket = secrets.token_urlsafe(12)
        self.files[file_id] = FakeFile(file_id, str(filename), size, ticket, alt_txt=p.get("alt_txt"))
        self._tickets[ticket] = file_id
        return {"ok": True, "upload_url": f"{self.base_url.rstrip('/')}{UPLOAD_PATH}{ticket}", "file_id": file_id}

    # -- step 2 ----------------------------------------------------------------------------------------------------

    def handle_upload(self, path: str, data: bytes) -> tuple[int, str, dict[str, str]]:
        """The POST to an upload URL: (status, body, headers)."""
        text = {"Content-Type": "text/plain; charset=utf-8"}
        with self._cond:
            try:
                file_id = self._tickets.get(path[len(UPLOAD_PATH):].split("?")[0])
                upload = self.files.get(file_id or "")
                if upload is None:
                    return 404, "Not Found", text
                if self._upload_failures:
                    return self._upload_failures.pop(0), "Server Error", text
                if len(data) != upload.length:
                    return 400, f"length mismatch: expected {upload.length} bytes, got {len(data)}", text
                upload.data = data
                return 200, f"OK - {len(data)}", text
            finally:
                self._cond.notify_all()

    # -- step 3 ----------------------------------------------------------------------------------------------------

    def _complete_upload(self, p: dict[str, Any]) -> dict[str, Any]:
        try:
            listed = json.loads(p["files"]) if isinstance(p.get("files"), str) else p.get("files")
        except ValueError:
            return {"ok": False, "error": "invalid_json"}
        if not isinstance(listed, list) or not listed or not all(isinstance(f, dict) and f.get("id")
                                                                  for f in listed):
            return _invalid("files")
        channel, thread_ts = p.get("channel_id") or None, p.get("thread_ts") or None
        if channel is not None and not CHANNEL_ID.match(channel):
            return _invalid("[json-pointer:/channel_id]", "input must match regex pattern: ^[CGDZ][A-Z0-9]{8,}$")
        found = [self.files.get(f["id"]) for f in listed]
        if any(f is None or f.data is None or f.completed for f in found):
            return {"ok": False, "error": "file_not_found"}
        shared = []
        for entry, upload in zip(listed, found, strict=True):
            assert upload is not None
            upload.completed, upload.title = True, entry.get("title") or upload.filename
            if channel is not None:
                upload.shared.append((channel, thread_ts))
            shared.append(self._file_object(upload))
        if channel is not None:
            ts = self.next_ts()
            text = p.get("initial_comment") or ""
            msg = Message(channel, ts, thread_ts, text, None, kind="file",
                          params={**p, "files": shared, "subtype": "file_share", "upload": True})
            msg.versions.append({"text": text, "blocks": None, "time": time.time(),
                                 "method": "files.completeUploadExternal"})
            self.messages[(channel, ts)] = msg
            self._order.append((channel, ts))
        return {"ok": True, "files": [{"id": f.id, "title": f.title} for f in found if f is not None]}

    def _file_object(self, upload: FakeFile) -> dict[str, Any]:
        """The file as a `file_share` message lists it (the fields of Slack's own sample that we can fill)."""
        ws, now = self.workspace, int(time.time())
        ext = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
        base = f"{self.base_url.rstrip('/')}/files-pri/{ws.team_id}-{upload.id}"
        return {"id": upload.id, "created": now, "timestamp": now, "name": upload.filename, "title": upload.title,
                "mimetype": MIMETYPES.get(ext, "application/octet-stream"), "filetype": ext or "binary",
                "pretty_type": ext.upper() or "Binary", "user": ws.bot_user_id, "editable": False,
                "size": upload.length, "mode": "hosted", "is_external": False, "external_type": "",
                "is_public": True, "public_url_shared": False, "display_as_bot": False, "username": "",
                "url_private": f"{base}/{upload.filename}",
                "url_private_download": f"{base}/download/{upload.filename}",
                "permalink": f"https://{ws.team_domain}.slack.com/files/{ws.bot_user_id}/{upload.id}/{upload.filename}",
                "has_rich_preview": False, **({"alt_txt": upload.alt_txt} if upload.alt_txt else {})}


FILES_API = {"files.getUploadURLExternal": SlackFiles._get_upload_url,
             "files.completeUploadExternal": SlackFiles._complete_upload}
