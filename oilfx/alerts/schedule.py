"""When a digest is due: weekdays (Monday to Friday) at its KST time, and how late it may still be posted.

The rule for a digest missed while no bot was running: it is posted once after start if it is still the same
KST morning, i.e. before 12:00 KST. A digest set for 12:00 or later may be up to an hour late. After that the
day's digest is skipped and the log says so (once: the skip is recorded like a post). A digest set after its
time of day starts the next weekday: a new digest never posts a late one for the day it was set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum

from oilfx.market.quote import KST
from oilfx.store.alerts import Digest

NOON = time(12, 0)
LATE_AFTER_NOON = timedelta(hours=1)  # how late a digest at 12:00 or later may still be posted


class Due(Enum):
    NOT_TODAY = "not_today"   # a weekend, or today's time was before the digest existed
    NOT_YET = "not_yet"
    DUE = "due"               # post it (late, if now is past its time)
    MISSED = "missed"         # too late today: skip, and log it once


@dataclass(frozen=True)
class Decision:
    due: Due
    day: date                 # the KST day it is (or was) due on
    scheduled_for: datetime   # that day at the digest's time, in KST


def scheduled_for(digest: Digest, day: date) -> datetime:
    return datetime.combine(day, digest.at, tzinfo=KST)


def late_until(when: datetime) -> datetime:
    """The last moment a digest due at `when` may still be posted: noon KST that day, or an hour after `when`."""
    return max(datetime.combine(when.date(), NOON, tzinfo=KST), when + LATE_AFTER_NOON)


def decide(digest: Digest, now: datetime) -> Decision:
    if now.tzinfo is None:
        raise ValueError("naive datetime: every time in oilfx carries a time zone")
    day = now.astimezone(KST).date()
    when = scheduled_for(digest, day)
    if day.weekday() >= 5 or when < digest.created_at:
        return Decision(Due.NOT_TODAY, day, when)
    if now < when:
        return Decision(Due.NOT_YET, day, when)
    return Decision(Due.DUE if now < late_until(when) else Due.MISSED, day, when)
