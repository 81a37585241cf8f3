"""The user opened oilfx's side panel: greet and offer prompts, in their language. The panel still works if prompts
are refused."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.context.say import Say
from slack_bolt.context.set_suggested_prompts import SetSuggestedPrompts
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from oilfx.i18n import Msg, Texts, benchmark_name, lazy, texts
from oilfx.slack.deps import Deps
from oilfx.slack.listeners.events.common import team_id
from oilfx.slack.turn_log import thread_log

logger = logging.getLogger(__name__)

# Slack shows at most four (assistant.threads.setSuggestedPrompts: "up to four"; more are refused). Each is a
# title and the message it sends, both in the reader's language: a Korean user's prompt asks in Korean, so the
# model answers in Korean too.
_WTI, _DUBAI, _BRENT = benchmark_name("WTI"), benchmark_name("Dubai"), benchmark_name("Brent")
PROMPTS: tuple[tuple[Msg, Msg], ...] = (
    (lazy("{wti} in won now", wti=_WTI), lazy("What does {wti} cost right now in Korean won per barrel?", wti=_WTI)),
    (lazy("1 litre of {wti} in won", wti=_WTI), lazy("How much is 1 litre of {wti} in won?", wti=_WTI)),
    (lazy("{dubai} crude in won", dubai=_DUBAI), lazy("What is {dubai} crude in Korean won right now?", dubai=_DUBAI)),
    # price history: price_history with a chart, attached under the answer
    (lazy("{brent} this month, charted", brent=_BRENT),
     lazy("How has {brent} moved this month? Show me a chart.", brent=_BRENT)),
)


def greeting(reader: Texts) -> str:
    return reader.t("Hi, I'm oilfx. Ask what {dubai}, {wti} or {brent} crude costs right now in Korean won: I look "
                    "up the latest settlement and the USD/KRW rate, show each lookup as it runs, and cite the "
                    "sources and times.", dubai=benchmark_name("Dubai"), wti=benchmark_name("WTI"),
                    brent=benchmark_name("Brent"))


def prompts(reader: Texts) -> list[dict[str, str]]:
    return [{"title": reader.render(title), "message": reader.render(message)} for title, message in PROMPTS]


def prompts_title(reader: Texts) -> str:
    return reader.t("Try asking")


def thread_started_callback(deps: Deps) -> Callable[..., None]:
    def handle_thread_started(body: dict[str, Any], event: dict[str, Any], say: Say, client: WebClient,
                              set_suggested_prompts: SetSuggestedPrompts) -> None:
        thread = event.get("assistant_thread") or {}
        team = team_id(body, event)
        log = thread_log(team, thread.get("channel_id", ""), thread.get("thread_ts"), str(body.get("event_id", "")))
        # Nothing written yet: the user's choice, their Slack locale, or the workspace's language.
        reader = texts(deps.languages.for_user(client, team, str(thread.get("user_id") or "")))
        try:
            say(text=greeting(reader))
            set_suggested_prompts(prompts=prompts(reader), title=prompts_title(reader))
            log.info("assistant thread started: greeted in %s, %d prompts", reader.lang.value, len(PROMPTS))
        except SlackApiError as e:
            log.warning("assistant greeting incomplete: %s", e.response.get("error"))

    return handle_thread_started
