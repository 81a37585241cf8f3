"""The weekday digest: due at its KST time on weekdays only, posted once, a missed one posted once after start if it
is still the same morning and otherwise skipped and logged; and the scheduler's ticks. Real store (both backends),
real market against the pages fake, real Slack poster against the fake Slack; the clock is injected."""
# ruff: noqa: F811  (the contract's fixtures are imported from store_contract.py and requested by name)

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from oilfx.alerts.schedule import Due, decide
from oilfx.alerts.scheduler import Scheduler
from oilfx.market import KST, format_krw, format_usd
from oilfx.store.alerts import Digest
from tests.fakes.opinet_prices import fixture_rows
from tests.fakes.pages import REFERENCE_OIL, REFERENCE_USDKRW
from tests.store_contract import CHANNEL, TEAM, USER, brent_above, open_instance, store  # noqa: F401
from tests.test_alerts_checker import MONDAY_0900, Clock, fakes, make_checker, posts  # noqa: F401


def opinet_day(text: str) -> date:
    """Opinet's '23년11월27일' as a date."""
    year, month, day = map(int, re.fullmatch(r"(\d+)년(\d+)월(\d+)일", text).groups())  # type: ignore[union-attr]
    return date(2000 + year, month, day)


SET_LAST_WEEK = datetime(2026, 11, 30, 15, 0, tzinfo=KST)
NINE = Digest(TEAM, CHANNEL, USER, time(9, 0), SET_LAST_WEEK)


def test_a_digest_is_posted_once_at_its_time_on_a_weekday(store, fakes):
    slack, pages = fakes
    store.set_digest(NINE)
    clock = Clock(MONDAY_0900 - timedelta(minutes=1))
    checker = make_checker(store, slack, pages, clock)
    checker.check_digests()
    assert posts(slack) == []
    clock.now = MONDAY_0900 + timedelta(seconds=5)
    checker.check_digests()
    clock.now += timedelta(seconds=20)
    checker.check_digests()
    make_checker(store, slack, pages, clock, owner="p2").check_digests()  # another process: already posted
    (post,) = posts(slack)
    rate = Decimal(REFERENCE_USDKRW.replace(",", ""))
    *_, previous, latest = fixture_rows()     # Opinet's last two days: the change is between them
    for name, usd in REFERENCE_OIL.items():   # the price table, figures computed from the fixture pages
        assert format_usd(Decimal(usd)) in post.text and format_krw(Decimal(usd) * rate) in post.text
        change = Decimal(latest[name]) - Decimal(previous[name])
        sign = "+" if change > 0 else "−"
        percent = abs(change / Decimal(previous[name]) * 100).quantize(Decimal("0.01"))
        assert (f"{name} {sign}{format_usd(abs(change))} ({sign}{percent}%) from {format_usd(Decimal(previous[name]))}"
                f" on {opinet_day(previous['기간']).isoformat()}") in post.text
    assert f"<@{USER}>" in post.text and "posted late" not in post.text
    header = post.blocks[0]
    assert header["type"] == "header" and header["text"]["text"] == "Oil prices, Mon 2026-12-07"


def test_no_digest_on_saturday_and_none_before_it_existed(store, fakes):
    slack, pages = fakes
    store.set_digest(NINE)
    saturday = MONDAY_0900 - timedelta(days=2)
    make_checker(store, slack, pages, Clock(saturday + timedelta(seconds=5))).check_digests()
    assert posts(slack) == []
    # Set at 10:00 for 09:00: today's 09:00 was before it existed, so nothing late today; tomorrow at 09:00.
    store.set_digest(Digest(TEAM, CHANNEL, USER, time(9, 0), MONDAY_0900 + timedelta(hours=1)))
    make_checker(store, slack, pages, Clock(MONDAY_0900 + timedelta(hours=1, minutes=1))).check_digests()
    assert posts(slack) == []
    make_checker(store, slack, pages, Clock(MONDAY_0900 + timedelta(days=1, seconds=5))).check_digests()
    assert len(posts(slack)) == 1


