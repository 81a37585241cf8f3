"""What the store's capabilities are keyed by: a Slack thread and a Slack message."""

from __future__ import annotations

from dataclasses import dataclass


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
