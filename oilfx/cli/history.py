"""`python -m oilfx history WTI --period 1m [--unit krw_per_litre] [--end 2026-03-09] [--csv] [--chart out.png]`:
a benchmark's daily closes over a period, without Slack or an LLM: a table (date, value, and for won the close and
the USD/KRW rate used with its date) and the summary line, or CSV with the exact Decimal values; --chart also draws
the series into a PNG (oilfx.charts)."""

from __future__ import annotations

import argparse
import csv
import io
import logging
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

from oilfx.charts import render_png
from oilfx.cli.common import cli_texts, columns, table
from oilfx.config import Settings
from oilfx.i18n import EN, Texts, benchmark_name
from oilfx.market import BENCHMARKS, Market, MarketUnavailable, canonical_benchmark, format_rate
from oilfx.market.history import Period, Series, Summary, Unit, summarise
from oilfx.market.history.summary import format_percent
from oilfx.tools.price_history import FORMAT, signed

T = TypeVar("T")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("history", help="daily closes of Dubai, WTI or Brent over a period, USD or won")
    parser.add_argument("benchmark", type=_choice(canonical_benchmark), metavar="|".join(BENCHMARKS))
    parser.add_argument("--period", type=_choice(Period.parse), default=Period.M1,
                        metavar="|".join(p.value for p in Period), help="how far back from --end (default 1m)")
    parser.add_argument("--unit", type=_choice(Unit.parse), default=Unit.USD,
                        metavar="|".join(u.value for u in Unit), help="USD per barrel (default) or won")
    parser.add_argument("--end", type=_choice(date.fromisoformat), default=None, metavar="YYYY-MM-DD",
                        help="the last day (default: today in KST)")
    parser.add_argument("--csv", action="store_true", help="CSV with exact values instead of the table")
    # Output options that draw the same series (a chart file) are added here and handled in run(), after the fetch.
    parser.add_argument("--chart", type=Path, default=None, metavar="OUT.png",
                        help="also draw the series as a PNG line chart into this file")
    parser.set_defaults(func=run)


def _choice(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse `type=`: the parser's ValueError becomes the usage line and exit 2, as for `quote`."""
    def convert(value: str) -> T:
        try:
            return parse(value)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    return convert


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not getattr(args, "verbose", False):
        # Each source's failure is in the one-paragraph error below; per-source warnings would repeat it.
        logging.getLogger("oilfx.market").setLevel(logging.ERROR)
    tx = cli_texts(settings)
    try:
        series = Market(settings).history(args.benchmark, args.period, args.unit, args.end)
    except MarketUnavailable as e:
        print(tx.t("oilfx: price history unavailable: {error}.", error=e.text), file=sys.stderr)
        return 1
    print(as_csv(series) if args.csv else as_table(series, tx), end="" if args.csv else "\n")
    if getattr(args, "chart", None) is not None:
        return write_chart(series, args.chart, tx)
    return 0


def write_chart(series: Series, path: Path, tx: Texts = EN) -> int:
    """The chart into `path` (its own line on stderr, so --csv output stays CSV); 1 if it cannot be written."""
    try:
        path.write_bytes(render_png([series], tx))
    except OSError as e:
        print(tx.t("oilfx: cannot write the chart to {path}: {error}", path=path, error=e.strerror or e),
              file=sys.stderr)
        return 1
    print(tx.t("chart written to {path}", path=path), file=sys.stderr)
    return 0


def as_csv(series: Series) -> str:
    """date,value[,usd_per_barrel,usd_krw,rate_date]: exact Decimal strings; a holiday's value is empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    won = series.unit is not Unit.USD
    writer.writerow(["date", series.unit.value] + (["usd_per_barrel", "usd_krw", "rate_date"] if won else []))
    pairs = {p.day: p for p in series.pairs}
    for point in series.points:
        row = [point.day.isoformat(), "" if point.value is None else str(point.value)]
        if won:
            pair = pairs.get(point.day)
            row += [str(pair.usd), str(pair.rate), pair.rate_day.isoformat()] if pair else ["", "", ""]
        writer.writerow(row)
    return out.getvalue()


def summary_line(series: Series, s: Summary, tx: Texts = EN) -> str:
    show = FORMAT[series.unit]
    return tx.n("{benchmark} {first_day} {first} → {last_day} {last}: {change} ({percent}); low {low} ({low_day}), "
                "high {high} ({high_day}); {count} trading day",
                "{benchmark} {first_day} {first} → {last_day} {last}: {change} ({percent}); low {low} ({low_day}), "
                "high {high} ({high_day}); {count} trading days", s.count,
                benchmark=benchmark_name(series.benchmark), first_day=s.first.day, first=show(s.first.value),
                last_day=s.last.day, last=show(s.last.value), change=signed(s.change, series.unit),
                percent=format_percent(s.percent) if s.percent is not None else tx.t("no percentage"),
                low=show(s.low.value), low_day=s.low.day, high=show(s.high.value), high_day=s.high.day)


def as_table(series: Series, tx: Texts = EN) -> str:
    show, won = FORMAT[series.unit], series.unit is not Unit.USD
    header = columns(tx.t("Date|USD per barrel") if series.unit is Unit.USD
                     else tx.t("Date|won per barrel|USD/bbl|USD/KRW|Rate of") if series.unit is Unit.KRW_PER_BARREL
                     else tx.t("Date|won per litre|USD/bbl|USD/KRW|Rate of"))
    pairs = {p.day: p for p in series.pairs}
    rows = [header]
    for point in reversed(series.points):   # newest first, as the sources print them
        day = tx.render(point.day)
        if point.value is None:
            rows.append([day, tx.t("no close (holiday)")] + (["", "", ""] if won else []))
            continue
        row = [day, show(point.value)]
        if won:
            pair = pairs[point.day]
            row += [f"{pair.usd:,.2f}", format_rate(pair.rate),
                    tx.t("{day} (earlier)", day=pair.rate_day) if pair.rate_day != point.day
                    else tx.render(pair.rate_day)]
        rows.append(row)
    lines = table(rows, right=set(range(len(header))) - ({0, len(header) - 1} if won else {0}))  # dates left
    lines += ["", summary_line(series, summarise(series), tx),
              tx.t("{start} to {end}, daily closes (previous trading days' settlements); sources: {sources}",
                   start=series.start, end=series.end, sources=", ".join(dict.fromkeys(series.sources)))]
    if series.pairing_note:
        lines.append(tx.render(series.pairing_note))
    return "\n".join(lines)
