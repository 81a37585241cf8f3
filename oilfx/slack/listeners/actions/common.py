"""Shared by the button listeners: where a click happened, who clicked, and its value."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from oilfx.slack.deps import Deps
from oilfx.slack.replies import call
from oilfx.slack.turn_log import thread_log


@dataclass(frozen=True)
class Click:
    team: str
    channel: str
    message_ts: str
    thread_ts: str
    user: str
    value: str
    log: logging.LoggerAdapter

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Click:
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
        message_ts = container.get("message_ts") or message.get("ts", "")
        thread_ts = container.get("thread_ts") or message.get("thread_ts") or message_ts
        team = (body.get("team") or {}).get("id", "")
        return cls(team=team, channel=channel, message_ts=message_ts, thread_ts=thread_ts,
                   user=(body.get("user") or {}).get("id", ""),
                   value=str(((body.get("actions") or [{}])[0]).get("value", "")),
                   log=thread_log(team, channel, thread_ts, f"action-{body.get('trigger_id', '')}"))

    def tell(self, client: WebClient, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """An ephemeral note to the user who clicked, in the clicked message's thread (SlackCallFailed on failure)."""
        call(self.log, "chat.postEphemeral", client.chat_postEphemeral, channel=self.channel, user=self.user,
             thread_ts=self.thread_ts, text=text, blocks=blocks)


def acked_then(deps: Deps, work: Callable[[Deps, dict[str, Any], WebClient], None]) -> Callable[..., None]:
    """A button listener: ack at once (Slack allows 3 s), then `work(deps, body, client)` on the background pool;
    `client` is Bolt's, with the clicking team's token."""

    def handle(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        deps.background(work, deps, body, client)

    return handle
