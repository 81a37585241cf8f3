"""create_alert through the registry, as the model calls it: stored in the real SQLite store for the turn's team,
channel and user; its result repeats the rule and its threshold passes the guard; each refusal (absurd
threshold, channel full, market down, no Slack turn) is a failed call that stores nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest

from oilfx.config import load_settings
from oilfx.engines.base import Answer
from oilfx.guard import guard_answer
from oilfx.i18n import EN
from oilfx.market import MarketUnavailable, Quote
from oilfx.market.history.series import Unit
from oilfx.market.rule import Direction, Rule
from oilfx.market.rule_parse import describe_rule
from oilfx.store import open_store
from oilfx.store.alert_desk import StoreAlertDesk
from oilfx.store.base import Store
from oilfx.tools import FailureKind, ToolRegistry, default_registry
from oilfx.tools.context import ToolContext
from tests.fakes.fixed_market import FixedMarket

WHO = ToolContext("T0TEAM", "C0DESK", "U0ASKER")


class DownMarket(FixedMarket):
    def quote(self) -> Quote:
        raise MarketUnavailable("crude prices", [("opinet", "HTTP 503")])


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    store = open_store(load_settings({"OILFX_DB": str(tmp_path / "oilfx.db")}))
    yield store
    store.close()


def registry(store: Store, market: FixedMarket, limit: int = 20) -> ToolRegistry:
    return default_registry(market, StoreAlertDesk(store, market, limit))


def call(registry: ToolRegistry, context: ToolContext | None = WHO, **args: str):
    return registry.call("call_1", "create_alert", json.dumps(args), 1, context)


def test_the_alert_is_stored_for_the_asker_and_the_result_repeats_the_rule(store: Store, quote: Quote) -> None:
    step = call(registry(store, FixedMarket(quote)), benchmark="brent", unit="usd", direction="above",
                threshold="80")
    rule = Rule("Brent", Unit.USD, Direction.ABOVE, Decimal(80))
    [alert] = store.list_alerts(WHO.team, WHO.channel)
    assert (alert.team, alert.channel, alert.creator, alert.rule) == (WHO.team, WHO.channel, WHO.user, rule)
    assert step.ok and str(step.result.summary) == f"Alert #{alert.id} set: {describe_rule(rule)}"
    payload = json.loads(step.output)
    assert payload["alert_id"] == alert.id and payload["threshold_display"] == "$80"
    assert payload["sources"][0]["source"] == quote.oil["Brent"].source


def test_the_guard_lets_the_model_repeat_the_threshold_and_the_current_price(store: Store, quote: Quote) -> None:
    step = call(registry(store, FixedMarket(quote)), benchmark="WTI", unit="krw_per_barrel", direction="above",
                threshold="100000")
    current = quote.krw_per_barrel("WTI")
    text = f"Done: alert set for WTI above ₩100,000 per barrel (now ₩{current.quantize(Decimal(1)):,})."
    guarded, removed = guard_answer(Answer(text, (step,), "conv", "responses"), EN)
    assert removed == [] and guarded.text == text


@pytest.mark.parametrize(("args", "says"), [
    ({"benchmark": "Brent", "unit": "usd", "direction": "above", "threshold": "101x"}, "more than 100×"),
    ({"benchmark": "Brent", "unit": "usd", "direction": "above", "threshold": "-3"}, "not a positive number"),
    ({"benchmark": "Brent", "unit": "usd", "direction": "above", "threshold": "eighty"}, "not a positive number"),
    ({"benchmark": "Oman", "unit": "usd", "direction": "above", "threshold": "80"}, "invalid arguments"),
])
def test_a_bad_call_fails_with_the_reason_and_stores_nothing(store: Store, quote: Quote, args, says: str) -> None:
    if args["threshold"] == "101x":   # 101 times the fixture's Brent price
        args = {**args, "threshold": str(quote.oil["Brent"].usd * 101)}
    step = call(registry(store, FixedMarket(quote)), **args)
    assert not step.ok and step.result.failure is not None and step.result.failure.kind is FailureKind.CALL
    assert says in str(step.result.failure.message)
    assert store.list_alerts(WHO.team) == []


def test_a_full_channel_is_refused_with_the_limit(store: Store, quote: Quote) -> None:
    tools = registry(store, FixedMarket(quote), limit=2)
    for level in ("80", "81"):
        assert call(tools, benchmark="Brent", unit="usd", direction="above", threshold=level).ok
    step = call(tools, benchmark="Brent", unit="usd", direction="above", threshold="82")
    summary = str(step.result.summary)
    assert not step.ok and "already has 2 alerts" in summary and "Usage:" in summary
    assert len(store.list_alerts(WHO.team, WHO.channel)) == 2


def test_a_market_outage_stores_nothing_and_is_a_data_failure(store: Store, quote: Quote) -> None:
    step = call(registry(store, DownMarket(quote)), benchmark="Brent", unit="usd", direction="above",
                threshold="80")
    assert step.result.failure is not None and step.result.failure.kind is FailureKind.DATA
    message = str(step.result.failure.message)
    assert "could not be checked" in message and "opinet: HTTP 503" in message
    assert store.list_alerts(WHO.team) == []


def test_without_a_slack_turn_the_tool_refuses(store: Store, quote: Quote) -> None:
    step = call(registry(store, FixedMarket(quote)), None, benchmark="Brent", unit="usd", direction="above",
                threshold="80")
    assert not step.ok and "not available here" in str(step.result.summary)
    assert store.list_alerts(WHO.team) == []


def test_the_tool_is_offered_only_with_a_desk(quote: Quote) -> None:
    assert "create_alert" not in default_registry(FixedMarket(quote)).names
