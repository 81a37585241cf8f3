"""The alert and digest posts (oilfx/slack/announce_render.py): Block Kit that slack_sdk's models accept, the
figure, rule, source and KST as-of time, the creator's mention, and nothing that can ping a channel, whatever a
source's name says."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

from slack_sdk.models.blocks import Block

from oilfx.alerts.events import AlertFiring, DayChange, DigestDue
from oilfx.i18n import EN, KO
from oilfx.market import KST, FxRate, OilPrice, Quote, format_krw_litre, format_kst, format_usd, krw_per_litre
from oilfx.market.history.series import Unit
from oilfx.market.rule import Direction, Rule
from oilfx.slack.announce_render import render_alert, render_digest
from oilfx.store.alerts import Alert, Digest

FETCHED = datetime(2026, 12, 7, 0, 15, tzinfo=UTC)
EVIL = "Opinet <!channel> <@U0EVIL> @here"


def quote(source: str = "Opinet") -> Quote:
    oil = {"Dubai": OilPrice("Dubai", Decimal("78.10"), date(2026, 12, 4), source),
           "Brent": OilPrice("Brent", Decimal("81.68"), date(2026, 12, 4), source)}
    return Quote(oil, FxRate(Decimal("1289.00"), FETCHED, "Naver (하나은행)"), FETCHED,
                 missing={"WTI": "opinet: not found"})


def parsed(blocks: list[dict]) -> list[dict]:
    return [Block.parse(b).to_dict() for b in blocks]  # type: ignore[union-attr]


def test_an_alert_post_shows_figure_rule_source_and_time_and_mentions_only_its_creator():
    rule = Rule("Dubai", Unit.KRW_PER_LITRE, Direction.BELOW, Decimal("650"))
    alert = Alert(7, "T1", "C1", "U061F7AUR", rule, FETCHED, fired=0)
    q = quote(EVIL)
    value = rule.value(q)
    message = render_alert(AlertFiring(alert, value, q, alert.firing_key()), EN)
    assert parsed(message.blocks) == message.blocks
    now = format_krw_litre(krw_per_litre(Decimal("78.10"), Decimal("1289.00")))
    # the rule worded as /oilprice alerts and the App Home word it
    assert message.text.startswith(f"<@U061F7AUR> Dubai below ₩650 (KRW per litre): now *{now}*")
    assert "Alert #7 · Sources: " in message.text
    assert "2026-12-04 settlement" in message.text and format_kst(FETCHED) in message.text
    assert "USD/KRW 1,289.00: Naver (하나은행) (2026-12-07 09:15 KST)" in message.text
    everything = message.text + str(message.blocks)
    assert "<!channel>" not in everything and "<@U0EVIL>" not in everything
    assert "&lt;!channel&gt;" in message.text  # shown, inert


def test_an_alert_post_in_korean_uses_korean_names_dates_and_the_same_rule_wording():
    rule = Rule("Dubai", Unit.KRW_PER_LITRE, Direction.BELOW, Decimal("650"))
    alert = Alert(7, "T1", "C1", "U061F7AUR", rule, FETCHED, fired=0)
    q = quote()
    message = render_alert(AlertFiring(alert, rule.value(q), q, alert.firing_key()), KO)
    assert parsed(message.blocks) == message.blocks
    assert message.text.startswith("<@U061F7AUR> 두바이유 ₩650 미만 (원/L): 현재 *")
    assert "2026년 12월 4일 정산가" in message.text and "2026년 12월 7일 오전 9:15 KST" in message.text
    assert "원/달러 환율 1,289.00" in message.text and "settlement" not in message.text


def test_a_creator_that_is_not_a_user_id_is_not_turned_into_a_mention():
    alert = Alert(8, "T1", "C1", "<!here>", Rule("Brent", Unit.USD, Direction.ABOVE, Decimal("80")), FETCHED)
    message = render_alert(AlertFiring(alert, Decimal("81.68"), quote(), alert.firing_key()), EN)
    assert message.text.startswith("Brent above $80 (USD per barrel): now *$81.68*") and "<!here>" not in message.text


def test_a_digest_post_has_the_table_the_changes_and_says_when_it_is_late():
    digest = Digest("T1", "C1", "U061F7AUR", time(9, 0), FETCHED)
    due = datetime(2026, 12, 7, 9, 0, tzinfo=KST)
    change = DayChange("Brent", Decimal("81.68"), date(2026, 12, 4), Decimal("80.00"), date(2026, 12, 3))
    changes = {"Dubai": "no price history to compare with", "WTI": "opinet: not found", "Brent": change}
    message = render_digest(DigestDue(digest, quote(), changes, due, "digest:T1:C1:2026-12-07", late=True), EN)
    assert parsed(message.blocks) == message.blocks
    expected = (f"Brent +{format_usd(change.change)} (+{change.percent.quantize(Decimal('0.01'))}%) from "
                f"{format_usd(change.previous)} on 2026-12-03")
    assert expected in message.text
    assert "WTI: change unavailable (opinet: not found)" in message.text
    assert "Due 2026-12-07 09:00 KST, posted late" in message.text and "<@U061F7AUR>" in message.text
    assert message.blocks[0]["type"] == "header" and message.blocks[0]["text"]["text"] == "Oil prices, Mon 2026-12-07"


def test_a_digest_post_in_korean():
    digest = Digest("T1", "C1", "U061F7AUR", time(9, 0), FETCHED)
    due = datetime(2026, 12, 7, 9, 0, tzinfo=KST)
    change = DayChange("Brent", Decimal("81.68"), date(2026, 12, 4), Decimal("80.00"), date(2026, 12, 3))
    changes = {"Dubai": "no price history to compare with", "WTI": "opinet: not found", "Brent": change}
    message = render_digest(DigestDue(digest, quote(), changes, due, "digest:T1:C1:2026-12-07", late=True), KO)
    assert parsed(message.blocks) == message.blocks
    assert message.blocks[0]["text"]["text"] == "유가, 2026년 12월 7일 (월)"
    assert f"브렌트유 +{format_usd(change.change)}" in message.text and "2026년 12월 3일" in message.text
    assert "WTI: 변동 정보 없음 (opinet: not found)" in message.text
    assert KO.t("Due {moment}, posted late (the bot was not running).", moment=due) in message.text
    assert KO.t("*Crude oil in Korean won*") in message.text and "전 거래일 정산가" in message.text
