"""The checker (oilfx/alerts/checker.py) with a real store (SQLite file, redis-server), the real market against
the pages fake (prices moved by changing what Opinet serves) and the real Slack poster against the fake Slack.
Time is injected: the digest's clock is a value the test sets; nothing sleeps for 09:00."""
# ruff: noqa: F811  (the contract's fixtures are imported from store_contract.py and requested by name)

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, time
from decimal import Decimal

import pytest

from oilfx.alerts.checker import Checker
from oilfx.config import Settings, load_settings
from oilfx.i18n import EN
from oilfx.market import KST, Market, format_kst, format_usd
from oilfx.market.history.series import Unit
from oilfx.market.rule import Direction, Rule
from oilfx.slack.announce import SlackPoster
from oilfx.slack.app import make_client
from oilfx.store.alerts import Digest
from tests.fakes.opinet_prices import set_prices
from tests.fakes.pages import REFERENCE_OIL, PagesServer
from tests.fakes.slack_server import FakeSlack
from tests.store_contract import CHANNEL, TEAM, USER, brent_above, open_instance, store, wait_until  # noqa: F401

MONDAY_0900 = datetime(2026, 12, 7, 9, 0, tzinfo=KST)
REFERENCE_BRENT = Decimal(REFERENCE_OIL["Brent"])  # 81.68


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def fakes(slack: FakeSlack, pages: PagesServer) -> Iterator[tuple[FakeSlack, PagesServer]]:
    slack.reset()
    pages.reset()
    yield slack, pages
    slack.reset()
    pages.reset()


def make_checker(book, slack: FakeSlack, pages: PagesServer, clock: Clock | None = None, owner: str = "p1",
                 claim_ttl: float = 60) -> Checker:
    market = Market(load_settings(pages.env(OILFX_CACHE_TTL="0")))
    client = make_client(Settings(slack_bot_token=slack.bot_token, slack_api_url=slack.api_url))
    return Checker(book, market.quote, SlackPoster(lambda team: client, EN), owner=owner, claim_ttl=claim_ttl,
                   history=market, clock=clock or Clock(MONDAY_0900))


def posts(slack: FakeSlack, channel: str = CHANNEL) -> list:
    return slack.posted(channel)


def test_an_alert_fires_once_per_crossing_and_again_after_going_back(store, fakes):
    slack, pages = fakes
    threshold = REFERENCE_BRENT + Decimal("1")      # 82.68: the reference price is below it
    alert = store.add_alert(TEAM, CHANNEL, USER, brent_above(str(threshold)), 10, datetime.now(UTC))
    checker = make_checker(store, slack, pages)
    checker.check_alerts()
    assert posts(slack) == []                        # 81.68 is not above 82.68
    above = threshold + Decimal("0.50")
    set_prices(pages, Brent=str(above))
    checker.check_alerts()
    (post,) = posts(slack)
    assert f"<@{USER}>" in post.text and format_usd(above) in post.text and format_usd(threshold) in post.text
    assert "Brent" in post.text and "Opinet" in post.text and "<!channel>" not in post.text
    assert format_kst(datetime.now(UTC))[:10] in post.text  # the check's time, in KST
    checker.check_alerts()
    checker.check_alerts()
    assert len(posts(slack)) == 1                    # still above: no second post
    set_prices(pages, Brent=str(threshold - Decimal("0.10")))
    checker.check_alerts()
    assert len(posts(slack)) == 1 and store.list_alerts(TEAM)[0].armed  # back below: re-armed, nothing posted
    set_prices(pages, Brent=str(above + 1))
    checker.check_alerts()
    assert [format_usd(above + 1) in p.text for p in posts(slack)] == [False, True]
    assert store.list_alerts(TEAM)[0].fired == 2 and alert.id == store.list_alerts(TEAM)[0].id


def test_a_restart_between_two_checks_neither_refires_nor_loses_a_crossing(open_instance, fakes):
    slack, pages = fakes
    first = open_instance()
    rule = Rule("WTI", Unit.KRW_PER_BARREL, Direction.BELOW, Decimal("90000"))  # 76.41 x 1,289 = 98,492.49
    first.add_alert(TEAM, CHANNEL, USER, rule, 10, datetime.now(UTC))
    make_checker(first, slack, pages).check_alerts()
    assert posts(slack) == []
    first.close()
    set_prices(pages, WTI="69.00")                   # crossed while no bot ran: 69.00 x 1,289 = 88,941
    second = open_instance()                          # the restarted bot: new store instance, new checker
    make_checker(second, slack, pages, owner="p2").check_alerts()
    (post,) = posts(slack)
    assert "₩88,941" in post.text and "₩90,000" in post.text
    second.close()
    third = open_instance()
    make_checker(third, slack, pages, owner="p3").check_alerts()  # restarted again, still below: not again
    assert len(posts(slack)) == 1


