"""`@oilfx ...` in a channel: answer in the mention's thread; the thread is one conversation. A mention with a
file, or sent as a thread reply "also to the channel" (thread_broadcast), is a question too; an edited mention
(Slack re-sends it with the same ts) is not answered again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from oilfx.i18n import benchmark_name, lazy
from oilfx.slack.deps import Deps
from oilfx.slack.listeners.events.common import event_id, first_event_of_message, is_question, question_text, team_id
from oilfx.slack.turn_request import TurnRequest

# A bare "@oilfx" is still a question: answered with today's prices, asked in the user's language (the model
# answers in the language of the question).
BARE_MENTION_QUESTION = lazy("What do {dubai}, {wti} and {brent} crude cost right now in Korean won?",
                             dubai=benchmark_name("Dubai"), wti=benchmark_name("WTI"), brent=benchmark_name("Brent"))


def app_mention_callback(deps: Deps) -> Callable[..., None]:
    def handle_app_mention(body: dict[str, Any], event: dict[str, Any], context: BoltContext,
                           client: WebClient) -> None:
        if not is_question(event, context.bot_user_id) or not first_event_of_message(deps, body, event):
            return
        thread_ts = event.get("thread_ts") or event["ts"]
        team, user = team_id(body, event), event.get("user", "")
        text, lang = question_text(event.get("text", ""), context.bot_user_id), ""
        if not text:  # no words to tell the language by: the user's choice, their locale, or the workspace's
            reader = deps.languages.for_user(client, team, user)
            text, lang = BARE_MENTION_QUESTION.in_lang(reader), reader.value
        deps.runner.submit(TurnRequest(
            team=team, channel=event["channel"], user=user, text=text,
            event_id=event_id(body, event), order=event["ts"], thread_ts=thread_ts, reply_thread_ts=thread_ts,
            kind="mention", lang=lang))

    return handle_app_mention

