"""`python -m oilfx doctor` as an operator runs it, against the fixture-pages server with some sources down."""

from __future__ import annotations

import json

from oilfx.market.doctor import QUANTITIES
from oilfx.market.sources import frankfurter
from tests.fakes.pages import (
    FRED_BRENT,
    KNOC_PATH,
    NAVER_FX_PATH,
    NAVER_WORLD_PATH,
    OPINET_PATH,
    REFERENCE_OIL,
    fixture_bytes,
)
from tests.test_cli_quote import run_quote

SOURCES = ("oil opinet", "oil naver", "oil fred", "fx naver", "fx naver_mobile", "fx frankfurter", "pump knoc")


def doctor(server, *args: str, **env: str):  # type: ignore[no-untyped-def]
    return run_quote(server, *args, command="doctor", **env)


def test_all_up_one_line_per_source_and_per_quantity_exit_0(pages_server):
    result = doctor(pages_server)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for source in SOURCES:
        kind, name = source.split()
        [line] = [ln for ln in lines if ln.split()[1:3] == [kind, name]]
        assert line.startswith("ok") and " ms " in line
    for quantity in QUANTITIES:
        assert sum(line.startswith(quantity + " ") for line in lines) == 1
    dubai = next(line for line in lines if line.startswith("Dubai "))
    assert "oil opinet, Opinet" in dubai and REFERENCE_OIL["Dubai"] in dubai and "(2023-11-28)" in dubai
    assert "fred" in next(ln for ln in lines if ln.split()[1:3] == ["oil", "fred"]) and "lacks Dubai" in result.stdout
    assert lines[-1].startswith("OK: every quantity")
    # Live and uncached: every source was asked, including the fallbacks a quote would not need.
    assert pages_server.count(NAVER_WORLD_PATH) == 3 and pages_server.count(FRED_BRENT) == 1


def test_some_sources_down_the_next_one_serves_and_the_reason_is_shown(pages_server):
    pages_server.set(OPINET_PATH, status=503)
    pages_server.set(NAVER_FX_PATH, fixture="garbage.html")
    result = doctor(pages_server, "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    sources = {(s["kind"], s["name"]): s for s in doc["sources"]}
    assert sources[("oil", "opinet")]["ok"] is False and sources[("oil", "opinet")]["reason"] == "HTTP 503"
    assert "layout changed" in sources[("fx", "naver")]["reason"]
    assert all(isinstance(s["ms"], float) for s in doc["sources"])
    served = {q["quantity"]: q["source"] for q in doc["quantities"]}
    assert served == {"Dubai": "naver", "WTI": "naver", "Brent": "naver", "USD/KRW": "naver_mobile",
                      "pump prices": "knoc"}
    assert doc["ok"] is True


def test_a_quantity_without_a_working_source_exits_1(pages_server):
    pages_server.set(OPINET_PATH, status=503)
    pages_server.set(NAVER_WORLD_PATH, status=503)
    pages_server.set(KNOC_PATH, fixture="garbage.html")
    result = doctor(pages_server)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert next(ln for ln in lines if ln.startswith("Dubai ")).endswith("NO WORKING SOURCE")
    assert next(ln for ln in lines if ln.startswith("pump prices ")).endswith("NO WORKING SOURCE")
    assert "oil fred, FRED" in next(ln for ln in lines if ln.startswith("WTI "))
    knoc_line = next(ln for ln in lines if ln.split()[1:3] == ["pump", "knoc"])
    assert knoc_line.startswith("FAILED") and "no div#panel1-1 (휘발유)" in knoc_line
    assert lines[-1].startswith("NOT OK")
    json_run = doctor(pages_server, "--json", "-v")
    assert json_run.returncode == 1 and json.loads(json_run.stdout)["ok"] is False


def test_frankfurter_figure_is_the_fixture_rate(pages_server):
    result = doctor(pages_server, "--json", OILFX_FX_SOURCES="frankfurter")
    doc = json.loads(result.stdout)
    [fx] = [s for s in doc["sources"] if s["kind"] == "fx"]
    expected = frankfurter.parse(fixture_bytes("frankfurter_latest.json"))[0]
    assert fx["label"] == frankfurter.NAME and fx["figures"][0]["value"] == str(expected)
