"""The store's interface: everything the Slack layer persists or coordinates through.

Two backends implement it: SQLite (one process, the default) and Redis (several processes).
Listeners only ever see this interface.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class ThreadKey:
    """A Slack conversation thread. For top-level DMs `thread_ts` is "dm" (the DM's running conversation)."""

    team: str
    channel: str
    thread_ts: str

    def __str__(self) -> str:
        return f"{self.team}/{self.channel}/{self.thread_ts}"


@dataclass(frozen=True)
class MessageKey:
    """One Slack message. Slack re-sends an edited @mention as a new `app_mention` event (new event_id, same ts),
    so a message is claimed once, by the first event that carried it."""

    team: str
    channel: str
    ts: str


# How long a message stays claimed: an edit can come long after the answer (Slack lets users edit for good).
MESSAGES_KEPT = 30 * 86400.0


@dataclass(frozen=True)
class TurnTicket:
    """A message's place in its thread's turn queue, taken at arrival (see Store.enter_turn)."""

    key: ThreadKey
    order: str
    token: str  # the backend's id of the queue entry


@dataclass(frozen=True)
class Feedback:
    key: ThreadKey
    message_ts: str
    user: str
    value: str           # "good" | "bad"
    question: str
    answer: str
    engine: str
    at: datetime


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


class Store(Protocol):
    # Slack thread -> engine conversation reference. Keyed by engine too: a conv_ id means nothing to chat.
    def get_conversation(self, key: ThreadKey, engine: str) -> str | None: ...

    def set_conversation(self, key: ThreadKey, engine: str, conversation: str) -> None: ...

    # Event dedupe with a lease. True: this process owns the event now (first delivery, or the previous
    # owner's lease ran out without finishing, e.g. it was killed). False: done or in progress elsewhere.
    def claim_event(self, event_id: str, lease_seconds: float = 300.0) -> bool: ...

    # Extends our lease while the event's turn waits or runs. False: not ours any more (finished or taken over).
    def renew_event(self, event_id: str, lease_seconds: float) -> bool: ...

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

    # One turn at a time per thread, in `order` (the Slack message ts) among the turns waiting.
    # Raises TimeoutError if the turn could not start within `timeout` seconds.
    # With `ticket` (from enter_turn), the turn keeps the place in the queue taken when its message arrived.
    def thread_turn(self, key: ThreadKey, order: str, timeout: float = 600.0,
                    ticket: TurnTicket | None = None) -> AbstractContextManager[None]: ...

    # Queue a message for its thread's turn now, at arrival; the store keeps the entry alive (across processes:
    # a heartbeat) until thread_turn(ticket=...) starts it or leave_turn drops it (idempotent).
    def enter_turn(self, key: ThreadKey, order: str) -> TurnTicket: ...

    def leave_turn(self, ticket: TurnTicket) -> None: ...

    # Small key/value state (e.g. the Assistants engine's assistant id) and chat-engine history.
    def get_meta(self, name: str) -> str | None: ...

    # ttl: seconds until the entry is dropped (per-turn records); None keeps it (e.g. the assistant id).
    def set_meta(self, name: str, value: str, ttl: float | None = None) -> None: ...

    def load_history(self, conversation: str) -> list[dict[str, Any]]: ...

    def save_history(self, conversation: str, messages: list[dict[str, Any]]) -> None: ...

    # Feedback on answers.
    def add_feedback(self, feedback: Feedback) -> None: ...

    def list_feedback(self, since: datetime) -> Iterator[Feedback]: ...

    # Everything for `store migrate`.
    def export_conversations(self) -> Iterator[tuple[ThreadKey, str, str]]: ...

    def close(self) -> None: ...
