"""A question in an assistant thread: title the thread after its first question, show a status while working,
then run it as a turn (streamed where the workspace allows). Status and title are best effort: a workspace without
the AI features refuses them and the answer still comes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_bolt.context.set_status import SetStatus
from slack_bolt.context.set_title import SetTitle
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from oilfx.i18n import Texts, benchmark_name, texts
from oilfx.slack.deps import Deps
from oilfx.slack.listeners.events.common import event_id, first_event_of_message, is_question, question_text, team_id
from oilfx.slack.turn_log import thread_log
from oilfx.slack.turn_request import TurnRequest
from oilfx.store import records
from oilfx.store.records import PanelTitled, panel_key

TITLE_LIMIT = 60


def status(reader: Texts) -> str:
    """Shown after the app's name ("oilfx is looking up crude prices…")."""
    return reader.t("is looking up crude prices…")


def loading_messages(reader: Texts) -> list[str]:
    return [reader.t("Fetching {dubai}, {wti} and {brent}…", dubai=benchmark_name("Dubai"),
                     wti=benchmark_name("WTI"), brent=benchmark_name("Brent")),
            reader.t("Checking the USD/KRW rate…"), reader.t("Doing the exact won maths…")]


def title_for(question: str) -> str:
    return question if len(question) <= TITLE_LIMIT else question[: TITLE_LIMIT - 1] + "…"


def user_message_callback(deps: Deps) -> Callable[..., None]:
    def handle_user_message(body: dict[str, Any], event: dict[str, Any], context: BoltContext, client: WebClient,
                            set_status: SetStatus, set_title: SetTitle) -> None:
        # Bolt's middleware hands us file_share messages too (a question with a file attached).
        if not is_question(event, context.bot_user_id):
            return
        text = question_text(event.get("text", ""), context.bot_user_id)
        if not text or not first_event_of_message(deps, body, event):
            return
        channel, thread_ts = event["channel"], event["thread_ts"]
        team, user = team_id(body, event), event.get("user", "")
        # Chosen once, here, for the status and the turn alike (the turn keeps a request's language).
        lang = deps.languages.for_user(client, team, user, text)
        request = TurnRequest(
            team=team, channel=channel, user=user, text=text,
            event_id=event_id(body, event), order=event["ts"], thread_ts=thread_ts, reply_thread_ts=thread_ts,
            kind="dm", lang=lang.value)
        log = thread_log(request.team, channel, thread_ts, request.event_id)
        store = deps.services.store
        # Separately: a refused title (e.g. a thread Slack already titled) must not cost the user the status.
        try:
            if not records.load(store, PanelTitled, panel_key(channel, thread_ts)):
                set_title(title_for(text))
                records.put(store, panel_key(channel, thread_ts), PanelTitled())
        except SlackApiError as e:
            log.info("assistant title refused (%s); answering anyway", e.response.get("error"))
        try:
            set_status(status(texts(lang)), loading_messages=loading_messages(texts(lang)))
        except SlackApiError as e:
            log.info("assistant status refused (%s); answering anyway", e.response.get("error"))
        deps.runner.submit(request)

    return handle_user_message
