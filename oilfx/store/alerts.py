"""Alerts and digests a channel set, and the claims that make each firing happen once across processes.

Every key includes the team (several workspaces share one store). A firing is claimed before it is posted, keyed
by what fires plus its scheduled time; a claim whose process died expires after its TTL, and then another process
may claim it again and post it once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time
from typing import Protocol

from oilfx.market.rule import Rule


class TooManyAlerts(Exception):
    """The channel already has the most alerts it may have (OILFX_MAX_ALERTS); nothing was stored."""


@dataclass(frozen=True)
class Alert:
    id: int                  # unique in the store, shown to users (`/oilprice alert delete 3`)
    team: str
    channel: str
    creator: str             # Slack user id; the firing mentions them
    rule: Rule
    created_at: datetime
    armed: bool = True       # False after firing, until the value has gone back across the threshold
    disabled: str | None = None  # why it no longer fires (e.g. "channel_not_found"); None: active


@dataclass(frozen=True)
class Digest:
    team: str
    channel: str
    creator: str
    at: time                 # KST wall-clock time, weekdays only
    created_at: datetime


class AlertBook(Protocol):
    def add_alert(self, team: str, channel: str, creator: str, rule: Rule, limit: int,
                  now: datetime) -> Alert: ...   # raises TooManyAlerts when the channel has `limit` active

    def list_alerts(self, team: str, channel: str | None = None) -> list[Alert]: ...  # None: the whole team

    def active_alerts(self) -> Iterator[Alert]: ...   # every team's, for the checker

    def delete_alert(self, team: str, channel: str, alert_id: int) -> bool: ...   # False: no such alert there

    def set_armed(self, alert_id: int, armed: bool) -> None: ...

    def disable_channel(self, team: str, channel: str, reason: str) -> int: ...  # alerts and digest; how many

    def set_digest(self, digest: Digest) -> None: ...   # one per channel: replaces an earlier one

    def clear_digest(self, team: str, channel: str) -> bool: ...

    def list_digests(self, team: str | None = None) -> list[Digest]: ...

    # Exactly-once firing: True for the one caller that gets the claim. `done` marks it posted for good.
    def claim_firing(self, key: str, owner: str, ttl: float) -> bool: ...

    def finish_firing(self, key: str, owner: str) -> None: ...

    def purge_team_alerts(self, team: str) -> int: ...  # uninstall: the team's alerts, digests and claims
