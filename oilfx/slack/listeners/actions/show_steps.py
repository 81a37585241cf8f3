""""Show steps": post the stored run-steps breakdown of an answer in its thread."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from oilfx.i18n import texts
from oilfx.slack.deps import Deps
from oilfx.slack.listeners.actions.common import Click, acked_then
from oilfx.slack.render import render_error, render_steps
from oilfx.slack.replies import SlackCallFailed, call
from oilfx.store import records
from oilfx.store.records import StepsRecord

_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def show_steps(deps: Deps, body: dict[str, Any], client: WebClient) -> None:
    # The record is looked up by its unguessable key alone, not by the clicker's team: in a channel shared
    # between workspaces (Slack Connect) a user of another team may click the buttons of our answer.
    click = Click.from_body(body)
    log = click.log
    record = records.load(deps.services.store, StepsRecord, click.value) if _KEY.match(click.value) else None
    breakdown = record.breakdown if record else None  # written in the asker's language when they asked
    try:
        if breakdown is None:
            log.info("steps requested for an unknown key")
            # A click has no words of its own: the clicker's choice, locale or the workspace's language.
            clicker = texts(deps.languages.for_user(client, click.team, click.user))
            note = render_error(clicker.t("The steps of this answer are no longer stored."))
            click.tell(client, note.text, note.blocks)
            return
        for message_out in render_steps(breakdown):
            call(log, "chat.postMessage", client.chat_postMessage, channel=click.channel,
                 thread_ts=click.thread_ts, text=message_out.text, blocks=message_out.blocks)
        log.info("steps posted")
    except SlackCallFailed as e:
        log.error("steps not delivered: %s", e)


def show_steps_callback(deps: Deps) -> Callable[..., None]:
    return acked_then(deps, show_steps)