def test_a_restart_across_the_digest_time_posts_it_once_if_still_the_same_morning(open_instance, fakes):
    slack, pages = fakes
    before = open_instance()
    before.set_digest(NINE)
    make_checker(before, slack, pages, Clock(MONDAY_0900 - timedelta(minutes=10))).check_digests()
    before.close()                                     # the bot stops at 08:50 and is back at 10:30
    after = open_instance()
    clock = Clock(MONDAY_0900 + timedelta(hours=1, minutes=30))
    make_checker(after, slack, pages, clock, owner="p2").check_digests()
    clock.now += timedelta(minutes=1)
    make_checker(after, slack, pages, clock, owner="p3").check_digests()
    (post,) = posts(slack)
    assert "Due 2026-12-07 09:00 KST, posted late" in post.text


def test_a_restart_after_noon_skips_the_missed_digest_and_logs_it_once(store, fakes, caplog):
    slack, pages = fakes
    store.set_digest(NINE)
    clock = Clock(datetime(2026, 12, 7, 12, 30, tzinfo=KST))
    with caplog.at_level(logging.WARNING, logger="oilfx.alerts.checker"):
        make_checker(store, slack, pages, clock).check_digests()
        clock.now += timedelta(minutes=5)
        make_checker(store, slack, pages, clock, owner="p2").check_digests()
    assert posts(slack) == []
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert skipped == [f"digest for {CHANNEL} of team {TEAM} due 2026-12-07 09:00 KST was not posted in time (no bot "
                       "was running?); skipped: a missed digest is posted after start only until 2026-12-07 12:00 KST"]
    make_checker(store, slack, pages, Clock(MONDAY_0900 + timedelta(days=1, seconds=1))).check_digests()
    assert len(posts(slack)) == 1                      # the next weekday's is posted as usual


def test_the_late_window_is_the_morning_or_an_hour_for_an_afternoon_digest():
    afternoon = Digest(TEAM, CHANNEL, USER, time(15, 30), SET_LAST_WEEK)
    day = datetime(2026, 12, 8, tzinfo=KST)  # a Tuesday
    at = {t: decide(afternoon, day + t).due for t in (timedelta(hours=15, minutes=29), timedelta(hours=16, minutes=29),
                                                      timedelta(hours=16, minutes=30))}
    assert list(at.values()) == [Due.NOT_YET, Due.DUE, Due.MISSED]
    assert decide(NINE, day + timedelta(hours=11, minutes=59)).due is Due.DUE
    assert decide(NINE, day + timedelta(hours=12)).due is Due.MISSED
    assert decide(NINE, datetime(2026, 12, 13, 9, 30, tzinfo=KST)).due is Due.NOT_TODAY  # Sunday
    assert decide(NINE, datetime(2026, 12, 8, 0, 30, tzinfo=UTC)).due is Due.DUE  # 09:30 KST, given in UTC


class CountingChecker:
    owner = "p1"

    def __init__(self) -> None:
        self.alerts = self.digests = 0

    def check_alerts(self) -> None:
        self.alerts += 1

    def check_digests(self) -> None:
        self.digests += 1


def test_the_scheduler_checks_alerts_every_interval_and_digests_every_tick():
    now = [0.0]
    checker = CountingChecker()
    scheduler = Scheduler(checker, interval=60, monotonic=lambda: now[0])  # type: ignore[arg-type]
    for _ in range(9):              # a tick every 20 s for 160 s
        scheduler.run_once()
        now[0] += scheduler.tick
    assert (checker.alerts, checker.digests) == (3, 9)  # at 0, 60, 120 s


def test_the_scheduler_thread_stops_cleanly(store, fakes):
    slack, pages = fakes
    store.add_alert(TEAM, CHANNEL, USER, brent_above("80"), 10, datetime.now(UTC))
    scheduler = Scheduler(make_checker(store, slack, pages), interval=0.5).start()
    slack.wait_for(lambda: posts(slack), what="the alert's post")
    scheduler.stop()
    assert scheduler._thread is not None and not scheduler._thread.is_alive()
