"""What a Slack listener hands the turn runner: one question, where it was asked, and where to answer."""

from __future__ import annotations

import json
from dataclasses import dataclass

from oilfx.i18n import Lang, Texts, texts


@dataclass(frozen=True)
class TurnRequest:
    team: str
    channel: str
    user: str
    text: str
    event_id: str                  # dedupe key: the envelope's event_id, or the command's trigger_id
    order: str                     # the message ts: turns in one thread run in this order
    thread_ts: str | None          # the conversation's thread; None: a new thread started by our first reply
    reply_thread_ts: str | None    # where to post (None: top level, e.g. a top-level DM)
    kind: str = "mention"          # mention | dm | command
    response_url: str | None = None
    header: str = ""               # trusted mrkdwn above the answer (e.g. who asked, for /oilprice)
    lang: str = ""                 # the reader's language (oilfx.i18n.Lang), chosen when the turn starts (language.py)

    @property
    def texts(self) -> Texts:
        """What the turn writes around the answer, in the reader's language (Korean until one is chosen)."""
        return texts(Lang.parse(self.lang) or Lang.KO)


def parse_request(raw: str) -> TurnRequest | None:
    """A TurnRequest as start_reply saved it with its open reply; None if another version of oilfx wrote it."""
    try:
        fields = json.loads(raw)
        return TurnRequest(**fields) if isinstance(fields, dict) else None
    except (TypeError, ValueError):  # written by another version of oilfx
        return None
