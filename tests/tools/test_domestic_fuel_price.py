"""domestic_fuel_price on the fixture pages: KNOC's pump prices, and a failure as a tool output."""

from __future__ import annotations

import json
from decimal import Decimal

from oilfx.config import load_settings
from oilfx.market import Market
from oilfx.market.quote import format_krw_litre
from oilfx.tools import default_registry
from tests.fakes.pages import KNOC_PATH, REFERENCE_PUMP, REFERENCE_PUMP_AS_OF, PagesServer


def test_domestic_fuel_price_reads_knoc_pump_prices(market: Market) -> None:
    step = default_registry(market).call("c1", "domestic_fuel_price", "{}")
    out = json.loads(step.output)
    assert step.ok
    assert {v["product"]: v["krw_per_litre"] for k, v in out.items() if k != "note"} == REFERENCE_PUMP
    assert {v["as_of"] for k, v in out.items() if k != "note"} == {REFERENCE_PUMP_AS_OF}
    assert out["diesel"]["display"] == format_krw_litre(Decimal(REFERENCE_PUMP["자동차용경유"])) + "/L"
    assert "not crude" in out["note"]
    # The won figures the answer may quote are the tool's own (the guard checks answers against these).
    assert [f.display for f in step.result.figures] == [format_krw_litre(Decimal(v)) for v in REFERENCE_PUMP.values()]
    assert {s.source for s in step.result.sources} == {"KNOC"}


def test_domestic_fuel_price_failure_is_a_tool_output(pages_server: PagesServer) -> None:
    pages_server.set(KNOC_PATH, fixture="garbage.html")
    market = Market(load_settings(pages_server.env()))
    step = default_registry(market).call("c1", "domestic_fuel_price", "{}")
    assert not step.ok and "no div#panel1-1" in json.loads(step.output)["error"]
