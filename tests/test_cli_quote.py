"""`python -m oilfx quote` as a user runs it: a subprocess whose market URLs point at the fixture-pages server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from oilfx.market import format_krw, format_krw_litre, format_rate, krw_per_barrel, krw_per_litre
from oilfx.market.sources import frankfurter
from oilfx.market.sources.base import parse_decimal
from tests.fakes.pages import (
    FRED_PATH,
    KNOC_PATH,
    NAVER_FX_PATH,
    NAVER_MOBILE_PATH,
    NAVER_WORLD_PATH,
    OPINET_PATH,
    REFERENCE_OIL,
    REFERENCE_PUMP,
    REFERENCE_PUMP_AS_OF,
    REFERENCE_USDKRW,
    fixture_bytes,
)

REPO = Path(__file__).resolve().parent.parent
WTI = Decimal(REFERENCE_OIL["WTI"])
RATE = parse_decimal(REFERENCE_USDKRW)


def run_quote(server, *args: str, command: str = "quote", **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OILFX_", "OPENAI_", "SLACK_"))}
    # English unless a test asks for Korean (OILFX_LANG="ko", or --lang ko): the product's default is ko.
    full_env = {**clean, "PYTHONPATH": str(REPO), "OILFX_HTTP_READ_TIMEOUT": "0.5", "OILFX_LANG": "en",
                "OILFX_OIL_SOURCES": "opinet,naver,fred", "OILFX_FX_SOURCES": "naver,naver_mobile,frankfurter",
                **server.env(**env)}
    return subprocess.run([sys.executable, "-m", "oilfx", command, *args], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=60)


def test_reference_case_table(pages_server):
    result = run_quote(pages_server)
    assert result.returncode == 0, result.stderr
    wti_line = next(line for line in result.stdout.splitlines() if line.startswith("WTI"))
    assert format_krw(krw_per_barrel(WTI, RATE)) in wti_line
    assert format_krw_litre(krw_per_litre(WTI, RATE)) in wti_line
    assert "Opinet" in wti_line and "2023-11-28" in wti_line
    assert f"USD/KRW {format_rate(RATE)} as of 2023-11-29 16:33 KST" in result.stdout
    pump = next(line for line in result.stdout.splitlines() if line.startswith("Pump prices"))
    assert f"KNOC national average, {REFERENCE_PUMP_AS_OF}" in pump
    assert all(f"{product} {format_krw_litre(Decimal(v))}/L" in pump for product, v in REFERENCE_PUMP.items())
    assert all(line.startswith(b) for line, b in zip(result.stdout.splitlines()[1:4], REFERENCE_OIL, strict=True))


def test_json_for_one_benchmark(pages_server):
    result = run_quote(pages_server, "--json", "--benchmark", "wti")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    [wti] = doc["oil"]
    assert wti["benchmark"] == "WTI" and Decimal(wti["usd_per_barrel"]) == WTI
    assert Decimal(wti["krw_per_barrel_exact"]) == krw_per_barrel(WTI, RATE)
    assert wti["display"]["krw_per_barrel"] == format_krw(krw_per_barrel(WTI, RATE))
    assert wti["display"]["krw_per_litre"] == format_krw_litre(krw_per_litre(WTI, RATE))
    assert Decimal(doc["fx"]["rate"]) == RATE and doc["fx"]["source"] == "Naver (하나은행)"
    assert {p["product"]: p["krw_per_litre"] for p in doc["pump"]["prices"]} == REFERENCE_PUMP


def test_verbose_after_the_subcommand(pages_server):
    # `-v` used to work only before the subcommand: `quote --json -v` exited 2.
    result = run_quote(pages_server, "--json", "-v")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["fx"]["rate"] == str(RATE)
    assert "DEBUG" in result.stderr  # the log went to stderr, the JSON alone to stdout
    quiet = run_quote(pages_server, "--json")
    assert quiet.returncode == 0 and "DEBUG" not in quiet.stderr


def test_every_naver_page_down_still_gives_dubai_from_opinet_and_the_rate_from_frankfurter(pages_server):
    for route in (NAVER_FX_PATH, NAVER_WORLD_PATH, NAVER_MOBILE_PATH):
        pages_server.set(route, status=503)
    result = run_quote(pages_server, "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    dubai = next(o for o in doc["oil"] if o["benchmark"] == "Dubai")
    assert (dubai["source"], dubai["usd_per_barrel"]) == ("Opinet", REFERENCE_OIL["Dubai"])
    assert doc["fx"]["source"] == frankfurter.NAME
    assert Decimal(doc["fx"]["rate"]) == frankfurter.parse(fixture_bytes("frankfurter_latest.json"))[0]


def test_pump_prices_down_do_not_fail_the_quote(pages_server):
    pages_server.set(KNOC_PATH, status=503)
    result = run_quote(pages_server)
    assert result.returncode == 0, result.stderr
    assert "Pump prices unavailable (no pump prices: knoc: HTTP 503)" in result.stdout


def test_fallback_source_is_named(pages_server):
    pages_server.set(OPINET_PATH, fixture="garbage.html")
    result = run_quote(pages_server, "--benchmark", "Brent")
    assert result.returncode == 0, result.stderr
    brent_line = next(line for line in result.stdout.splitlines() if line.startswith("Brent"))
    assert brent_line.rstrip().endswith("Naver")
    assert "Dubai" not in result.stdout


def test_all_sources_down_is_one_paragraph_and_exit_1(pages_server):
    pages_server.set(OPINET_PATH, status=500)
    pages_server.set(NAVER_WORLD_PATH, status=503)
    pages_server.set(FRED_PATH, delay=2.0)
    pages_server.set(NAVER_FX_PATH, status=500)
    result = run_quote(pages_server)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("oilfx: market data unavailable: no crude prices: opinet: HTTP 500;")
    assert "naver: HTTP 503; fred: timeout after 0.5 s" in result.stderr


def test_unknown_benchmark_is_a_usage_error(pages_server):
    result = run_quote(pages_server, "--benchmark", "Urals")
    assert result.returncode == 2
    assert "unknown benchmark 'Urals'" in result.stderr and "Traceback" not in result.stderr
    assert pages_server.total() == 0


def test_benchmark_no_source_has_exits_1_with_the_reason(pages_server):
    result = run_quote(pages_server, "--benchmark", "Dubai", OILFX_OIL_SOURCES="fred")
    assert result.returncode == 1
    assert result.stderr.strip() == "oilfx: no Dubai price: fred: FRED has no Dubai series."


def test_knoc_as_a_crude_source_is_a_configuration_error_saying_what_replaced_it(pages_server):
    result = run_quote(pages_server, OILFX_OIL_SOURCES="knoc,naver")
    assert result.returncode == 2 and pages_server.total() == 0
    assert result.stderr.startswith("oilfx: configuration error: OILFX_OIL_SOURCES: knoc is no longer a source")
    assert "use opinet" in result.stderr
