"""What the checker hands to be posted, the Poster that posts it, and how the post went.

Each event carries its claim key (store/alerts.py `firing_key`): the Poster tags the post with it, so a post
retried after a killed process (whose claim expired) updates the earlier message instead of posting a copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Protocol

from oilfx.i18n import Text
from oilfx.market.quote import Quote
from oilfx.store.alerts import Alert, Digest


@dataclass(frozen=True)
class AlertFiring:
    alert: Alert
    value: Decimal          # the benchmark in the rule's unit, unrounded (what crossed the threshold)
    quote: Quote            # where the value came from: source and as-of time
    key: str                # the firing's claim key


@dataclass(frozen=True)
class DayChange:
    """One benchmark's move since the previous close (USD per barrel)."""

    benchmark: str
    close: Decimal          # the latest settlement (the quote's)
    day: date
    previous: Decimal       # the settlement before it
    previous_day: date

    @property
    def change(self) -> Decimal:
        return self.close - self.previous

    @property
    def percent(self) -> Decimal:
        return self.change / self.previous * 100


@dataclass(frozen=True)
class DigestDue:
    digest: Digest
    quote: Quote
    changes: dict[str, DayChange | Text]   # benchmark -> its change, or why it is unavailable
    scheduled_for: datetime               # the KST time it was due
    key: str
    late: bool = False                    # posted well after that (after a restart): the post says when it was due


class Outcome(Enum):
    POSTED = "posted"
    CHANNEL_GONE = "channel_gone"   # channel_not_found, not_in_channel, is_archived: disable the channel
    TEAM_GONE = "team_gone"         # account_inactive, invalid_auth, token_revoked: disable the team's channels
    RETRY = "retry"                 # transient (5xx, timeout, rate limit): the claim expires and it is tried again
    FAILED = "failed"               # refused for good (e.g. invalid_blocks): given up, logged


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    error: str = ""         # Slack's error code, for the log
    ts: str | None = None   # the message, when posted


class Poster(Protocol):
    def post_alert(self, event: AlertFiring) -> Delivery: ...

    def post_digest(self, event: DigestDue) -> Delivery: ...
