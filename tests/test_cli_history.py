"""`python -m oilfx history` as a user runs it: a subprocess whose market URLs point at the fake pages server
serving the history fixtures. Expected values are computed here from the market's series and their inputs."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from oilfx.charts import render_png
from oilfx.config import load_settings
from oilfx.i18n import EN, KO, Texts
from oilfx.market import KST, LITRES_PER_BARREL, Market, format_krw_litre, format_usd
from oilfx.market.history import Period, Unit
from tests.fakes.history_pages import serve_history
from tests.fakes.pages import PagesServer

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def pages(pages_server: PagesServer) -> PagesServer:
    return serve_history(pages_server)


def run_history(server: PagesServer, *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OILFX_", "OPENAI_", "SLACK_"))}
    env = {**clean, "PYTHONPATH": str(REPO), "OILFX_HTTP_READ_TIMEOUT": "0.5", "OILFX_LANG": "en", **server.env()}
    return subprocess.run([sys.executable, "-m", "oilfx", "history", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)


def test_table_in_won_per_litre_with_the_rate_used(pages: PagesServer) -> None:
    result = run_history(pages, "wti", "--period", "1m", "--unit", "krw_per_litre", "--end", "2026-01-10")
    assert result.returncode == 0, result.stderr
    series = Market(load_settings(pages.env()), clock=lambda: datetime(2026, 1, 10, tzinfo=KST)).history(
        "WTI", Period.M1, Unit.KRW_PER_LITRE)
    lines = result.stdout.splitlines()
    for pair in series.pairs:
        line = next(line for line in lines if line.startswith(pair.day.isoformat()))
        assert format_krw_litre(pair.usd * pair.rate / LITRES_PER_BARREL) in line
        assert f"{pair.rate:,.2f}" in line and pair.rate_day.isoformat() in line
    assert next(line for line in lines if line.startswith("2025-12-26")).endswith("2025-12-24 (earlier)")
    valued = series.values()
    change = valued[-1].value - valued[0].value
    pct = (change / valued[0].value * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    summary = next(line for line in lines if line.startswith("WTI "))
    assert f"{format_krw_litre(valued[0].value)} → 2026-01-09 {format_krw_litre(valued[-1].value)}" in summary
    assert f"({pct:+}%)" in summary and f"{len(valued)} trading days" in summary
    assert "sources: Opinet, Frankfurter (ECB)" in result.stdout and "2025-12-26 used 2025-12-24's" in result.stdout


def test_csv_holds_exact_products_and_gaps(pages: PagesServer) -> None:
    result = run_history(pages, "Brent", "--period", "1m", "--unit", "krw_per_barrel", "--end", "2026-01-10",
                         "--csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["date", "krw_per_barrel", "usd_per_barrel", "usd_krw", "rate_date"]
    for row in rows:
        if row["krw_per_barrel"]:
            assert Decimal(row["krw_per_barrel"]) == Decimal(row["usd_per_barrel"]) * Decimal(row["usd_krw"])
    # Brent did not trade on 2025-12-26 (Opinet's dash): an empty value, not an invented one
    assert {"date": "2025-12-26", "krw_per_barrel": "", "usd_per_barrel": "", "usd_krw": "", "rate_date": ""} in rows
    assert rows[0]["date"] == "2025-12-11" and rows[-1]["date"] == "2026-01-09"


def test_usd_table_newest_first(pages: PagesServer) -> None:
    result = run_history(pages, "Dubai", "--period", "1w", "--end", "2026-03-09")
    assert result.returncode == 0, result.stderr
    series = Market(load_settings(pages.env())).history("Dubai", Period.W1, Unit.USD, end=date(2026, 3, 9))
    lines = result.stdout.splitlines()
    body = lines[1:lines.index("")]   # the rows, between the header and the summary
    assert [line.split()[0] for line in body] == [p.day.isoformat() for p in reversed(series.points)]
    assert all(format_usd(p.value) in line for p, line in zip(reversed(series.points), body, strict=True))


@pytest.mark.parametrize(("args", "named"), [(["Gold"], "unknown benchmark 'Gold'; expected one of Dubai, WTI"),
                                             (["WTI", "--period", "2w"], "unknown period '2w'; expected one of 1w"),
                                             (["WTI", "--unit", "eur"], "unknown unit 'eur'; expected one of usd")])
def test_bad_input_is_a_usage_line_and_exit_2(pages: PagesServer, args: list[str], named: str) -> None:
    result = run_history(pages, *args)
    assert result.returncode == 2 and result.stderr.startswith("usage: python -m oilfx history")
    assert named in result.stderr and pages.total() == 0


def test_a_range_without_data_says_so(pages: PagesServer) -> None:
    result = run_history(pages, "WTI", "--end", "2019-01-01")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == ("oilfx: price history unavailable: no WTI closes between 2018-12-02 and "
                                     "2019-01-01: opinet: no rows in that range; fred: no rows in that range; "
                                     "naver: no rows in that range.")


def test_chart_flag_writes_the_series_as_a_png_and_keeps_csv_clean(pages: PagesServer, tmp_path: Path) -> None:
    from PIL import Image

    out = tmp_path / "wti.png"
    result = run_history(pages, "WTI", "--period", "1m", "--end", "2026-01-10", "--csv", "--chart", str(out))
    assert result.returncode == 0, result.stderr
    assert next(csv.reader(io.StringIO(result.stdout)))[0] == "date"  # stdout is still only the CSV
    assert f"chart written to {out}" in result.stderr
    with Image.open(out) as image:
        image.load()
        assert image.format == "PNG" and image.size[0] >= 800
    missing = run_history(pages, "WTI", "--period", "1m", "--end", "2026-01-10", "--chart",
                          str(tmp_path / "no-such-dir" / "wti.png"))
    assert missing.returncode == 1 and "cannot write the chart" in missing.stderr and "WTI " in missing.stdout


def top(png: bytes) -> bytes:
    """The title and subtitle band of a chart (above the plot, which starts at 84% of the height): the same series
    draws the same pixels there whenever it was fetched (the fetch time is in the footer only)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGB").crop((0, 0, image.width, image.height * 15 // 100)).tobytes()


@pytest.mark.parametrize("tx", [KO, EN], ids=["ko", "en"])
def test_history_in_won_prints_the_pairing_note_and_draws_the_chart_in_its_language(
        pages: PagesServer, tmp_path: Path, tx: Texts) -> None:
    out = tmp_path / "dubai.png"
    result = run_history(pages, "Dubai", "--period", "1m", "--unit", "krw_per_barrel", "--end", "2026-01-10",
                         "--lang", tx.lang.value, "--chart", str(out))
    assert result.returncode == 0, result.stderr
    series = Market(load_settings(pages.env()), clock=lambda: datetime(2026, 1, 10, tzinfo=KST)).history(
        "Dubai", Period.M1, Unit.KRW_PER_BARREL)
    assert series.pairing_note is not None and result.stdout.splitlines()[-1] == tx.render(series.pairing_note)
    assert tx.t("chart written to {path}", path=out) in result.stderr
    # The title band is the one render_png draws in this language (두바이유 (원/배럴), Korean dates), not the other's
    assert top(out.read_bytes()) == top(render_png([series], tx))
    assert top(out.read_bytes()) != top(render_png([series], EN if tx is KO else KO))
    if tx is KO:
        note = result.stdout.splitlines()[-1]   # Korean dates: 12-26, a TARGET holiday, used the 24th's rate
        assert "2025-" not in note and KO.render(date(2025, 12, 26)) in note and "원/달러 환율" in note
