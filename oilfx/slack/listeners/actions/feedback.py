"""Thumbs up/down under an answer: thank the user (ephemeral) and store the feedback with the question, the answer
and the engine, for `python -m oilfx feedback`."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient

from oilfx.i18n import Texts, texts
from oilfx.slack.deps import Deps
from oilfx.slack.listeners.actions.common import Click, acked_then
from oilfx.slack.render import render_error
from oilfx.slack.replies import SlackCallFailed
from oilfx.store import records
from oilfx.store.base import Feedback, ThreadKey
from oilfx.store.records import AnswerRecord

_VALUE = re.compile(r"^(good|bad):([A-Za-z0-9_-]{1,64})$")


def thanks(verdict: str, clicker: Texts) -> str:
    if verdict == "good":
        return clicker.t("Thanks! Glad the answer helped.")
    return clicker.t("Thanks for the feedback; it is recorded so the answer can be reviewed.")


def record_feedback(deps: Deps, body: dict[str, Any], client: WebClient) -> None:
    # The record is looked up by its unguessable key alone, not by the clicker's team: in a channel shared
    # between workspaces (Slack Connect) a user of another team may click the buttons of our answer.
    click = Click.from_body(body)
    log = click.log
    match = _VALUE.match(click.value)
    record = records.load(deps.services.store, AnswerRecord, match.group(2)) if match else None
    try:
        # A click has no words of its own: the clicker's choice, locale or the workspace's language.
        clicker = texts(deps.languages.for_user(client, click.team, click.user))
        if match is None or record is None:
            log.info("feedback for an unknown answer")
            note = render_error(clicker.t("This answer is no longer stored, so the feedback was not recorded."))
            click.tell(client, note.text, note.blocks)
            return
        verdict = match.group(1)
        deps.services.store.add_feedback(Feedback(
            key=ThreadKey(record.team or click.team, record.channel or click.channel,
                          record.thread_ts or click.thread_ts),
            message_ts=click.message_ts, user=click.user, value=verdict, question=record.question,
            answer=record.answer, engine=record.engine, at=datetime.now(UTC)))
        log.info("feedback recorded: %s", verdict)
        click.tell(client, thanks(verdict, clicker))
    except SlackCallFailed as e:
        log.error("feedback acknowledgement not delivered: %s", e)


def feedback_callback(deps: Deps) -> Callable[..., None]:
    return acked_then(deps, record_feedback)
