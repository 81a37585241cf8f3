"""Event claims with leases, message claims and open replies: how a Slack event is answered once, across retries,
edits, processes and a process killed mid-turn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from oilfx.store.keys import MessageKey
from oilfx.store.leases import OwnedEvents

# How long a message stays claimed: an edit can come long after the answer (Slack lets users edit for good).
MESSAGES_KEPT = 30 * 86400.0


@dataclass(frozen=True)
class OpenReply:
    """A reply message a turn has posted (a placeholder or a stream) and not yet finished, kept from the post until
    finish_event: if the turn's process dies, a restarted bot finds it here and finishes it (slack/orphans.py)."""

    event_id: str
    channel: str
    ts: str                # the placeholder or stream message
    thread_ts: str | None  # the thread it is in (None: top level)
    streamed: bool         # a chat.startStream message: it must be stopped before it can show the answer
    request: str           # the turn's question and routing, as the Slack layer wrote it (JSON)
    opened_at: float       # epoch seconds


class EventClaims(Protocol):
    # The events this process claimed and has not finished (leases.py): the one place that knows.
    owned: OwnedEvents

    # Keyed by event id alone, no team: Slack's event ids are unique per app across every workspace it is installed
    # in (command and click ids are built from trigger ids, also unique), so two workspaces never share a claim; a
    # claim holds nothing of the team and expires, so an uninstall leaves it (store/purge.py).
    # Event dedupe with a lease. True: this process owns the event now (first delivery, or the previous
    # owner's lease ran out without finishing, e.g. it was killed). False: done or in progress elsewhere.
    def claim_event(self, event_id: str, lease_seconds: float = 300.0) -> bool: ...

    # Extends our lease while the event's turn waits or runs. False: not ours any more (finished or taken over).
    def renew_event(self, event_id: str, lease_seconds: float) -> bool: ...

    # renew_event for many at once (one round trip on Redis): the ids of those not ours any more.
    def renew_events(self, event_ids: list[str], lease_seconds: float) -> list[str]: ...

    # Marks the event answered and drops its open reply, in one step (a kill between the two would leave either
    # a finished event with an open reply that is never finished, or an open reply answered twice).
    def finish_event(self, event_id: str) -> None: ...

    # Message dedupe (atomic across processes). True: the message is `event_id`'s (first seen now, or seen before
    # under this same event: a retry, which claim_event dedupes). False: another event has it (an edit re-sent).
    def claim_message(self, key: MessageKey, event_id: str, keep_seconds: float = MESSAGES_KEPT) -> bool: ...

    # Open replies: what a dead process left unfinished. Listed by a restarted bot, which then claims the event
    # (claim_event: once across processes) and finishes the reply.
    def open_reply(self, reply: OpenReply) -> None: ...

    def get_open_reply(self, event_id: str) -> OpenReply | None: ...

    def open_replies(self) -> list[OpenReply]: ...
