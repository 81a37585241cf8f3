"""Forgetting a workspace: when oilfx is uninstalled from a team (or its bot token revoked), everything the store
keeps for that team goes, and the other teams' data stays.

What is keyed by team and removed: conversations (and the chat engine's histories behind them), message claims,
the records behind an answer's buttons (`answer:` by its team, `steps:` by its thread) and the panel's context,
feedback, open replies (a turn in flight for the team), and its alerts and digests (AlertBook.purge_team_alerts).
What is not: event claims are keyed by event id alone, which Slack makes unique per app across every workspace
("Ev..."), hold nothing of the team's and expire on their own; turn queues and locks live only while a turn waits
or runs; `assistant_titled:` flags hold only "1" under a panel thread's channel and ts; the quote and history
caches are market data shared by every team, rightly.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from oilfx.store.base import Store


@dataclass(frozen=True)
class Purged:
    """How many of each kind of entry a purge removed (for the log line that says what was removed)."""

    conversations: int = 0
    histories: int = 0
    messages: int = 0
    records: int = 0
    feedback: int = 0
    open_replies: int = 0
    alerts: int = 0             # alerts and digests (AlertBook.purge_team_alerts)

    def __str__(self) -> str:
        return ", ".join(f"{getattr(self, f.name)} {f.name.replace('_', ' ')}" for f in fields(self))


class TeamPurge(Protocol):
    def purge_team(self, team: str) -> Purged: ...  # the team's entries, all kinds, alerts too; the counts removed


def purge_everything(store: Store, team: str) -> Purged:
    """`store.purge_team(team)`, refusing an empty team id ("" would match entries written without one)."""
    if not team:
        raise ValueError("purge_team needs a team id")
    return store.purge_team(team)
