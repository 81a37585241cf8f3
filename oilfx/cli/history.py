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
from oilfx.config import Settings
from oilfx.market import BENCHMARKS, Market, MarketUnavailable, canonical_benchmark, format_rate
from oilfx.market.history import Period, Series, Summary, Unit, summarise
from oilfx.market.history.summary import format_percent
from oilfx.tools.price_history import FORMAT, LABEL, signed

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
    try:
        series = Market(settings).history(args.benchmark, args.period, args.unit, args.end)
    except MarketUnavailable as e:
        print(f"oilfx: {e}.", file=sys.stderr)
        return 1
    print(as_csv(series) if args.csv else as_table(series), end="" if args.csv else "\n")
    if getattr(args, "chart", None) is not None:
        return write_chart(series, args.chart)
    return 0


def write_chart(series: Series, path: Path) -> int:
    """The chart into `path` (its own line on stderr, so --csv output stays CSV); 1 if it cannot be written."""
    try:
        path.write_bytes(render_png([series]))
    except OSError as e:
        print(f"oilfx: cannot write the chart to {path}: {e.strerror or e}", file=sys.stderr)
        return 1
    print(f"chart written to {path}", file=sys.stderr)
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


def summary_line(series: Series, s: Summary) -> str:
    show = FORMAT[series.unit]
    return (f"{series.benchmark} {s.first.day} {show(s.first.value)} → {s.last.day} {show(s.last.value)}: "
            f"{signed(s.change, series.unit)} ({format_percent(s.percent)}); low {show(s.low.value)} ({s.low.day}), "
            f"high {show(s.high.value)} ({s.high.day}); {s.count} trading days")


def as_table(series: Series) -> str:
    show, won = FORMAT[series.unit], series.unit is not Unit.USD
    header = ("Date", LABEL[series.unit]) + (("USD/bbl", "USD/KRW", "Rate of") if won else ())
    pairs = {p.day: p for p in series.pairs}
    rows = [header]
    for point in reversed(series.points):   # newest first, as the sources print them
        if point.value is None:
            rows.append((point.day.isoformat(), "no close (holiday)") + (("", "", "") if won else ()))
            continue
        row = (point.day.isoformat(), show(point.value))
        if won:
            pair = pairs[point.day]
            row += (f"{pair.usd:,.2f}", format_rate(pair.rate),
                    pair.rate_day.isoformat() + (" (earlier)" if pair.rate_day != point.day else ""))
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    left = {0, len(header) - 1} if won else {0}   # dates left, amounts right
    lines = ["  ".join(cell.ljust(w) if i in left else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip() for row in rows]
    lines += ["", summary_line(series, summarise(series)),
              f"{series.start} to {series.end}, daily closes (previous trading days' settlements); "
              f"sources: {', '.join(dict.fromkeys(series.sources))}"]
    if series.pairing_note:
        lines.append(series.pairing_note)
    return "\n".join(lines)
