"""Log lines that name the Slack thread and event they belong to, so one turn can be followed in the log."""

from __future__ import annotations

import logging

logger = logging.getLogger("oilfx.slack.turns")  # the name operators filter on (it was turns.py's)


def thread_log(team: str, channel: str, thread_ts: str | None, event_id: str) -> logging.LoggerAdapter:
    """A logger whose every line names the Slack thread and event, so one turn can be followed."""
    context = f"team={team} channel={channel} thread_ts={thread_ts or '-'} event_id={event_id}"
    return _Adapter(logger, {"context": context})


class _Adapter(logging.LoggerAdapter):
    def process(self, msg, kwargs):  # type: ignore[no-untyped-def]
        return f"[{self.extra['context']}] {msg}", kwargs