def test_a_takeover_after_a_killed_poster_updates_the_post_slack_already_had(store, fakes):
    slack, pages = fakes
    alert = store.add_alert(TEAM, CHANNEL, USER, brent_above("80"), 10, datetime.now(UTC))
    # The killed process: claimed, and its post reached Slack, but it never recorded the firing.
    dead = make_checker(store, slack, pages, owner="dead", claim_ttl=0.3)
    assert store.claim_firing(alert.firing_key(), "dead", 0.3)
    from oilfx.alerts.events import AlertFiring

    quote = dead.quotes()
    dead.poster.post_alert(AlertFiring(alert, alert.rule.value(quote), quote, alert.firing_key()))
    live = make_checker(store, slack, pages, owner="live")
    live.check_alerts()
    assert len(posts(slack)) == 1                    # the dead owner's claim still runs
    wait_until(lambda: (live.check_alerts(), store.list_alerts(TEAM)[0].fired == 1)[1])
    (post,) = posts(slack)                           # taken over: the tagged post was updated, not doubled
    assert len(slack.calls_to("chat.update")) == 1 and post.versions[-1]["method"] == "chat.update"


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived"])
def test_a_channel_slack_refuses_gets_its_alerts_and_digest_disabled(store, fakes, error, caplog):
    slack, pages = fakes
    store.add_alert(TEAM, CHANNEL, USER, brent_above("80"), 10, datetime.now(UTC))
    store.add_alert(TEAM, CHANNEL, USER, brent_above("81"), 10, datetime.now(UTC))
    kept = store.add_alert(TEAM, "C0KEPT", USER, brent_above("80"), 10, datetime.now(UTC))
    store.set_digest(Digest(TEAM, CHANNEL, USER, time(9, 0), datetime(2026, 12, 1, tzinfo=UTC)))
    slack.fail("chat.postMessage", error, times=None, when=lambda p: p.get("channel") == CHANNEL)
    checker = make_checker(store, slack, pages)
    with caplog.at_level(logging.WARNING, logger="oilfx.alerts.checker"):
        checker.check_alerts()
        checker.check_digests()
    assert [a.id for a in store.active_alerts()] == [kept.id] and len(posts(slack, "C0KEPT")) == 1
    assert {a.disabled for a in store.list_alerts(TEAM, CHANNEL)} == {error}
    assert store.list_digests(TEAM)[0].disabled == error
    assert f"channel {CHANNEL} of team {TEAM}: Slack says {error}; disabled its 3 alert(s)/digest" in caplog.text
    refused = len([c for c in slack.calls_to("chat.postMessage") if c.params.get("channel") == CHANNEL])
    assert refused == 1                              # the second alert was disabled before its turn
    for _ in range(3):
        checker.check_alerts()
        checker.check_digests()
    assert len([c for c in slack.calls_to("chat.postMessage") if c.params.get("channel") == CHANNEL]) == refused


@pytest.mark.parametrize("error", ["invalid_auth", "token_expired"])
def test_a_refused_token_disables_the_teams_alerts_and_digests(store, fakes, caplog, error):
    slack, pages = fakes
    for channel in (CHANNEL, "C0SECOND"):
        store.add_alert(TEAM, channel, USER, brent_above("80"), 10, datetime.now(UTC))
    store.set_digest(Digest(TEAM, "C0THIRD", USER, time(9, 0), datetime(2026, 12, 1, tzinfo=UTC)))
    other = store.add_alert("T0OTHER00", CHANNEL, USER, brent_above("80"), 10, datetime.now(UTC))
    slack.fail("chat.postMessage", error, times=1)
    with caplog.at_level(logging.WARNING, logger="oilfx.alerts.checker"):
        make_checker(store, slack, pages).check_alerts()
    assert f"team {TEAM}: Slack refused the bot ({error})" in caplog.text
    assert [a.id for a in store.active_alerts()] == [other.id] and store.list_digests(TEAM)[0].disabled
    assert len(slack.calls_to("chat.postMessage")) == 2  # the refused one, then the other team's, posted


def test_a_transient_slack_failure_is_tried_again_at_the_next_check_and_posted_once(store, fakes):
    slack, pages = fakes
    alert = store.add_alert(TEAM, CHANNEL, USER, brent_above("80"), 10, datetime.now(UTC))
    slack.server_error("chat.postMessage", times=3)   # every attempt of post_once's first round
    checker = make_checker(store, slack, pages)
    checker.check_alerts()
    assert posts(slack) == [] and store.list_alerts(TEAM)[0].armed  # not given up: still armed, claim ours
    assert not store.firing_done(alert.firing_key())
    checker.check_alerts()
    assert len(posts(slack)) == 1 and store.firing_done(alert.firing_key())


def test_the_alert_settings_are_bounded():
    from oilfx.config import ConfigError

    settings = load_settings({"OILFX_ALERT_INTERVAL": "1", "OILFX_ALERT_CLAIM_TTL": "3"})
    assert (settings.alert_interval, settings.alert_claim_ttl) == (1.0, 3.0)
    assert (Settings().alert_interval, Settings().alert_claim_ttl) == (900.0, 120.0)
    for name, value in (("OILFX_ALERT_INTERVAL", "0.1"), ("OILFX_ALERT_INTERVAL", "90000"),
                        ("OILFX_ALERT_CLAIM_TTL", "0")):
        with pytest.raises(ConfigError, match=name):
            load_settings({name: value})
