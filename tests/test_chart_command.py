"""`/oilprice chart` reads its words: benchmarks in English or Korean, a period (1m, 1년, 3개월), a unit; anything
else is named back to the user with what was expected."""

from __future__ import annotations

import pytest

from oilfx.i18n import EN, KO
from oilfx.market.history.series import ChartRequest, Period, Unit
from oilfx.slack.listeners.commands.chart import DEFAULT_PERIOD, BadChart, parse
from oilfx.slack.listeners.commands.oilprice import SUBCOMMANDS, help_text
from oilfx.slack.listeners.commands.subcommand import find


@pytest.mark.parametrize(("words", "expected"), [
    ("WTI 3m", ChartRequest(("WTI",), Period.M3, Unit.USD)),
    ("두바이 1년", ChartRequest(("Dubai",), Period.Y1, Unit.USD)),
    ("Brent WTI 6m krw", ChartRequest(("Brent", "WTI"), Period.M6, Unit.KRW_PER_BARREL)),
    ("wti 3개월 krw/l", ChartRequest(("WTI",), Period.M3, Unit.KRW_PER_LITRE)),
    ("brent", ChartRequest(("Brent",), DEFAULT_PERIOD, Unit.USD)),
    ("WTI wti 1W", ChartRequest(("WTI",), Period.W1, Unit.USD)),
])
def test_words_become_a_chart_request(words, expected):
    assert parse(words.split()) == expected


@pytest.mark.parametrize(("words", "says"), [
    ("Gold 3m", "`Gold` is not a benchmark"),
    ("WTI 2m", "`2m` is not a benchmark"),
    ("3m", "at least one benchmark"),
    ("WTI 1m 3m", "one period"),
    ("WTI <!channel>", "`&lt;!channel&gt;`"),
])
def test_bad_words_are_named(words, says):
    with pytest.raises(BadChart) as refused:
        parse(words.split())
    assert says in str(refused.value)


def test_chart_is_a_subcommand_listed_in_help():
    assert find(SUBCOMMANDS, "CHART") is find(SUBCOMMANDS, "차트") is not None
    assert "/oilprice chart" in help_text(EN) and "/oilprice chart" in help_text(KO)
