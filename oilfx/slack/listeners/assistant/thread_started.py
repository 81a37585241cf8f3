"""The user opened oilfx's side panel: greet and offer prompts. The panel still works if prompts are refused."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.context.say import Say
from slack_bolt.context.set_suggested_prompts import SetSuggestedPrompts
from slack_sdk.errors import SlackApiError

from oilfx.slack.deps import Deps
from oilfx.slack.listeners.events.common import team_id
from oilfx.slack.turn_log import thread_log

logger = logging.getLogger(__name__)

GREETING = ("Hi, I'm oilfx. Ask what Dubai, WTI or Brent crude costs right now in Korean won: I look up the "
            "latest settlement and the USD/KRW rate, show each lookup as it runs, and cite the sources and times.")
PROMPTS_TITLE = "Try asking"
# Slack shows at most four (assistant.threads.setSuggestedPrompts: "up to four"; more are refused).
PROMPTS = (
    ("WTI in won now", "What does WTI cost right now in Korean won per barrel?"),
    ("1 litre of WTI in won", "How much is 1 litre of WTI in won?"),
    ("두바이유 원화 가격", "두바이유 가격을 원화로 알려줘"),
    # price history: price_history with a chart, attached under the answer
    ("Brent this month, charted", "How has Brent moved this month? Show me a chart."),
)


def thread_started_callback(deps: Deps) -> Callable[..., None]:
    def handle_thread_started(body: dict[str, Any], event: dict[str, Any], say: Say,
                              set_suggested_prompts: SetSuggestedPrompts) -> None:
        thread = event.get("assistant_thread") or {}
        log = thread_log(team_id(body, event), thread.get("channel_id", ""), thread.get("thread_ts"),
                         str(body.get("event_id", "")))
        try:
            say(text=GREETING)
            set_suggested_prompts(prompts=[{"title": t, "message": m} for t, m in PROMPTS], title=PROMPTS_TITLE)
            log.info("assistant thread started: greeted, %d prompts", len(PROMPTS))
        except SlackApiError as e:
            log.warning("assistant greeting incomplete: %s", e.response.get("error"))

    return handle_thread_started
