"""Store.purge_team on both backends (SQLite file, real redis-server): after an uninstall the team's entries of
every kind are gone, another team's with the very same channel and ts are untouched, and a second purge finds
nothing."""
# ruff: noqa: F811  (the contract's fixtures are imported from store_contract.py and requested by name)

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from oilfx.market.history.series import Unit
from oilfx.market.rule import Direction, Rule
from oilfx.slack.turn_request import TurnRequest
from oilfx.store import records
from oilfx.store.alerts import Digest
from oilfx.store.base import Feedback, MessageKey, OpenReply, ThreadKey
from oilfx.store.purge import Purged, purge_everything
from oilfx.store.records import (
    AnswerRecord,
    LanguageChoice,
    PanelContext,
    PanelTitled,
    StepsRecord,
    language_key,
    panel_key,
)
from tests.store_contract import open_instance, store  # noqa: F401  (fixtures)

CHANNEL, TS, DM = "C0SAME001", "1700000000.000100", "D0SAME001"
TEAMS = ("T0TEAMONE", "T0TEAMTWO")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def fill(store, team: str) -> dict[str, list[str]]:
    """One entry of each kind for `team`, all at the same channel and ts as the other team's; the record keys."""
    key = ThreadKey(team, CHANNEL, TS)
    store.set_conversation(key, "chat", f"chat_{team}")
    store.set_conversation(key, "responses", f"conv_{team}")
    store.save_history(f"chat_{team}", [{"role": "user", "content": f"question of {team}"}])
    assert store.claim_message(MessageKey(team, CHANNEL, TS), f"Ev{team}")
    kept = [records.keep(store, AnswerRecord(team=team, channel=CHANNEL, thread_ts=TS, question="q", answer="a")),
            records.keep(store, StepsRecord(thread=str(key), breakdown=f"steps of {team}"))]
    panel = panel_key(DM, TS + team)  # DM ids are per workspace; the record names its team
    records.put(store, panel, PanelContext(CHANNEL, team, None))
    records.put(store, language_key(team, "U1"), LanguageChoice(team, "U1", "en"))   # `/oilprice lang en`
    store.add_feedback(Feedback(key, TS, "U1", "good", "q", "a", "chat", NOW))
    request = TurnRequest(team, CHANNEL, "U1", "q", f"Ev{team}", TS, TS, TS)
    store.open_reply(OpenReply(f"Ev{team}", CHANNEL, TS, TS, False, json.dumps(asdict(request)), NOW.timestamp()))
    return {"kept": kept, "panel": [panel], "lang": [language_key(team, "U1")]}


def test_purge_removes_one_team_and_keeps_the_other(store):
    filled = {team: fill(store, team) for team in TEAMS}
    shared = records.keep(store, StepsRecord(thread="", breakdown="top-level"))  # no team: kept
    records.put(store, panel_key(DM, TS), PanelTitled())
    gone, kept = TEAMS

    purged = store.purge_team(gone)

    engines = 2  # fill() set a chat and a responses conversation, and the chat one's history
    assert purged == Purged(conversations=engines, histories=1, messages=1,
                            records=len(filled[gone]["kept"]) + len(filled[gone]["panel"]) + len(filled[gone]["lang"]),
                            feedback=1,
                            open_replies=1)
    for team, present in ((gone, False), (kept, True)):
        key = ThreadKey(team, CHANNEL, TS)
        assert (store.get_conversation(key, "chat") is not None) is present
        assert (store.get_conversation(key, "responses") is not None) is present
        assert bool(store.load_history(f"chat_{team}")) is present
        answer, steps = filled[team]["kept"]
        assert (records.load(store, AnswerRecord, answer) is not None) is present
        assert (records.load(store, StepsRecord, steps) is not None) is present
        assert (records.load(store, PanelContext, filled[team]["panel"][0]) is not None) is present
        assert (records.load(store, LanguageChoice, filled[team]["lang"][0]) is not None) is present
        assert (store.get_open_reply(f"Ev{team}") is not None) is present
        # The message claim: the team's message is free again only where it was purged.
        assert store.claim_message(MessageKey(team, CHANNEL, TS), "EvLATER") is not present
    assert [f.key.team for f in store.list_feedback(NOW - timedelta(days=1))] == [kept]
    assert records.load(store, StepsRecord, shared) is not None
    assert records.load(store, PanelTitled, panel_key(DM, TS)) == PanelTitled()
    assert [t for t, _, _ in store.export_conversations()] == [ThreadKey(kept, CHANNEL, TS)] * engines

    assert store.purge_team(gone) == Purged(messages=1)  # only the claim the loop above just made again


def test_purge_everything_takes_the_teams_alerts_and_digests_too(store):
    with pytest.raises(ValueError, match="team id"):
        purge_everything(store, "")
    rule = Rule("WTI", Unit.KRW_PER_BARREL, Direction.ABOVE, Decimal("100000"))
    for team in TEAMS:
        store.add_alert(team, CHANNEL, "U1", rule, 10, NOW)
        store.add_alert(team, CHANNEL, "U1", rule, 10, NOW)
        store.set_digest(Digest(team, CHANNEL, "U1", time(9, 0), NOW))
    gone, kept = TEAMS
    found = purge_everything(store, gone)
    assert found.alerts == 2 + 1 and "3 alerts" in str(found)
    assert store.list_alerts(gone) == [] and store.list_digests(gone) == []
    assert len(store.list_alerts(kept)) == 2 and len(store.list_digests(kept)) == 1
