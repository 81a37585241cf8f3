"""The seed's tools, oil_price and usd_krw, on the fixture pages: values as strings, failures as outputs,
concurrency."""

from __future__ import annotations

import json
import time
from decimal import Decimal

from oilfx.config import load_settings
from oilfx.market import Market
from oilfx.tools import default_registry
from tests.fakes.pages import NAVER_FX_PATH, OPINET_PATH, PagesServer
from tests.tools.reference import SEED_DAY, USD_KRW, WTI_USD


def test_seed_tools_report_values_as_strings(market: Market) -> None:
    registry = default_registry(market)
    oil = json.loads(registry.call("c1", "oil_price", "{}").output)
    fx = registry.call("c2", "usd_krw", "{}")
    assert Decimal(oil["WTI"]["usd_per_barrel"]) == WTI_USD and oil["WTI"]["source"] == "Opinet"
    assert Decimal(json.loads(fx.output)["usd_krw"]) == USD_KRW and fx.result.sources[0].label == "USD/KRW"


def test_market_failure_is_a_tool_output(pages_server: PagesServer) -> None:
    settings = load_settings(pages_server.env(OILFX_FX_SOURCES="naver"))
    pages_server.set(NAVER_FX_PATH, status=503)
    step = default_registry(Market(settings, clock=lambda: SEED_DAY)).call("c1", "usd_krw", "{}")
    assert step.ok is False and "503" in json.loads(step.output)["error"]


def test_real_tools_run_concurrently(pages_server: PagesServer) -> None:
    pages_server.set(OPINET_PATH, delay=0.3)
    pages_server.set(NAVER_FX_PATH, delay=0.3)
    registry = default_registry(Market(load_settings(pages_server.env()), clock=lambda: SEED_DAY))
    started = time.perf_counter()
    steps = registry.call_all([("a", "oil_price", "{}"), ("b", "usd_krw", "{}")], round=1)
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert all(s.ok and s.duration_ms >= 300 for s in steps)
    assert elapsed_ms < 1.6 * 300, f"round took {elapsed_ms:.0f} ms for two 300 ms tools"
