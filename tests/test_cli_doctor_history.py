"""`python -m oilfx doctor --history` as an operator runs it: every price-history source asked live for the two
weeks up to --end, against the fixture pages (Opinet's history CSV, the real FRED copies, Frankfurter's series,
Naver's paged quotes). Expected closes are read from those fixtures here, not from oilfx's parsers."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from oilfx.market.history.doctor import WINDOW_DAYS
from tests.fakes.history_pages import FRED_REAL, HISTORY, frankfurter_rates, serve_history
from tests.fakes.pages import FRED_WTI, PagesServer
from tests.test_cli_quote import run_quote

END = date(2026, 3, 9)
START = END - timedelta(days=WINDOW_DAYS)


@pytest.fixture
def pages(pages_server: PagesServer) -> PagesServer:
    return serve_history(pages_server)


def doctor(server: PagesServer, *args: str, **env: str):  # type: ignore[no-untyped-def]
    return run_quote(server, "--history", "--end", END.isoformat(), *args, command="doctor", **env)


def in_window(rows: list[tuple[date, str]]) -> list[tuple[date, Decimal]]:
    return sorted((day, Decimal(v)) for day, v in rows if START <= day <= END and v.strip() not in ("", "."))


def fred_wti() -> list[tuple[date, Decimal]]:
    rows = list(csv.reader(io.StringIO(FRED_REAL["WTI"].read_text())))[1:]
    return in_window([(date.fromisoformat(r[0]), r[1]) for r in rows])


def opinet_wti() -> list[tuple[date, Decimal]]:
    rows = list(csv.reader(io.StringIO((HISTORY / "opinet_history.csv").read_bytes().decode("cp949"))))
    wti = rows[0].index("WTI")
    dated = []
    for row in rows[1:]:
        y, m, d = (int(g) for g in re.match(r"(\d+)년(\d+)월(\d+)일", row[0]).groups())
        dated.append((date(2000 + y, m, d), row[wti]))
    return in_window(dated)


def frankfurter_krw() -> list[tuple[date, Decimal]]:
    return in_window([(day, str(rate)) for day, rate in frankfurter_rates().items()])


def line_of(stdout: str, kind: str, name: str) -> str:
    """The history section's line of one source (the quote sources above it have lines of the same shape)."""
    history = stdout[stdout.index("Price history sources"):]
    [line] = [ln for ln in history.splitlines() if ln.split()[1:3] == [kind, name]]
    return line


def test_each_history_source_reports_its_days_and_last_close_from_the_fixtures(pages: PagesServer) -> None:
    result = doctor(pages)
    assert result.returncode == 0, result.stdout + result.stderr
    history = result.stdout[result.stdout.index("Price history sources"):]
    assert f"{START} to {END}" in history.splitlines()[0]
    for kind, name, quantity, unit, expected in (("oil", "opinet", "WTI", "USD/bbl", opinet_wti()),
                                                 ("oil", "fred", "WTI", "USD/bbl", fred_wti()),
                                                 ("fx", "frankfurter", "USD/KRW", "KRW/USD", frankfurter_krw())):
        day, value = expected[-1]
        line = line_of(history, kind, name)
        assert line.startswith("ok") and f"{len(expected)} days, last {quantity} {value:,} {unit} ({day})" in line
    for kind in ("oil", "fx"):
        assert line_of(history, kind, "naver").startswith("ok")
    assert history.rstrip().endswith("OK: oil closes and USD/KRW rates each have a working history source.")


def test_a_failed_source_is_named_and_without_any_oil_source_the_exit_is_1(pages: PagesServer) -> None:
    pages.set(FRED_WTI, status=503)
    some = doctor(pages)
    assert some.returncode == 0, some.stdout + some.stderr          # Opinet and Naver still serve oil closes
    assert line_of(some.stdout, "oil", "fred").startswith("FAILED") and "503" in line_of(some.stdout, "oil", "fred")

    none = doctor(pages, "--json", OILFX_HISTORY_OIL_SOURCES="fred")
    assert none.returncode == 1
    report = json.loads(none.stdout)
    assert report["ok"] is False and report["history"]["ok"] is False
    [fred] = [s for s in report["history"]["sources"] if s["kind"] == "oil"]
    assert fred["name"] == "fred" and not fred["ok"] and "503" in fred["reason"]
    [rates] = [s for s in report["history"]["sources"] if s["name"] == "frankfurter"]
    day, value = frankfurter_krw()[-1]
    assert rates["ok"] and rates["last"] == {"day": day.isoformat(), "value": str(value)}
