"""Alerts and digests a channel set, and the claims that make each firing happen once across processes.

Every key includes the team (several workspaces share one store). A firing is claimed before it is posted, keyed
by what fires plus its scheduled time; a claim whose process died expires after its TTL, and then another process
may claim it again and post it once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Protocol

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
    fired: int = 0           # how many times it has fired: the crossing number of its next firing (firing key)

    def firing_key(self) -> str:
        """The claim key of this alert's next firing: one per crossing, so a crossing is posted once."""
        return firing_key("alert", self.team, str(self.id), str(self.fired))


@dataclass(frozen=True)
class Digest:
    team: str
    channel: str
    creator: str
    at: time                 # KST wall-clock time, weekdays only
    created_at: datetime
    disabled: str | None = None  # why it no longer posts (e.g. "not_in_channel"); None: active

    def firing_key(self, day: date) -> str:
        """The claim key of this digest's post for one KST day."""
        return firing_key("digest", self.team, self.channel, day.isoformat())


def firing_key(kind: str, team: str, *parts: str) -> str:
    """`<kind>:<team>:<parts...>`: the team is always the second field, so a team's claims can be purged."""
    if not team or ":" in team or ":" in kind:
        raise ValueError(f"a firing key needs a kind and a team without ':', got {kind!r}, {team!r}")
    return ":".join((kind, team, *parts))


def key_team(key: str) -> str:
    """The team a firing key belongs to (see firing_key)."""
    fields = key.split(":")
    if len(fields) < 3 or not fields[1]:
        raise ValueError(f"a firing key is '<kind>:<team>:...', got {key!r}")
    return fields[1]


def alert_to_dict(alert: Alert) -> dict[str, Any]:
    """The stored form (JSON object) of an alert, shared by both backends."""
    return {"id": alert.id, "team": alert.team, "channel": alert.channel, "creator": alert.creator,
            "rule": alert.rule.to_dict(), "created_at": alert.created_at.isoformat(), "armed": alert.armed,
            "disabled": alert.disabled, "fired": alert.fired}


def alert_from_dict(data: dict[str, Any]) -> Alert:
    return Alert(int(data["id"]), data["team"], data["channel"], data["creator"], Rule.from_dict(data["rule"]),
                 datetime.fromisoformat(data["created_at"]), bool(data["armed"]), data.get("disabled") or None,
                 int(data.get("fired") or 0))


def digest_to_dict(digest: Digest) -> dict[str, Any]:
    return {"team": digest.team, "channel": digest.channel, "creator": digest.creator,
            "at": digest.at.isoformat(timespec="minutes"), "created_at": digest.created_at.isoformat(),
            "disabled": digest.disabled}


def digest_from_dict(data: dict[str, Any]) -> Digest:
    return Digest(data["team"], data["channel"], data["creator"], time.fromisoformat(data["at"]),
                  datetime.fromisoformat(data["created_at"]), data.get("disabled") or None)


class AlertBook(Protocol):
    def add_alert(self, team: str, channel: str, creator: str, rule: Rule, limit: int,
                  now: datetime) -> Alert: ...   # raises TooManyAlerts when the channel has `limit` active

    def list_alerts(self, team: str, channel: str | None = None) -> list[Alert]: ...  # None: the whole team

    def active_alerts(self) -> Iterator[Alert]: ...   # every team's, for the checker

    def delete_alert(self, team: str, channel: str, alert_id: int) -> bool: ...   # False: no such alert there

    def set_armed(self, alert_id: int, armed: bool) -> None: ...

    # The checker's steps, each conditional on the crossing number it saw (`alert.fired`), so a process acting on
    # a stale read changes nothing: False when the alert moved on (or is gone).
    def mark_fired(self, alert_id: int, fired: int) -> bool: ...   # disarm and count the firing

    def rearm(self, alert_id: int, fired: int) -> bool: ...   # the value went back across: may fire again

    def disable_channel(self, team: str, channel: str, reason: str) -> int: ...  # alerts and digest; how many

    def set_digest(self, digest: Digest) -> None: ...   # one per channel: replaces an earlier one

    def clear_digest(self, team: str, channel: str) -> bool: ...

    def list_digests(self, team: str | None = None) -> list[Digest]: ...   # disabled ones included

    # Exactly-once firing: True for the one caller that gets the claim. `done` marks it posted for good.
    def claim_firing(self, key: str, owner: str, ttl: float) -> bool: ...

    def finish_firing(self, key: str, owner: str) -> None: ...

    def firing_done(self, key: str) -> bool: ...   # finished (posted) for good

    def purge_team_alerts(self, team: str) -> int: ...  # uninstall: the team's alerts, digests and claims

    # `store migrate`: an alert as it is, keeping its id (users know it by that number); later ids stay larger.
    def import_alert(self, alert: Alert) -> None: ...
