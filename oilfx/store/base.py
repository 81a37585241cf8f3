"""The store's interface: everything the Slack layer persists or coordinates through, as the composition of one
small interface per capability:

  conversations.py  Conversations  Slack thread -> engine conversation
  events.py         EventClaims    event claims with leases, message claims, open replies (leases.py: ownership)
  queue.py          TurnQueue      one turn at a time per thread, in message order
  records.py        Meta           small key/value state, and the typed records kept in it
  history.py        ChatHistory    the chat engine's messages
  feedback.py       FeedbackLog    thumbs up/down on answers
  alerts.py         AlertBook      alerts and digests a channel set; once-only firing claims
  purge.py          TeamPurge      a workspace's entries removed when oilfx is uninstalled there

Two backends implement all of them: SQLite (one process, the default) and Redis (several processes). Code that
needs one capability may take the small interface; listeners see `Store`. The data types stay importable here.
"""

from __future__ import annotations

from typing import Protocol

from oilfx.store.alerts import AlertBook
from oilfx.store.conversations import Conversations
from oilfx.store.events import MESSAGES_KEPT, EventClaims, OpenReply
from oilfx.store.feedback import Feedback, FeedbackLog
from oilfx.store.history import ChatHistory
from oilfx.store.keys import MessageKey, ThreadKey
from oilfx.store.purge import Purged, TeamPurge
from oilfx.store.queue import TurnQueue, TurnTicket
from oilfx.store.records import Meta


class Store(Conversations, EventClaims, TurnQueue, Meta, ChatHistory, FeedbackLog, AlertBook, TeamPurge, Protocol):
    def close(self) -> None: ...


__all__ = ["MESSAGES_KEPT", "ChatHistory", "Conversations", "EventClaims", "Feedback", "FeedbackLog", "MessageKey",
           "Meta", "OpenReply", "Purged", "Store", "TeamPurge", "ThreadKey", "TurnQueue", "TurnTicket"]
