"""Builders for the payloads Slack delivers to an app (Events API, slash commands, interactivity).

Shapes follow Slack's docs for the `app_mention` (also edited, and with files), `message` (im, file_share,
message_changed, bot_message) and `assistant_thread_started` events, the slash-command form fields, and the
`block_actions` payload, as seen in Socket Mode envelopes and HTTP-mode request bodies. Each events_api
payload gets a fresh `event_id`; redeliver the same dict to model a Slack retry (the id is kept).
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

_ids = itertools.count(1)
_ids_lock = threading.Lock()


def _next_id() -> int:
    with _ids_lock:
        return next(_ids)


def new_event_id() -> str:
    return f"Ev{_next_id():010d}FAKE"


def new_trigger_id() -> str:
    return f"{_next_id()}.1700000000.fake{_next_id():08x}"


def rich_text(text: str) -> list[dict[str, Any]]:
    """The `blocks` Slack attaches to a user's message (a single rich_text section)."""
    return [
        {
            "type": "rich_text",
            "block_id": f"b{_next_id()}",
            "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
        }
    ]


@dataclass
class Workspace:
    """The identities a fake workspace hands out; builders fill these into every payload."""

    team_id: str = "T0FAKE001"
    team_domain: str = "oilfx-test"
    app_id: str = "A0FAKE001"
    bot_user_id: str = "UBOT"
    bot_id: str = "BBOT"
    user_id: str = "U0USER001"
    user_name: str = "analyst"
    base_url: str = "http://127.0.0.1"  # where response_url points (the fake's HTTP server)
    _ts: Any = field(default=None, repr=False)

    # -- Events API ------------------------------------------------------------------------------------------

    def event_callback(self, event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        """Wrap an event as Slack's `event_callback` payload (body of an HTTP event, payload of an envelope)."""
        return {
            "token": "fake-verification-token",
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or new_event_id(),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-fake-{_next_id()}",
        }

    def app_mention(
        self,
        text: str,
        channel: str = "C0CHAN001",
        user: str | None = None,
        ts: str | None = None,
        thread_ts: str | None = None,
    ) -> dict[str, Any]:
        """`@oilfx ...` in a channel. `text` is prefixed with `<@UBOT> ` unless it already mentions the bot."""
        ts = ts or self.next_ts()
        if f"<@{self.bot_user_id}>" not in text:
            text = f"<@{self.bot_user_id}> {text}"
        event: dict[str, Any] = {
            "type": "app_mention",
            "user": user or self.user_id,
            "text": text,
            "ts": ts,
            "client_msg_id": f"fake-msg-{_next_id()}",
            "team": self.team_id,
            "channel": channel,
            "event_ts": ts,
            "blocks": rich_text(text),
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event_callback(event)

    def dm_message(
        self,
        text: str,
        channel: str = "D0DM00001",
        user: str | None = None,
        ts: str | None = None,
        thread_ts: str | None = None,
    ) -> dict[str, Any]:
        """A user's message in the bot's DM (`message.im`)."""
        ts = ts or self.next_ts()
        event: dict[str, Any] = {
            "type": "message",
            "user": user or self.user_id,
            "text": text,
            "ts": ts,
            "client_msg_id": f"fake-msg-{_next_id()}",
            "team": self.team_id,
            "channel": channel,
            "event_ts": ts,
            "channel_type": "im",
            "blocks": rich_text(text),
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event_callback(event)

    def channel_message(
        self, text: str, channel: str = "C0CHAN001", user: str | None = None, ts: str | None = None,
        thread_ts: str | None = None,
    ) -> dict[str, Any]:
        """A plain message in a channel (`message.channels`), e.g. a reply in a thread without a mention."""
        payload = self.dm_message(text, channel=channel, user=user, ts=ts, thread_ts=thread_ts)
        payload["event"]["channel_type"] = "channel"
        return payload

    def edited(self, payload: dict[str, Any], new_text: str) -> dict[str, Any]:
        """Slack's re-send of an edited @mention (slack-go/slack PR #1256): the same event with the new text and
        `edited` {user, ts}, the same `ts`, under a new event_id."""
        event = {**payload["event"], "text": new_text, "edited": {"user": payload["event"].get("user", self.user_id),
                                                                  "ts": self.next_ts()}}
        return self.event_callback(event)

    def with_files(self, payload: dict[str, Any], subtype: str | None = "file_share") -> dict[str, Any]:
        """`payload`'s message with a file attached: `files` and `upload`, plus (for `message` events) subtype
        file_share, as bolt-python's test_message_file_share has it. An app_mention with files has no subtype
        (bolt-js base-events.spec.ts)."""
        event = {**payload["event"], "upload": False,
                 "files": [{"id": f"F{_next_id():08d}", "name": "chart.png", "mimetype": "image/png",
                            "filetype": "png", "mode": "hosted", "user": payload["event"].get("user")}]}
        if subtype and event["type"] == "message":
            event["subtype"] = subtype
        return {**payload, "event": event}

    def message_changed(
        self, channel: str = "D0DM00001", ts: str | None = None, new_text: str = "edited", old_text: str = "original",
        user: str | None = None, channel_type: str = "im",
    ) -> dict[str, Any]:
        """A user edited a message: Slack sends a hidden `message` event with subtype `message_changed`."""
        edited_ts = ts or self.next_ts()
        event_ts = self.next_ts()
        user = user or self.user_id
        event = {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "message": {
                "type": "message", "user": user, "text": new_text, "ts": edited_ts,
                "edited": {"user": user, "ts": event_ts}, "client_msg_id": f"fake-msg-{_next_id()}",
            },
            "previous_message": {"type": "message", "user": user, "text": old_text, "ts": edited_ts},
            "channel": channel,
            "ts": event_ts,
            "event_ts": event_ts,
            "channel_type": channel_type,
        }
        return self.event_callback(event)

    def message_deleted(self, channel: str = "D0DM00001", deleted_ts: str = "", channel_type: str = "im"):
        event_ts = self.next_ts()
        event = {
            "type": "message", "subtype": "message_deleted", "hidden": True, "deleted_ts": deleted_ts,
            "channel": channel, "ts": event_ts, "event_ts": event_ts, "channel_type": channel_type,
            "previous_message": {"type": "message", "user": self.user_id, "text": "gone", "ts": deleted_ts},
        }
        return self.event_callback(event)

    def bot_message(
        self, text: str, channel: str = "D0DM00001", ts: str | None = None, own: bool = True,
        thread_ts: str | None = None, channel_type: str = "im",
    ) -> dict[str, Any]:
        """A message posted by a bot. `own=True`: our bot's chat.postMessage echoed back (user UBOT + bot_id,
        no subtype); `own=False`: another integration's `bot_message` subtype."""
        ts = ts or self.next_ts()
        event: dict[str, Any] = {"type": "message", "text": text, "ts": ts, "channel": channel, "event_ts": ts,
                                 "channel_type": channel_type}
        if own:
            event.update({"user": self.bot_user_id, "bot_id": self.bot_id, "app_id": self.app_id,
                          "team": self.team_id, "bot_profile": {"id": self.bot_id, "app_id": self.app_id}})
        else:
            event.update({"subtype": "bot_message", "bot_id": "B0OTHER01", "username": "other-bot"})
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event_callback(event)

    def assistant_thread_started(
        self, channel: str = "D0DM00001", user: str | None = None, thread_ts: str | None = None,
        context_channel: str | None = "C0CHAN001",
    ) -> dict[str, Any]:
        """The user opened the assistant side panel (AI apps)."""
        thread_ts = thread_ts or self.next_ts()
        context: dict[str, Any] = {"enterprise_id": None}
        if context_channel:
            context.update({"channel_id": context_channel, "team_id": self.team_id})
        event = {
            "type": "assistant_thread_started",
            "assistant_thread": {
                "user_id": user or self.user_id,
                "context": context,
                "channel_id": channel,
                "thread_ts": thread_ts,
            },
            "event_ts": self.next_ts(),
        }
        return self.event_callback(event)

    def assistant_thread_context_changed(self, channel: str = "D0DM00001", thread_ts: str = "",
                                         context_channel: str = "C0CHAN002") -> dict[str, Any]:
        payload = self.assistant_thread_started(channel=channel, thread_ts=thread_ts or None,
                                                context_channel=context_channel)
        payload["event"]["type"] = "assistant_thread_context_changed"
        return payload

    # -- slash commands and interactivity ----------------------------------------------------------------------

    def slash_command(
        self, command: str = "/oilprice", text: str = "", channel: str = "C0CHAN001", user: str | None = None,
        channel_name: str = "general",
    ) -> dict[str, Any]:
        """The form fields of a slash command (as a dict; Socket Mode sends it as the envelope payload)."""
        n = _next_id()
        return {
            "token": "fake-verification-token",
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel,
            "channel_name": channel_name,
            "user_id": user or self.user_id,
            "user_name": self.user_name,
            "command": command,
            "text": text,
            "api_app_id": self.app_id,
            "is_enterprise_install": "false",
            "response_url": f"{self.base_url}/commands/{self.team_id}/{n}/fakehook{n:06d}",
            "trigger_id": new_trigger_id(),
        }

    def block_action(
        self, action_id: str, value: str = "", message: dict[str, Any] | None = None, channel: str = "C0CHAN001",
        user: str | None = None, block_id: str = "actions", button_text: str = "Button",
    ) -> dict[str, Any]:
        """A button click on a message the bot posted (`block_actions`). Pass the recorded message dict (e.g.
        `fake.message(channel, ts).as_event()`) so `container.message_ts` and `message` are right."""
        message = message or {"type": "message", "user": self.bot_user_id, "bot_id": self.bot_id,
                              "text": "", "ts": self.next_ts()}
        n = _next_id()
        user = user or self.user_id
        return {
            "type": "block_actions",
            "user": {"id": user, "username": self.user_name, "name": self.user_name, "team_id": self.team_id},
            "api_app_id": self.app_id,
            "token": "fake-verification-token",
            "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel,
                          "is_ephemeral": False, **({"thread_ts": message["thread_ts"]}
                                                    if message.get("thread_ts") else {})},
            "trigger_id": new_trigger_id(),
            "team": {"id": self.team_id, "domain": self.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": "general"},
            "message": message,
            "state": {"values": {}},
            "response_url": f"{self.base_url}/actions/{self.team_id}/{n}/fakehook{n:06d}",
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block_id,
                    "text": {"type": "plain_text", "text": button_text, "emoji": True},
                    "value": value,
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }

    def next_ts(self) -> str:
        return self._ts() if self._ts else f"{time.time():.6f}"
