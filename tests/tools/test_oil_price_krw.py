"""oil_price_krw on the fixture pages: exact won per barrel or litre, its formula and sources, loose spellings."""

from __future__ import annotations

import json
from decimal import Decimal

from oilfx.market import Market
from oilfx.market.quote import format_krw, format_krw_litre, format_rate, format_usd, krw_per_barrel, krw_per_litre
from oilfx.tools import default_registry
from tests.tools.reference import USD_KRW, WTI_USD


def test_oil_price_krw_is_exact_with_formula_and_sources(market: Market) -> None:
    step = default_registry(market).call("c1", "oil_price_krw", '{"benchmark": "WTI", "unit": "barrel"}')
    out = json.loads(step.output)
    exact = krw_per_barrel(WTI_USD, USD_KRW)
    assert step.ok and out["display"] == format_krw(exact) == step.result.figures[0].display
    assert Decimal(out["krw_exact"]) == exact
    assert out["formula"] == f"{WTI_USD} × {format_rate(USD_KRW)} = {exact.quantize(Decimal('0.01')):,}"
    assert "previous trading day" in out["note"]
    assert [str(s.label) for s in step.result.sources] == ["WTI", "USD/KRW"]
    assert step.result.sources[0].source == "Opinet" and "KST" in str(step.result.sources[1].as_of)
    shown = [f.display for f in step.result.figures]
    assert format_usd(WTI_USD) in shown and format_rate(USD_KRW) in shown


def test_oil_price_krw_per_litre(market: Market) -> None:
    step = default_registry(market).call("c1", "oil_price_krw", '{"benchmark": "WTI", "unit": "litre"}')
    assert json.loads(step.output)["display"] == format_krw_litre(krw_per_litre(WTI_USD, USD_KRW))


def test_loose_spellings_from_non_strict_models_are_normalised(market: Market) -> None:
    registry = default_registry(market)
    loose = registry.call("c1", "oil_price_krw", '{"benchmark": "wti", "unit": "liter"}')
    assert loose.ok and json.loads(loose.output)["display"] == format_krw_litre(krw_per_litre(WTI_USD, USD_KRW))
    assert json.loads(registry.call("c2", "oil_price_krw", '{"benchmark": "두바이"}').output)["unit"] == "barrel"
    wrong = registry.call("c3", "oil_price_krw", '{"benchmark": "Gold", "unit": "barrel"}')
    assert not wrong.ok and "'Gold' is not one of" in json.loads(wrong.output)["error"]
