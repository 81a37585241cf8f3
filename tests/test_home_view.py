"""The App Home view (slack/home_view.py) within Slack's limits however many alerts a user has, validated by
slack_sdk's models and by the fake's views.publish (the real WebClient against tests/fakes/slack_views.py, which
answers as Slack does: invalid_arguments for a bad user or view, not_enabled with the Home tab off)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from oilfx.i18n import EN, KO, Texts
from oilfx.market import Quote
from oilfx.market.history.series import Unit
from oilfx.market.rule import Direction, Rule
from oilfx.slack.home_view import HOME_DELETE_ACTION, MAX_VIEW_BLOCKS, HomeData, Target, TargetKind, render_home
from oilfx.store.alerts import Alert, Digest
from tests.fakes.slack_server import FakeSlack
from tests.fakes.slack_views import view_problems

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def alerts(n: int) -> list[Alert]:
    return [Alert(i, "T1", f"C{i % 7:08d}", "U1", Rule("Brent", Unit.KRW_PER_LITRE, Direction.ABOVE,
                                                       Decimal("123456.789") + i), NOW, armed=i % 2 == 0)
            for i in range(1, n + 1)]


def digests(n: int) -> list[Digest]:
    return [Digest("T1", f"D{i:08d}", "U1", time(9, i % 60), NOW) for i in range(n)]


def data(quote: Quote | None, n_alerts: int, n_digests: int, tx: Texts = EN) -> HomeData:
    return HomeData(quote, "no crude prices: opinet: HTTP 503", None, alerts(n_alerts), digests(n_digests),
                    "*oilfx* help " * 400, tx)   # a help text over the section limit: clipped, not refused


@pytest.mark.parametrize("tx", [EN, KO], ids=["en", "ko"])
@pytest.mark.parametrize(("n_alerts", "n_digests"), [(0, 0), (1, 1), (20, 3), (500, 0), (0, 300), (400, 400)])
def test_the_view_stays_within_slacks_limits(quote: Quote, n_alerts: int, n_digests: int, tx: Texts) -> None:
    view = render_home(data(quote, n_alerts, n_digests, tx)).to_dict()   # slack_sdk's models validate here
    assert view_problems(view) == []
    assert len(view["blocks"]) <= MAX_VIEW_BLOCKS
    buttons = [b["accessory"] for b in view["blocks"] if "accessory" in b]
    assert all(b["action_id"] == HOME_DELETE_ACTION and Target.parse(b["value"]) for b in buttons)
    shown_alerts = sum(1 for b in buttons if b["value"].startswith("alert:"))
    shown_digests = len(buttons) - shown_alerts
    assert shown_alerts == n_alerts or shown_alerts + shown_digests + 8 >= MAX_VIEW_BLOCKS - 4
    hidden = n_alerts - shown_alerts
    if hidden:
        assert tx.t("… and {count} more: `/oilprice alerts` in each channel.", count=hidden) in str(view)


def test_every_alert_shows_its_rule_state_and_channel(quote: Quote) -> None:
    view = str(render_home(data(quote, 2, 1)).to_dict())
    assert "*#1* Brent above ₩123,457.789 (KRW per litre) · fired" in view and "in <#C00000001>" in view
    assert "*#2* Brent above ₩123,458.789 (KRW per litre) · armed" in view
    assert "Weekday digest at *09:00 KST*" in view


def test_the_home_reads_in_korean(quote: Quote) -> None:
    view = str(render_home(data(quote, 2, 1, KO)).to_dict())
    assert "*#2* 브렌트유 ₩123,458.789 초과 (원/L) · 대기 중" in view
    assert KO.t("Your alerts") in view and KO.t("Delete") in view and KO.t("Benchmark") in view
    assert "Your alerts" not in view
    confirm = next(b["accessory"]["confirm"] for b in render_home(data(quote, 1, 0, KO)).to_dict()["blocks"]
                   if "accessory" in b)   # asked before a Delete click is sent, in the user's language
    assert confirm["title"]["text"] == KO.t("Delete this alert?") and "브렌트유" in confirm["text"]["text"]
    assert confirm["confirm"]["text"] == KO.t("Delete") and confirm["deny"]["text"] == KO.t("Keep")


def test_a_market_outage_shows_why_instead_of_the_table() -> None:
    view = str(render_home(data(None, 1, 0)).to_dict())
    assert "Crude prices are unavailable right now. no crude prices: opinet: HTTP 503" in view


def test_delete_targets_read_back() -> None:
    for target in (Target(TargetKind.ALERT, "C1", 42), Target(TargetKind.DIGEST, "C2")):
        assert Target.parse(target.value) == target
    assert Target.parse("alert:C1:x") is None and Target.parse("rm -rf") is None and Target.parse("digest:") is None


def test_the_fake_publishes_as_slack_does(slack_server: FakeSlack, quote: Quote) -> None:
    client = WebClient(token=slack_server.bot_token, base_url=slack_server.api_url)
    view = render_home(data(quote, 3, 1))
    published = client.views_publish(user_id="U0VIEWER", view=view)["view"]
    assert published["id"] and published["type"] == "home" and slack_server.home_view("U0VIEWER") == published
    refusals = [
        ({"user_id": "", "view": view.to_dict()}, "invalid `user_id`"),
        ({"user_id": "U0VIEWER", "view": {"type": "modal", "blocks": []}}, "failed to match all allowed schemas"),
        ({"user_id": "U0VIEWER", "view": {"type": "home", "blocks": [{"type": "divider"}] * 101}},
         "no more than 100 items allowed [json-pointer:/view/blocks]"),
        ({"user_id": "U0VIEWER", "view": {"type": "home", "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]}}, "must be less than 3001"),
        ({"user_id": "U0VIEWER", "view": {"type": "home", "blocks": [
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}]}},
         "must be less than 2001 characters [json-pointer:/view/blocks/0/fields/0/text]"),
    ]
    for kwargs, message in refusals:
        with pytest.raises(SlackApiError) as refused:
            client.api_call("views.publish", json=kwargs)
        assert refused.value.response["error"] == "invalid_arguments"
        assert any(message in m for m in refused.value.response["response_metadata"]["messages"])
    slack_server.unknown_users.add("U0GONE")
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_publish(user_id="U0GONE", view=view)
    slack_server.home_enabled = False
    with pytest.raises(SlackApiError, match="not_enabled"):
        client.views_publish(user_id="U0VIEWER", view=view)
    assert len(slack_server.home_views["U0VIEWER"]) == 1   # refused views are not recorded
