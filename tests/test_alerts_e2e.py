"""End to end through `python bot.py` (Socket Mode) against the fakes: `/oilprice alert|alerts|digest` store and
answer through the response_url, read back from the bot's SQLite file; the App Home lists the user's alert and its
Delete button removes it and republishes; the model's create_alert stores an alert for the asker. Nothing of oilfx
is mocked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import time
from typing import Any

import pytest

from oilfx.market import Quote, format_usd
from oilfx.market.history.series import Unit
from oilfx.market.rule import Direction
from oilfx.slack.home_view import HOME_DELETE_ACTION
from oilfx.store.sqlite import SqliteStore
from tests.fakes.bot_process import BotProcess, start_connected
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.pages import PagesServer
from tests.fakes.slack_server import FakeSlack
from tests.fakes.slack_views import app_home_opened, home_click

TIMEOUT = 20.0


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("store") / "oilfx.db")


@pytest.fixture(scope="module")
def bot(slack: FakeSlack, openai_fake: FakeOpenAI, pages: PagesServer, db: str) -> Iterator[BotProcess]:
    env = {**slack.env(), **openai_fake.env(), **pages.env(), "OILFX_DB": db, "OILFX_LOG_LEVEL": "INFO",
           "OILFX_OPENAI_MAX_RETRIES": "0", "OILFX_MAX_ALERTS": "3",
           "OILFX_ALERT_INTERVAL": "86400"}   # the checker's first pass is at start, before these tests set any
    process = start_connected(env, slack)
    yield process
    process.stop()


@pytest.fixture
def store(db: str) -> Iterator[SqliteStore]:
    """A reader of the bot's file (not exclusive: the bot holds it)."""
    reader = SqliteStore(db)
    yield reader
    reader.close()


def command(slack: FakeSlack, text: str, channel: str) -> dict[str, Any]:
    """Run `/oilprice <text>` in `channel`; the body the bot posted to the command's response_url."""
    payload = slack.slash_command(text=text, channel=channel)
    slack.wait_ack(slack.deliver("slash_commands", payload))
    url = payload["response_url"]
    return slack.wait_for(lambda: next((r["body"] for r in slack.responses if r["url"] == url), None), TIMEOUT,
                          what=f"the answer to /oilprice {text}")


def test_an_alert_is_stored_confirmed_listed_and_deleted(bot, slack, store, quote: Quote) -> None:
    channel = "C0ALERTS1"
    set_ = command(slack, "alert Brent > 80", channel)
    [alert] = store.list_alerts(slack.workspace.team_id, channel)
    assert (alert.creator, alert.rule.benchmark, alert.rule.unit, alert.rule.direction, str(alert.rule.threshold)) \
        == (slack.workspace.user_id, "Brent", Unit.USD, Direction.ABOVE, "80")
    assert set_["response_type"] == "in_channel"
    assert f"alert *#{alert.id}*: Brent above $80 (USD per barrel)" in set_["text"]
    assert format_usd(quote.oil["Brent"].usd) in set_["text"]           # where it stands now, from the market
    already = quote.oil["Brent"].usd > 80
    assert ("It already holds, so it fires at the next check." in set_["text"]) is already

    listed = command(slack, "alerts", channel)
    assert listed["response_type"] == "ephemeral"
    assert f"*#{alert.id}* Brent above $80 (USD per barrel) · set by <@{alert.creator}> · armed" in listed["text"]

    elsewhere = command(slack, f"alert delete {alert.id}", "C0ALERTS2")   # only this channel's alerts
    assert f"no alert #{alert.id} in this channel" in elsewhere["text"]
    assert store.list_alerts(slack.workspace.team_id, channel) == [alert]
    deleted = command(slack, f"alert delete {alert.id}", channel)
    assert f"Alert *#{alert.id}* deleted" in deleted["text"] and deleted["response_type"] == "ephemeral"
    assert store.list_alerts(slack.workspace.team_id, channel) == []


@pytest.mark.parametrize(("text", "says"), [
    ("alert Oman > 80", "unknown benchmark 'Oman'"),
    ("alert Brent >", "no threshold"),
    ("alert Brent 80", "no comparison"),
    ("alert Brent > -1", "above zero"),
    ("alert Brent > 100000", "more than 100×"),
    ("alert delete", "Which alert?"),
    ("digest 25:00", "hours go from 00 to 23"),
    ("digest", "No time given"),
])
def test_bad_input_says_what_was_wrong_with_the_usage_and_stores_nothing(bot, slack, store, text, says) -> None:
    channel = "C0BADINPUT"
    answer = command(slack, text, channel)
    assert answer["response_type"] == "ephemeral"
    assert says in answer["text"] and "Usage: `/oilprice" in answer["text"]
    assert store.list_alerts(slack.workspace.team_id, channel) == []
    assert [d for d in store.list_digests(slack.workspace.team_id) if d.channel == channel] == []


