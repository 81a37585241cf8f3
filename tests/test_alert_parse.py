"""What people type to set alerts and digests (market/rule_parse.py): every spelling in both languages read into
the same Rule, each bad input refused with a message naming what was wrong, thresholds checked against the
fixture quote, digest times."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest

from oilfx.i18n import KO
from oilfx.market import Quote
from oilfx.market.history.series import Unit
from oilfx.market.rule import Direction, Rule
from oilfx.market.rule_parse import RuleError, check_threshold, describe_rule, format_threshold, parse_clock, parse_rule

A, B = Direction.ABOVE, Direction.BELOW


@pytest.mark.parametrize(("text", "rule"), [
    ("Brent > 80", Rule("Brent", Unit.USD, A, Decimal(80))),
    ("brent>80", Rule("Brent", Unit.USD, A, Decimal(80))),
    ("WTI krw > 100000", Rule("WTI", Unit.KRW_PER_BARREL, A, Decimal(100000))),
    ("WTI ₩100,000 초과", Rule("WTI", Unit.KRW_PER_BARREL, A, Decimal(100000))),
    ("Dubai krw/l < 600", Rule("Dubai", Unit.KRW_PER_LITRE, B, Decimal(600))),
    ("두바이 원/l < 600", Rule("Dubai", Unit.KRW_PER_LITRE, B, Decimal(600))),
    ("두바이유 600원/l 이하", Rule("Dubai", Unit.KRW_PER_LITRE, B, Decimal(600))),
    ("wti above 80", Rule("WTI", Unit.USD, A, Decimal(80))),
    ("WTI below 70.25", Rule("WTI", Unit.USD, B, Decimal("70.25"))),
    ("brent 80 이상", Rule("Brent", Unit.USD, A, Decimal(80))),
    ("브렌트유가 $80 이상이면", Rule("Brent", Unit.USD, A, Decimal(80))),
    ("WTI가 80달러 넘으면", Rule("WTI", Unit.USD, A, Decimal(80))),
    ("서부텍사스산원유 70달러 미만", Rule("WTI", Unit.USD, B, Decimal(70))),
    ("Brent usd >= 80.5", Rule("Brent", Unit.USD, A, Decimal("80.5"))),
    ("Brent goes above 80", Rule("Brent", Unit.USD, A, Decimal(80))),
])
def test_spellings_in_both_languages_read_as_one_rule(text: str, rule: Rule) -> None:
    assert parse_rule(text) == rule


@pytest.mark.parametrize(("text", "says"), [
    ("Oman > 80", "unknown benchmark 'Oman'; expected one of Dubai, WTI, Brent"),
    ("> 80", "no benchmark"),
    ("", "no benchmark"),
    ("Brent >", "no threshold"),
    ("Brent above", "no threshold"),
    ("Brent 80", "no comparison"),
    ("Brent = 80", "no comparison"),
    ("Brent > -5", "above zero, got -5"),
    ("Brent > 0", "above zero, got 0"),
    ("Brent WTI > 80", "one benchmark per alert"),
    ("Brent > 80 90", "one threshold per alert"),
    ("Brent > 80 < 90", "one threshold per alert"),
    ("Brent > 80 eur", "did not understand 'eur'"),
    ("Brent usd krw > 80", "two units"),
])
def test_bad_input_says_what_was_wrong(text: str, says: str) -> None:
    with pytest.raises(RuleError, match=says.replace("(", r"\(")):
        parse_rule(text)


def test_a_rule_reads_back_with_its_threshold_as_typed() -> None:
    assert str(describe_rule(parse_rule("Brent > 80"))) == "Brent above $80 (USD per barrel)"
    assert str(describe_rule(parse_rule("WTI krw > 100000"))) == "WTI above ₩100,000 (KRW per barrel)"
    assert str(describe_rule(parse_rule("dubai krw/l < 600.25"))) == "Dubai below ₩600.25 (KRW per litre)"
    assert format_threshold(parse_rule("wti > 80.125")) == "$80.125"   # not rounded: what fires is what is shown


@pytest.mark.parametrize("unit", list(Unit))
def test_a_threshold_within_100x_of_the_price_is_accepted_and_beyond_refused(quote: Quote, unit: Unit) -> None:
    current = Rule("Brent", unit, A, Decimal(1)).value(quote)
    assert check_threshold(Rule("Brent", unit, A, current * 99), quote) == current
    assert check_threshold(Rule("Brent", unit, B, current / 99), quote) == current
    with pytest.raises(RuleError, match="more than 100× Brent's current"):
        check_threshold(Rule("Brent", unit, A, current * 101), quote)
    with pytest.raises(RuleError, match="less than 1/100 of Brent's current"):
        check_threshold(Rule("Brent", unit, B, current / 101), quote)


def test_a_usd_figure_given_as_won_is_refused_naming_the_unit(quote: Quote) -> None:
    """`WTI krw > 80`: 80 won a barrel is far below the price; the message names the unit to check."""
    with pytest.raises(RuleError, match=r"\(KRW per barrel\); check the number and the unit"):
        check_threshold(parse_rule("WTI krw > 80"), quote)


@pytest.mark.parametrize(("text", "at"), [
    ("09:00", time(9)), ("9:30", time(9, 30)), ("0930", time(9, 30)), ("9시", time(9)), ("9시 30분", time(9, 30)),
    ("23:59", time(23, 59)), ("00:00", time(0)), ("7", time(7)), ("09:00 KST", time(9)),
])
def test_digest_times(text: str, at: time) -> None:
    assert parse_clock(text) == at


@pytest.mark.parametrize(("text", "says"), [
    ("25:00", "hours go from 00 to 23"), ("9:75", "minutes go from 00 to 59"), ("nine", "write it as HH:MM"),
    ("9:5", "write it as HH:MM"), ("", "write it as HH:MM"),
])
def test_bad_digest_times(text: str, says: str) -> None:
    with pytest.raises(RuleError, match=says):
        parse_clock(text)


def test_a_rule_and_a_refusal_read_in_korean_with_the_korean_names() -> None:
    """One wording per rule on every surface, in the reader's language: 브렌트유, 초과/미만, 원/L."""
    assert KO.render(describe_rule(parse_rule("Brent > 80"))) == "브렌트유 $80 초과 (달러/배럴)"
    assert KO.render(describe_rule(parse_rule("두바이 원/l < 600.25"))) == "두바이유 ₩600.25 미만 (원/L)"
    with pytest.raises(RuleError) as refused:
        parse_rule("Brent WTI > 80")
    assert KO.render(refused.value.text) == KO.t("one benchmark per alert, got {first} and {second}",
                                                 first=KO.t("Brent"), second=KO.t("WTI"))
    assert "브렌트유" in KO.render(refused.value.text)
    assert str(refused.value) == "one benchmark per alert, got Brent and WTI"   # logs and the model: English
