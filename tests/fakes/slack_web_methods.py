"""The Web API methods the fake Slack implements (auth, chat.*, streams, reactions, users/conversations.info,
assistant.threads.*), each answering a call's params as Slack does. Dispatch, tokens and faults: slack_web_api.py.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

from tests.fakes.slack_refusals import content_refusal, refusal
from tests.fakes.slack_state import Message, SlackState

MAX_SUGGESTED_PROMPTS = 4
DEFAULT_LOCALE = "en-US"   # a user's Slack locale when the test sets none: the language Slack ships in


class WebMethods(SlackState):
    """One handler per method: `(params) -> Slack's JSON answer`; called under the state's lock."""

    tickets: set[str]
    _ticket_counter: Iterator[int]
    ws_port: int

    def _auth_test(self, _: dict) -> dict:
        ws = self.workspace
        return {"ok": True, "url": f"https://{ws.team_domain}.slack.com/", "team": "oilfx test",
                "user": "oilfx", "team_id": ws.team_id, "user_id": ws.bot_user_id, "bot_id": ws.bot_id,
                "is_enterprise_install": False}

    def _connections_open(self, _: dict) -> dict:
        ticket = f"{next(self._ticket_counter)}-{uuid.uuid4().hex[:12]}"
        self.tickets.add(ticket)
        return {"ok": True, "url": f"ws://127.0.0.1:{self.ws_port}/link/?ticket={ticket}&app_id="
                                   f"{self.workspace.app_id}"}

    def _post_message(self, p: dict) -> dict:
        channel = p.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        blocks = p.get("blocks")
        text = p.get("text") or ""
        if not text and not blocks and not p.get("attachments"):
            return {"ok": False, "error": "no_text"}
        if error := content_refusal(text, blocks):
            return refusal(error, blocks)
        ts = self.next_ts()
        msg = Message(channel, ts, p.get("thread_ts") or None, text, blocks, params=p)
        msg.versions.append({"text": text, "blocks": blocks, "time": time.time(), "method": "chat.postMessage"})
        self.messages[(channel, ts)] = msg
        self._order.append((channel, ts))
        return {"ok": True, "channel": channel, "ts": ts, "message": self._message_json(msg)}

    def _message_json(self, msg: Message) -> dict:
        ws = self.workspace
        out: dict[str, Any] = {"user": ws.bot_user_id, "type": "message", "ts": msg.ts, "bot_id": ws.bot_id,
                               "app_id": ws.app_id, "text": msg.text, "team": ws.team_id}
        if msg.blocks:
            out["blocks"] = msg.blocks
        if msg.thread_ts:
            out["thread_ts"] = msg.thread_ts
            out["parent_user_id"] = ws.user_id
        if msg.kind == "file":  # shared by files.completeUploadExternal (slack_files.py)
            out.update(subtype="file_share", files=msg.params["files"], upload=True)
        return out

    def _update(self, p: dict) -> dict:
        msg = self.messages.get((p.get("channel", ""), p.get("ts", "")))
        if msg is None or msg.deleted:
            return {"ok": False, "error": "message_not_found"}
        text = p.get("text") if "text" in p else msg.text
        blocks = p.get("blocks") if "blocks" in p else msg.blocks
        if error := content_refusal(text or "", blocks):
            return refusal(error, blocks)
        msg.text, msg.blocks = text or "", blocks
        msg.versions.append({"text": msg.text, "blocks": blocks, "time": time.time(), "method": "chat.update"})
        return {"ok": True, "channel": msg.channel, "ts": msg.ts, "text": msg.text,
                "message": self._message_json(msg)}

    def _delete(self, p: dict) -> dict:
        msg = self.messages.get((p.get("channel", ""), p.get("ts", "")))
        if msg is None or msg.deleted:
            return {"ok": False, "error": "message_not_found"}
        msg.deleted = True
        return {"ok": True, "channel": msg.channel, "ts": msg.ts}

    def _ephemeral(self, p: dict) -> dict:
        if not p.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not p.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        ts = self.next_ts()
        self.ephemerals.append({**p, "message_ts": ts})
        return {"ok": True, "message_ts": ts}

    def _reaction(self, p: dict) -> dict:
        key = (p.get("channel"), p.get("timestamp"), p.get("name"))
        if any((r.get("channel"), r.get("timestamp"), r.get("name")) == key for r in self.reactions):
            return {"ok": False, "error": "already_reacted"}
        self.reactions.append(p)
        return {"ok": True}

    def _users_info(self, p: dict) -> dict:
        uid = p.get("user", "")
        ws = self.workspace
        is_bot = uid == ws.bot_user_id
        return {"ok": True, "user": {
            "id": uid, "team_id": ws.team_id, "name": "oilfx" if is_bot else f"user-{uid.lower()}",
            "deleted": False, "real_name": "oilfx" if is_bot else "Test Analyst", "tz": "Asia/Seoul",
            "tz_label": "Korea Standard Time", "tz_offset": 32400, "is_bot": is_bot, "is_admin": False,
            "profile": {"real_name": "Test Analyst", "display_name": "analyst", "team": ws.team_id},
            # Slack adds the locale only when asked (include_locale=true)
            **({"locale": self.user_locales.get(uid, DEFAULT_LOCALE)}
               if str(p.get("include_locale", "")).lower() in {"true", "1"} else {}),
        }}

    def _conversations_info(self, p: dict) -> dict:
        cid = p.get("channel", "")
        is_im = cid.startswith("D")
        return {"ok": True, "channel": {
            "id": cid, "name": None if is_im else "general", "is_channel": cid.startswith("C"),
            "is_group": cid.startswith("G"), "is_im": is_im, "is_private": not cid.startswith("C"),
            "is_archived": False, "is_member": True, "created": 1_600_000_000,
            **({"user": self.workspace.user_id} if is_im else {}),
        }}

    def _assistant(self, p: dict) -> dict:
        if not p.get("channel_id") or not p.get("thread_ts"):
            return {"ok": False, "error": "invalid_arguments"}
        prompts = p.get("prompts")
        # setSuggestedPrompts: "up to four suggested prompts" (docs.slack.dev/reference/methods/
        # assistant.threads.setSuggestedPrompts); the error for a fifth is not documented: invalid_arguments.
        if isinstance(prompts, list) and len(prompts) > MAX_SUGGESTED_PROMPTS:
            return {"ok": False, "error": "invalid_arguments",
                    "response_metadata": {"messages": ["[ERROR] no more than 4 items allowed [json-pointer:/prompts]"]}}
        return {"ok": True}

    def _start_stream(self, p: dict) -> dict:
        channel, thread_ts = p.get("channel"), p.get("thread_ts")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not thread_ts:
            return {"ok": False, "error": "invalid_arguments"}
        if not channel.startswith("D"):  # outside DMs Slack needs to know who the stream is for
            if not p.get("recipient_team_id"):
                return {"ok": False, "error": "missing_recipient_team_id"}
            if not p.get("recipient_user_id"):
                return {"ok": False, "error": "missing_recipient_user_id"}
        ts = self.next_ts()
        msg = Message(channel, ts, thread_ts, "", None, kind="stream", streaming=True, params=p)
        self.messages[(channel, ts)] = msg
        self._order.append((channel, ts))
        self._stream_event(msg, "chat.startStream", p)
        return {"ok": True, "channel": channel, "ts": ts}

    def _stream_event(self, msg: Message, method: str, p: dict) -> None:
        msg.stream_events.append({"method": method, "markdown_text": p.get("markdown_text"),
                                  "chunks": p.get("chunks"), "time": time.time()})
        parts = [p.get("markdown_text") or ""]
        parts += [c.get("text", "") for c in p.get("chunks") or [] if c.get("type") == "markdown_text"]
        msg.text += "".join(parts)
        msg.versions.append({"text": msg.text, "blocks": msg.blocks, "time": time.time(), "method": method})

    def _streaming_message(self, p: dict) -> Message | dict:
        msg = self.messages.get((p.get("channel", ""), p.get("ts", "")))
        if msg is None or msg.kind != "stream":
            return {"ok": False, "error": "message_not_found"}
        if not msg.streaming:
            return {"ok": False, "error": "message_not_in_streaming_state"}
        return msg

    def _append_stream(self, p: dict) -> dict:
        msg = self._streaming_message(p)
        if isinstance(msg, dict):
            return msg
        if not p.get("markdown_text") and not p.get("chunks"):
            return {"ok": False, "error": "invalid_arguments"}
        self._stream_event(msg, "chat.appendStream", p)
        return {"ok": True, "channel": msg.channel, "ts": msg.ts}

    def _stop_stream(self, p: dict) -> dict:
        msg = self._streaming_message(p)
        if isinstance(msg, dict):
            return msg
        if p.get("blocks") is not None:
            if error := content_refusal("", p["blocks"]):
                return refusal(error, p["blocks"])
            msg.blocks = p["blocks"]
        self._stream_event(msg, "chat.stopStream", p)
        msg.streaming = False
        return {"ok": True, "channel": msg.channel, "ts": msg.ts, "message": self._message_json(msg)}
