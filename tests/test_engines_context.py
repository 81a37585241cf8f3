"""Every engine (responses, assistants, chat) hands the turn's ToolContext to the tool calls: the fake model calls
create_alert and the alert is stored for that team, channel and user (the real openai SDK against the fake
OpenAI server, the real Market on the fixture pages, the real SQLite store)."""

from __future__ import annotations

import json

import pytest

from oilfx.engines import make_engine
from oilfx.market import Market
from oilfx.market.rule_parse import describe_rule
from oilfx.store import open_store
from oilfx.store.alert_desk import StoreAlertDesk
from oilfx.tools import default_registry
from oilfx.tools.context import ToolContext
from tests.test_engines import ENGINES, SEED_DAY, _settings

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK's Assistants API warnings


@pytest.mark.parametrize("engine_name", ENGINES)
def test_the_turns_context_reaches_create_alert(pages_server, fake_openai, tmp_path, engine_name: str) -> None:
    settings = _settings(pages_server, fake_openai, engine_name, OILFX_DB=str(tmp_path / "oilfx.db"))
    store = open_store(settings)
    try:
        market = Market(settings, clock=lambda: SEED_DAY)
        registry = default_registry(market, StoreAlertDesk(store, market, settings.max_alerts))
        arguments = json.dumps({"benchmark": "WTI", "unit": "krw_per_litre", "direction": "below",
                                "threshold": "600"})
        fake_openai.answers.append(([("create_alert", arguments)], "Alert set."))
        who = ToolContext("T0ENGINE", f"C0{engine_name.upper()}", "U0ASKER")
        answer = make_engine(settings, registry).ask("tell me when WTI is below 600 won a litre", context=who)
        [alert] = store.list_alerts(who.team, who.channel)
        assert alert.creator == who.user
        [step] = [s for s in answer.tool_steps if s.name == "create_alert"]
        assert step.ok and str(step.result.summary) == f"Alert #{alert.id} set: {describe_rule(alert.rule)}"
    finally:
        store.close()
