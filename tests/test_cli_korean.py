"""The CLI's human output in Korean (OILFX_LANG's default) and English, as a user runs it: subprocesses against the
fixture pages. Expected text comes from the catalog (KO.t, KO.n, KO.render) and the figures from the fixtures, so
a translation can change without these tests; what they pin is that each line is the Korean sentence with the
right figures, dates in the Korean form, and columns that line up in a terminal with Hangul in them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from oilfx.cli.common import table
from oilfx.config import load_settings
from oilfx.i18n import EN, KO, benchmark_name
from oilfx.i18n.formats import display_width
from oilfx.market import KST, LITRES_PER_BARREL, Market, format_krw, format_krw_litre, format_rate
from oilfx.market.history import Period, Unit
from oilfx.market.quote import krw_per_barrel, krw_per_litre
from oilfx.market.sources.base import parse_decimal
from oilfx.store.base import Feedback, ThreadKey
from oilfx.store.sqlite import SqliteStore
from tests.fakes.history_pages import serve_history
from tests.fakes.pages import (
    REFERENCE_FX_AS_OF_KST,
    REFERENCE_OIL,
    REFERENCE_OIL_AS_OF,
    REFERENCE_PUMP,
    REFERENCE_PUMP_AS_OF,
    REFERENCE_USDKRW,
    PagesServer,
)
from tests.test_cli_quote import run_quote

REPO = Path(__file__).resolve().parent.parent
RATE = parse_decimal(REFERENCE_USDKRW)
OIL_DAY = date.fromisoformat(REFERENCE_OIL_AS_OF)
FX_MOMENT = datetime.fromisoformat(REFERENCE_FX_AS_OF_KST).replace(tzinfo=KST)


def end_column(line: str, cell: str) -> int:
    """The terminal column where `cell` ends in `line` (display width: Hangul counts two)."""
    return display_width(line[: line.index(cell) + len(cell)])


def test_display_width_pads_hangul_to_line_up() -> None:
    assert (display_width("두바이유"), display_width("WTI"), display_width("₩98,492")) == (8, 3, 7)
    lines = table([["유종", "달러/배럴"], ["두바이유", "$82.14"], ["WTI", "$76.41"]], right={1})
    assert [display_width(line) for line in lines] == [19, 19, 19]
    assert {end_column(line, cell) for line, cell in zip(lines, ["달러/배럴", "$82.14", "$76.41"], strict=True)} == {19}


def test_quote_in_korean_by_default(pages_server: PagesServer) -> None:
    result = run_quote(pages_server, OILFX_LANG="")   # no OILFX_LANG: the workspace default, Korean
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = KO.t("Benchmark|USD/bbl|KRW/bbl|KRW/L|As of|Source").split("|")
    assert lines[0].split() == [cell for text in header for cell in text.split()]
    for line, (benchmark, usd) in zip(lines[1:4], REFERENCE_OIL.items(), strict=True):
        price = Decimal(usd)
        assert line.startswith(KO.render(benchmark_name(benchmark)) + " ")
        assert format_krw(krw_per_barrel(price, RATE)) in line and format_krw_litre(krw_per_litre(price, RATE)) in line
        assert KO.render(OIL_DAY) in line and line.rstrip().endswith("Opinet")
        # Amounts right-aligned under their headers, whatever the width of 두바이유 or 브렌트유.
        assert end_column(line, format_krw(krw_per_barrel(price, RATE))) == end_column(lines[0], header[2])
        as_of = display_width(line[:line.index(KO.render(OIL_DAY))])
        assert as_of == display_width(lines[0][:lines[0].index(header[4])])   # dates start under 기준일
    assert "두바이유" in lines[1] and "브렌트유" in lines[3] and "년 " in lines[1]
    stale = KO.t("USD/KRW {rate} as of {moment} (stale), {source}", rate=format_rate(RATE), moment=FX_MOMENT,
                 source="Naver (하나은행)")
    fresh = KO.t("USD/KRW {rate} as of {moment}, {source}", rate=format_rate(RATE), moment=FX_MOMENT,
                 source="Naver (하나은행)")
    assert stale in lines or fresh in lines
    assert "오후 4:33 KST" in result.stdout
    items = " · ".join(f"{product} {format_krw_litre(Decimal(v))}/L" for product, v in REFERENCE_PUMP.items())
    assert KO.t("Pump prices ({sources} national average, {day}): {items}", sources="KNOC",
                day=date.fromisoformat(REFERENCE_PUMP_AS_OF), items=items) in lines
    assert lines[-1] == KO.t("Crude prices are previous-trading-day settlements (as-of = trading day); "
                             "1 bbl = {litres} L.", litres=LITRES_PER_BARREL)


def test_lang_option_beats_oilfx_lang_and_korean_errors(pages_server: PagesServer) -> None:
    english = run_quote(pages_server, "--lang", "en", OILFX_LANG="ko")
    assert english.returncode == 0 and english.stdout.startswith("Benchmark  USD/bbl")
    missing = run_quote(pages_server, "--benchmark", "Dubai", OILFX_OIL_SOURCES="fred", OILFX_LANG="ko")
    assert missing.returncode == 1
    assert missing.stderr.strip() == KO.t("oilfx: no {benchmark} price: {reason}.", benchmark=benchmark_name("Dubai"),
                                          reason="fred: FRED has no Dubai series")
    assert missing.stderr.startswith("oilfx: 두바이유 ")


def test_doctor_in_korean(pages_server: PagesServer) -> None:
    result = run_quote(pages_server, command="doctor", OILFX_LANG="ko")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(KO.t("Market sources, fetched live at {moment}:", moment="|").split("|")[0])
    ok = KO.t("ok|FAILED").split("|")[0]
    sources = [line for line in lines[1:] if line.startswith(ok + " ")]
    assert len(sources) == 7 and len({end_column(line, " ms ") for line in sources}) == 1
    opinet = next(line for line in sources if line.split()[1:3] == ["oil", "opinet"])
    values = ", ".join(f"{KO.render(benchmark_name(b))} {Decimal(v):,}" for b, v in REFERENCE_OIL.items())
    assert opinet.endswith("Opinet: " + KO.t("{values} USD/bbl ({day})", values=values, day=OIL_DAY))
    served = lines[lines.index(KO.t("Each quantity is served now by:")) + 1: -2]
    names = [KO.render(benchmark_name(b)) for b in REFERENCE_OIL] + ["USD/KRW", KO.t("pump prices")]
    assert [line.startswith(name + " ") for line, name in zip(served, names, strict=True)] == [True] * 5
    # The column after the names starts at one terminal column, though 주유소 판매가격 is wider than WTI.
    starts = {display_width(name) + len(line[len(name):]) - len(line[len(name):].lstrip())
              for line, name in zip(served, names, strict=True)}
    assert len(starts) == 1
    assert lines[-1] == KO.t("OK: every quantity has a working source.")


def test_doctor_history_and_history_in_korean(pages_server: PagesServer) -> None:
    pages = serve_history(pages_server)
    end = date(2026, 1, 10)
    doctor = run_quote(pages, "--history", "--end", end.isoformat(), command="doctor", OILFX_LANG="ko")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    history = doctor.stdout[doctor.stdout.index(KO.t("Price history sources, {start} to {end}, fetched live at "
                                                     "{moment}:", start=end - timedelta(days=14), end=end,
                                                     moment="|").split("|")[0]):]
    assert history.rstrip().endswith(KO.t("OK: oil closes and USD/KRW rates each have a working history source."))

    result = run_quote(pages, "wti", "--period", "1m", "--unit", "krw_per_litre", "--end", end.isoformat(),
                       command="history", OILFX_LANG="ko")
    assert result.returncode == 0, result.stderr
    series = Market(load_settings(pages.env()), clock=lambda: datetime(2026, 1, 10, tzinfo=KST)).history(
        "WTI", Period.M1, Unit.KRW_PER_LITRE)
    lines = result.stdout.splitlines()
    header = KO.t("Date|won per litre|USD/bbl|USD/KRW|Rate of").split("|")
    assert lines[0].startswith(header[0] + " ")
    for pair in series.pairs:
        line = next(line for line in lines if line.startswith(KO.render(pair.day) + " "))
        value = format_krw_litre(pair.usd * pair.rate / LITRES_PER_BARREL)
        assert end_column(line, value) == end_column(lines[0], header[1])   # right-aligned under 원/L
        earlier = KO.t("{day} (earlier)", day=pair.rate_day)
        assert line.endswith(earlier) if pair.rate_day != pair.day else line.endswith(KO.render(pair.rate_day))
    valued = series.values()
    low, high = min(valued, key=lambda p: p.value), max(valued, key=lambda p: p.value)
    change = valued[-1].value - valued[0].value
    pct = (change / valued[0].value * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert KO.n("{benchmark} {first_day} {first} → {last_day} {last}: {change} ({percent}); low {low} ({low_day}), "
                "high {high} ({high_day}); {count} trading day",
                "{benchmark} {first_day} {first} → {last_day} {last}: {change} ({percent}); low {low} ({low_day}), "
                "high {high} ({high_day}); {count} trading days", len(valued), benchmark=benchmark_name("WTI"),
                first_day=valued[0].day, first=format_krw_litre(valued[0].value), last_day=valued[-1].day,
                last=format_krw_litre(valued[-1].value), change=("+" if change >= 0 else "-") + format_krw_litre(
                    abs(change)), percent=f"{pct:+}%", low=format_krw_litre(low.value), low_day=low.day,
                high=format_krw_litre(high.value), high_day=high.day) in lines
    assert KO.t("{start} to {end}, daily closes (previous trading days' settlements); sources: {sources}",
                start=series.start, end=series.end, sources="Opinet, Frankfurter (ECB)") in lines


@pytest.mark.parametrize("tx", [KO, EN], ids=["ko", "en"])
def test_feedback_in_each_language(tmp_path: Path, tx) -> None:  # type: ignore[no-untyped-def]
    at = datetime.now(UTC) - timedelta(hours=2)
    key = ThreadKey("T1", "C1", "1700000000.000100")
    store = SqliteStore(tmp_path / "oilfx.db")
    store.add_feedback(Feedback(key, "1700000000.000200", "U1", "bad", "WTI 원화로?", "₩98,492", "chat", at))
    store.close()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OILFX_", "REDIS_"))}
    run = subprocess.run([sys.executable, "-m", "oilfx", "feedback", "--since", "1d", "--lang", tx.lang.value],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env={**clean, "PYTHONPATH": str(REPO), "OILFX_DB": str(tmp_path / "oilfx.db")})
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == tx.t("- bad  {moment}  {user}  {thread}  {engine}", moment=at, user="U1", thread=str(key),
                            engine="chat")
    assert lines[1:3] == [tx.t("    Q: {question}", question="WTI 원화로?"), tx.t("    A: {answer}", answer="₩98,492")]
    summary = tx.t("{count} feedback since {moment}: {good} good, {bad} bad", count=1, moment="|", good=0, bad=1)
    assert all(part in lines[3] for part in summary.split("|"))
    if tx is KO:
        assert "나쁨" in lines[0] and ("오전" in lines[0] or "오후" in lines[0]) and "질문: WTI" in lines[1]


def test_every_column_header_entry_keeps_its_columns() -> None:
    """A header row is one entry with `|` between its columns (the translator sees them together): a translation
    with a `|` more or less would shift every column, so each keeps the msgid's count."""
    from babel.messages.pofile import read_po

    from oilfx.i18n.catalog import LOCALE_DIR

    with (LOCALE_DIR / "ko" / "LC_MESSAGES" / "oilfx.po").open("rb") as f:   # "|"-separated entries: headers
        headers = [m for m in read_po(f) if isinstance(m.id, str) and "|" in m.id]
    assert len(headers) >= 5
    for message in headers:
        assert message.string.count("|") == message.id.count("|"), message.id


def test_a_configuration_error_in_each_language(pages_server: PagesServer) -> None:
    korean = run_quote(pages_server, OILFX_LANG="", REDIS_URL="foo")
    assert korean.returncode == 2 and korean.stderr.startswith(KO.t("oilfx: configuration error: {error}",
                                                                    error="REDIS_URL: expected redis://"))
    english = run_quote(pages_server, "--lang", "en", OILFX_LANG="", REDIS_URL="foo")
    assert english.returncode == 2 and english.stderr.startswith("oilfx: configuration error: REDIS_URL: ")
    assert pages_server.total() == 0
