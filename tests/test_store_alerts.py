"""The AlertBook contract (store/alerts.py) on both backends: alerts with unique ids and a channel limit checked
atomically with the insert, crossing state that only moves forward, digests, once-only firing claims, and the
purge on uninstall; across two instances ("two processes") and a restart."""
# ruff: noqa: F811  (the contract's fixtures are imported from store_contract.py and requested by name)

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import UTC, datetime, time
from decimal import Decimal

import pytest

from oilfx.market.history.series import Unit
from oilfx.market.rule import Direction, Rule
from oilfx.store.alerts import Digest, TooManyAlerts, firing_key
from oilfx.store.sqlite import SqliteStore
from tests.store_contract import (  # noqa: F401  (fixtures)
    CHANNEL,
    OTHER_TEAM,
    TEAM,
    USER,
    brent_above,
    open_instance,
    store,
    wait_until,
)

NOW = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)


def test_alerts_get_unique_ids_and_survive_a_restart(open_instance):
    a, b = open_instance(), open_instance()
    first = a.add_alert(TEAM, CHANNEL, USER, brent_above("80"), 10, NOW)
    litre = Rule("Dubai", Unit.KRW_PER_LITRE, Direction.BELOW, Decimal("600.50"))
    second = b.add_alert(TEAM, CHANNEL, USER, litre, 10, NOW)
    elsewhere = a.add_alert(OTHER_TEAM, CHANNEL, USER, brent_above("90"), 10, NOW)
    assert len({first.id, second.id, elsewhere.id}) == 3
    assert first.armed and first.fired == 0 and first.disabled is None
    restarted = open_instance()
    assert restarted.list_alerts(TEAM, CHANNEL) == [first, second]  # rule, creator, times: all as stored
    assert restarted.list_alerts(TEAM) == [first, second] and restarted.list_alerts(OTHER_TEAM) == [elsewhere]
    assert restarted.list_alerts(TEAM, "C0NOTHING") == []
    assert sorted(a.id for a in restarted.active_alerts()) == sorted([first.id, second.id, elsewhere.id])
    # delete: only in its own team and channel
    assert not restarted.delete_alert(OTHER_TEAM, CHANNEL, first.id)
    assert not restarted.delete_alert(TEAM, "C0OTHER", first.id)
    assert restarted.delete_alert(TEAM, CHANNEL, first.id)
    assert not a.delete_alert(TEAM, CHANNEL, first.id)
    assert a.list_alerts(TEAM) == [second]
    third = a.add_alert(TEAM, CHANNEL, USER, brent_above("85"), 10, NOW)
    assert third.id not in {first.id, second.id, elsewhere.id}  # an id is never handed out twice


def test_an_imported_alert_keeps_its_id_and_state_and_later_ids_stay_larger(open_instance):
    book = open_instance()
    imported = replace(book.add_alert(TEAM, CHANNEL, USER, brent_above("80"), 10, NOW), id=41, armed=False, fired=3,
                       disabled="channel_not_found")   # as `store migrate` brings it from another store
    book.import_alert(imported)
    book.import_alert(imported)                                   # migrate twice: still one alert #41
    assert open_instance().list_alerts(TEAM, CHANNEL)[-1] == imported
    assert [a.id for a in book.list_alerts(TEAM)].count(41) == 1
    assert book.add_alert(TEAM, CHANNEL, USER, brent_above("90"), 10, NOW).id > imported.id


