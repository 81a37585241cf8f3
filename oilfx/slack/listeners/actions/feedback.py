"""Thumbs up/down under an answer: thank the user (ephemeral) and store the feedback with the question, the answer
and the engine, for `python -m oilfx feedback`."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack

from oilfx.slack.deps import Deps
from oilfx.slack.render import render_error
from oilfx.slack.replies import SlackCallFailed, call
from oilfx.slack.turns import load_answer, thread_log
from oilfx.store.base import Feedback, ThreadKey

_VALUE = re.compile(r"^(good|bad):([A-Za-z0-9_-]{1,64})$")
THANKS = {"good": "Thanks! Glad the answer helped.",
          "bad": "Thanks for the feedback; it is recorded so the answer can be reviewed."}


def record_feedback(deps: Deps, body: dict[str, Any]) -> None:
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
    message_ts = container.get("message_ts") or message.get("ts", "")
    thread_ts = container.get("thread_ts") or message.get("thread_ts") or message_ts
    team = (body.get("team") or {}).get("id", "")
    user = (body.get("user") or {}).get("id", "")
    value = str(((body.get("actions") or [{}])[0]).get("value", ""))
    log = thread_log(team, channel, thread_ts, f"action-{body.get('trigger_id', '')}")
    match = _VALUE.match(value)
    record = load_answer(deps.services, match.group(2)) if match else None
    try:
        if match is None or record is None:
            log.info("feedback for an unknown answer")
            note = render_error("This answer is no longer stored, so the feedback was not recorded.")
            call(log, "chat.postEphemeral", deps.client.chat_postEphemeral, channel=channel, user=user,
                 thread_ts=thread_ts, text=note.text, blocks=note.blocks)
            return
        verdict = match.group(1)
        deps.services.store.add_feedback(Feedback(
            key=ThreadKey(record.get("team") or team, record.get("channel") or channel,
                          record.get("thread_ts") or thread_ts or ""),
            message_ts=message_ts, user=user, value=verdict, question=record.get("question", ""),
            answer=record.get("answer", ""), engine=record.get("engine", ""), at=datetime.now(UTC)))
        log.info("feedback recorded: %s", verdict)
        call(log, "chat.postEphemeral", deps.client.chat_postEphemeral, channel=channel, user=user,
             thread_ts=thread_ts, text=THANKS[verdict])
    except SlackCallFailed as e:
        log.error("feedback acknowledgement not delivered: %s", e)


def feedback_callback(deps: Deps) -> Callable[..., None]:
    def handle_feedback(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        deps.background(record_feedback, deps, body)

    return handle_feedback
