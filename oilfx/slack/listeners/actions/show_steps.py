""""Show steps": post the stored run-steps breakdown of an answer in its thread."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack

from oilfx.slack.deps import Deps
from oilfx.slack.render import render_error, render_steps
from oilfx.slack.replies import SlackCallFailed, call
from oilfx.slack.turns import load_steps, thread_log

_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def show_steps(deps: Deps, body: dict[str, Any]) -> None:
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
    thread_ts = container.get("thread_ts") or message.get("thread_ts") or container.get("message_ts")
    team = (body.get("team") or {}).get("id", "")
    user = (body.get("user") or {}).get("id", "")
    key = ((body.get("actions") or [{}])[0]).get("value", "")
    log = thread_log(team, channel, thread_ts, f"action-{body.get('trigger_id', '')}")
    breakdown = load_steps(deps.services, key) if _KEY.match(key or "") else None
    try:
        if breakdown is None:
            log.info("steps requested for an unknown key")
            note = render_error("The steps of this answer are no longer stored.")
            call(log, "chat.postEphemeral", deps.client.chat_postEphemeral, channel=channel, user=user,
                 thread_ts=thread_ts, text=note.text, blocks=note.blocks)
            return
        for message_out in render_steps(breakdown):
            call(log, "chat.postMessage", deps.client.chat_postMessage, channel=channel, thread_ts=thread_ts,
                 text=message_out.text, blocks=message_out.blocks)
        log.info("steps posted")
    except SlackCallFailed as e:
        log.error("steps not delivered: %s", e)


def show_steps_callback(deps: Deps) -> Callable[..., None]:
    def handle_show_steps(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        deps.background(show_steps, deps, body)

    return handle_show_steps