def test_a_full_channel_refuses_one_more(bot, slack, store) -> None:
    channel = "C0FULL"
    for level in (80, 81, 82):   # OILFX_MAX_ALERTS=3 for this bot
        command(slack, f"alert Brent > {level}", channel)
    answer = command(slack, "alert Brent > 83", channel)
    assert "already has 3 alerts" in answer["text"] and answer["response_type"] == "ephemeral"
    assert len(store.list_alerts(slack.workspace.team_id, channel)) == 3


def test_a_digest_is_set_and_turned_off(bot, slack, store) -> None:
    channel, team = "C0DIGEST", slack.workspace.team_id
    answer = command(slack, "digest 9:30", channel)
    assert "every weekday at *09:30 KST*" in answer["text"]
    [digest] = [d for d in store.list_digests(team) if d.channel == channel]
    assert digest.at == time(9, 30) and digest.creator == slack.workspace.user_id
    assert "Weekday digest at *09:30 KST*" in command(slack, "alerts", channel)["text"]
    assert "turned this channel's weekday digest off" in command(slack, "digest off", channel)["text"]
    assert [d for d in store.list_digests(team) if d.channel == channel] == []
    assert "no digest to turn off" in command(slack, "digest off", channel)["text"]


def test_the_home_tab_lists_the_users_alert_and_its_delete_button_removes_it(bot, slack, store, quote) -> None:
    user, team = "U0HOMEUSER", slack.workspace.team_id
    payload = slack.slash_command(text="alert WTI krw > 100000", channel="C0HOME", user=user)
    slack.wait_ack(slack.deliver("slash_commands", payload))
    [alert] = slack.wait_for(lambda: store.list_alerts(team, "C0HOME"), TIMEOUT, what="the alert stored")
    slack.wait_ack(slack.deliver("events_api", app_home_opened(slack.workspace, user)))
    view = slack.wait_for_home(user, timeout=TIMEOUT)
    text = json.dumps(view, ensure_ascii=False)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    assert f"*#{alert.id}* WTI above ₩100,000 (KRW per barrel)" in text
    assert format_usd(quote.oil["WTI"].usd) in text                      # the price table, from the market
    buttons = [b["accessory"] for b in view["blocks"] if b.get("accessory", {}).get("action_id") == HOME_DELETE_ACTION]
    [button] = buttons
    slack.wait_ack(slack.deliver("interactive", home_click(slack.workspace, view, HOME_DELETE_ACTION,
                                                           button["value"], user)))
    again = slack.wait_for_home(user, count=2, timeout=TIMEOUT)
    assert store.list_alerts(team, "C0HOME") == []
    assert f"#{alert.id}*" not in json.dumps(again, ensure_ascii=False)


def test_a_home_delete_button_of_someone_elses_alert_deletes_nothing(bot, slack, store) -> None:
    team = slack.workspace.team_id
    command(slack, "alert Dubai > 70", "C0OWNER")
    [alert] = store.list_alerts(team, "C0OWNER")
    intruder = "U0INTRUDER"
    forged = {"id": "V0FORGED", "type": "home", "blocks": []}
    slack.wait_ack(slack.deliver("interactive", home_click(slack.workspace, forged, HOME_DELETE_ACTION,
                                                           f"alert:C0OWNER:{alert.id}", intruder)))
    slack.wait_for_home(intruder, timeout=TIMEOUT)   # republished for the clicker: the click was handled
    assert store.list_alerts(team, "C0OWNER") == [alert]


def test_the_model_sets_an_alert_for_the_asker_in_the_channel(bot, slack, openai_fake, store) -> None:
    team, channel = slack.workspace.team_id, "C0MODEL"
    arguments = json.dumps({"benchmark": "Brent", "unit": "usd", "direction": "above", "threshold": "80"})
    openai_fake.answers.append(([("create_alert", arguments)], "Done: I will tell you when Brent is above $80."))
    try:
        payload = slack.app_mention("tell me when Brent goes above 80", channel=channel)
        slack.wait_ack(slack.deliver("events_api", payload))
        reply = slack.wait_for_message(channel=channel, thread_ts=payload["event"]["ts"], contains="above $80",
                                       timeout=TIMEOUT, final=True)
    finally:
        openai_fake.answers.clear()
    [alert] = store.list_alerts(team, channel)
    assert (alert.team, alert.channel, alert.creator) == (team, channel, payload["event"]["user"])
    assert (alert.rule.benchmark, str(alert.rule.threshold), alert.rule.direction) == ("Brent", "80", Direction.ABOVE)
    assert "removed" not in reply.all_text   # the guard let the confirmed threshold through
