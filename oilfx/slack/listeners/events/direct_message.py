"""Messages in the bot's DM: a DM thread is a conversation; top-level DMs continue the DM's running one.
Messages with a file (file_share) and thread replies also sent to the DM (thread_broadcast) are questions; edits,
deletions, other subtypes and bot messages (ours included) are ignored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext

from oilfx.slack.deps import Deps
from oilfx.slack.listeners.events.common import event_id, first_event_of_message, is_question, question_text, team_id
from oilfx.slack.turn_request import TurnRequest

TOP_LEVEL_DM = "dm"  # ThreadKey.thread_ts of a DM's running top-level conversation (see store/base.py)


def direct_message_callback(deps: Deps) -> Callable[..., None]:
    def handle_message(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        if event.get("channel_type") != "im" or not is_question(event, context.bot_user_id):
            return
        text = question_text(event.get("text", ""), context.bot_user_id)
        if not text or not first_event_of_message(deps, body, event):
            return
        in_thread = event.get("thread_ts")
        deps.runner.submit(TurnRequest(
            team=team_id(body, event), channel=event["channel"], user=event.get("user", ""), text=text,
            event_id=event_id(body, event), order=event["ts"], thread_ts=in_thread or TOP_LEVEL_DM,
            reply_thread_ts=in_thread, kind="dm"))

    return handle_message