def test_the_channel_limit_lets_exactly_one_of_two_processes_take_the_last_place(open_instance):
    a, b = open_instance(), open_instance()
    limit = 5
    for i in range(limit - 1):
        a.add_alert(TEAM, CHANNEL, USER, brent_above(str(70 + i)), limit, NOW)
    b.add_alert(TEAM, "C0OTHER", USER, brent_above("70"), limit, NOW)  # other channels don't count
    barrier = threading.Barrier(10)
    outcomes: list[str] = []

    def add(book) -> None:
        barrier.wait()
        try:
            book.add_alert(TEAM, CHANNEL, USER, brent_above("99"), limit, NOW)
            outcomes.append("added")
        except TooManyAlerts as e:
            outcomes.append(str(e))

    threads = [threading.Thread(target=add, args=(a if i % 2 else b,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("added") == 1
    assert all(o == f"this channel already has {limit} alerts (the most it may have is {limit})"
               for o in outcomes if o != "added")
    assert len(a.list_alerts(TEAM, CHANNEL)) == limit
    # Disabled alerts no longer take a place.
    assert a.disable_channel(TEAM, CHANNEL, "channel_not_found") == limit
    assert b.add_alert(TEAM, CHANNEL, USER, brent_above("99"), limit, NOW).disabled is None


def test_crossing_state_moves_forward_only_from_the_state_it_saw(open_instance):
    a, b = open_instance(), open_instance()
    alert = a.add_alert(TEAM, CHANNEL, USER, brent_above("80"), 10, NOW)
    assert not a.rearm(alert.id, 0)          # armed already
    assert a.mark_fired(alert.id, 0)
    assert not b.mark_fired(alert.id, 0)     # a second process acting on the same reading changes nothing
    (seen,) = b.list_alerts(TEAM)
    assert (seen.armed, seen.fired) == (False, 1) and seen.firing_key() == firing_key("alert", TEAM, str(alert.id), "1")
    assert not b.rearm(alert.id, 0)          # a stale reading cannot re-arm it
    assert b.rearm(alert.id, 1) and not a.rearm(alert.id, 1)
    (seen,) = a.list_alerts(TEAM)
    assert (seen.armed, seen.fired) == (True, 1)
    a.set_armed(alert.id, False)
    assert not a.list_alerts(TEAM)[0].armed
    assert not a.mark_fired(999_999, 0) and not a.rearm(999_999, 0)  # no such alert


def test_disable_channel_disables_its_alerts_and_digest_only(open_instance):
    a, b = open_instance(), open_instance()
    gone = [a.add_alert(TEAM, CHANNEL, USER, brent_above(str(t)), 10, NOW) for t in (80, 90)]
    kept = a.add_alert(TEAM, "C0KEPT", USER, brent_above("80"), 10, NOW)
    other = a.add_alert(OTHER_TEAM, CHANNEL, USER, brent_above("80"), 10, NOW)
    a.set_digest(Digest(TEAM, CHANNEL, USER, time(9, 0), NOW))
    a.set_digest(Digest(TEAM, "C0KEPT", USER, time(8, 30), NOW))
    assert b.disable_channel(TEAM, CHANNEL, "not_in_channel") == 3
    assert b.disable_channel(TEAM, CHANNEL, "not_in_channel") == 0  # already disabled
    assert {x.id for x in a.active_alerts()} == {kept.id, other.id}
    assert [x.disabled for x in a.list_alerts(TEAM, CHANNEL)] == ["not_in_channel"] * len(gone)
    assert {(d.channel, d.disabled) for d in a.list_digests(TEAM)} == {(CHANNEL, "not_in_channel"), ("C0KEPT", None)}


def test_one_digest_per_channel(open_instance):
    a, b = open_instance(), open_instance()
    a.set_digest(Digest(TEAM, CHANNEL, USER, time(9, 0), NOW))
    b.set_digest(Digest(TEAM, CHANNEL, "U0SECOND", time(8, 15), NOW))  # replaces the first
    b.set_digest(Digest(OTHER_TEAM, CHANNEL, USER, time(9, 0), NOW))
    assert a.list_digests(TEAM) == [Digest(TEAM, CHANNEL, "U0SECOND", time(8, 15), NOW)]
    assert [d.team for d in open_instance().list_digests()] == sorted([TEAM, OTHER_TEAM])
    assert a.clear_digest(TEAM, CHANNEL) and not b.clear_digest(TEAM, CHANNEL)
    assert b.list_digests(TEAM) == []


def test_a_firing_is_claimed_by_one_of_many_and_once_done_never_again(open_instance):
    a, b = open_instance(), open_instance()
    key = firing_key("digest", TEAM, CHANNEL, "2026-12-07")
    barrier = threading.Barrier(10)
    winners: list[str] = []

    def claim(book, owner: str) -> None:
        barrier.wait()
        if book.claim_firing(key, owner, 60):
            winners.append(owner)

    threads = [threading.Thread(target=claim, args=(a if i % 2 else b, f"p{i}")) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert not b.firing_done(key)
    (a if int(winners[0][1:]) % 2 else b).finish_firing(key, winners[0])
    assert a.firing_done(key) and b.firing_done(key)
    assert not a.claim_firing(key, winners[0], 60) and not open_instance().claim_firing(key, "late", 0.05)
    with pytest.raises(ValueError):
        a.claim_firing("no-team", "p", 1)


def test_an_unfinished_claim_is_taken_over_after_its_ttl(open_instance):
    a, b = open_instance(), open_instance()
    key = firing_key("alert", TEAM, "7", "0")
    assert a.claim_firing(key, "killed", 0.3)
    assert not b.claim_firing(key, "other", 0.3)      # still held
    wait_until(lambda: b.claim_firing(key, "other", 30))  # "killed" never finished: its lease ran out
    assert not a.claim_firing(key, "killed", 30)      # the new owner's lease runs
    b.finish_firing(key, "other")
    assert a.firing_done(key)


def test_purge_team_alerts_removes_the_teams_alerts_digests_and_claims_only(open_instance):
    a, b = open_instance(), open_instance()
    mine = a.add_alert(TEAM, CHANNEL, USER, brent_above("80"), 10, NOW)
    theirs = a.add_alert(OTHER_TEAM, CHANNEL, USER, brent_above("80"), 10, NOW)
    a.set_digest(Digest(TEAM, CHANNEL, USER, time(9, 0), NOW))
    a.set_digest(Digest(OTHER_TEAM, CHANNEL, USER, time(9, 0), NOW))
    for alert in (mine, theirs):
        key = alert.firing_key()
        assert a.claim_firing(key, "p", 60)
        a.finish_firing(key, "p")
    assert b.purge_team_alerts(TEAM) == 2
    assert b.list_alerts(TEAM) == [] and b.list_digests(TEAM) == []
    assert [x.id for x in b.active_alerts()] == [theirs.id] and len(b.list_digests()) == 1
    assert not b.firing_done(mine.firing_key()) and b.firing_done(theirs.firing_key())
    assert b.set_armed(theirs.id, False) is None and not b.mark_fired(mine.id, 0)


def test_an_older_sqlite_file_gains_the_alert_tables_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.db"
    old = SqliteStore(path)
    old.set_meta("assistant_id", "asst_1")
    old.close()
    db = sqlite3.connect(path)  # as the file was before alerts: no alert tables
    db.executescript("DROP TABLE alerts; DROP TABLE digests; DROP TABLE firings;")
    db.close()
    store = SqliteStore(path)
    assert store.get_meta("assistant_id") == "asst_1"
    alert = store.add_alert(TEAM, CHANNEL, USER, brent_above("80"), 10, NOW)
    store.close()
    assert SqliteStore(path).list_alerts(TEAM) == [alert]
