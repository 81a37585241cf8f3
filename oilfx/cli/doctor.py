"""`python -m oilfx doctor [--json] [--history [--end YYYY-MM-DD]]`: fetch every configured market source live (no
cache) and say, in one screen, which work and which source would serve each quantity now; with --history, each
price-history source too. Exit 0 when every quantity (and, with --history, oil closes and rates) has a working
source."""

from __future__ import annotations

import argparse
import json
import logging
from datetime import date
from itertools import groupby

from oilfx.cli.common import cli_texts, display_width, ljust
from oilfx.cli.doctor_history import history_json, history_text, status_line
from oilfx.config import Settings
from oilfx.i18n import EN, Text, Texts, benchmark_name, lazy
from oilfx.market.doctor import PUMP, Figure, Report, SourceCheck, check
from oilfx.market.history.doctor import check_history


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("doctor", help="check every market source live: which work, which serves what")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--history", action="store_true",
                        help="also ask each price-history source for the two weeks up to --end (charts, price_history)")
    parser.add_argument("--end", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                        help="with --history: the last day of the window (default: today in KST)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not getattr(args, "verbose", False):
        # Every failure is on its source's line; the market's own warnings would print it twice.
        logging.getLogger("oilfx.market").setLevel(logging.ERROR)
    report = check(settings)
    history = check_history(settings, end=args.end) if args.history else None
    if args.json:
        out = as_json(report)
        if history is not None:
            out = {**out, "ok": report.ok and history.ok, "history": history_json(history)}
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        tx = cli_texts(settings)
        print(as_text(report, tx) + ("" if history is None else "\n\n" + history_text(history, tx)))
    return 0 if report.ok and (history is None or history.ok) else 1


def _figure_json(figure: Figure) -> dict[str, str]:
    return {"quantity": figure.quantity, "value": str(figure.value), "unit": figure.unit,
            "as_of": figure.as_of.isoformat()}


def as_json(report: Report) -> dict:
    """Values as decimal strings, times in ISO 8601 with their offset."""
    return {
        "ok": report.ok,
        "checked_at": report.checked_at.isoformat(),
        "sources": [{"kind": s.kind, "name": s.name, "label": s.label, "ok": s.ok, "ms": round(s.ms, 1),
                     "figures": [_figure_json(f) for f in s.figures],
                     "reason": None if s.reason is None else str(s.reason)} for s in report.sources],
        "quantities": [{"quantity": q.quantity, "ok": q.source is not None,
                        "source": q.source.name if q.source else None, "label": q.source.label if q.source else None,
                        "figure": _figure_json(q.figure) if q.figure else None} for q in report.quantities],
    }


def quantity_name(quantity: str) -> Text:
    """A quantity as users read it: 두바이유 for Dubai, 주유소 판매가격 for pump prices; USD/KRW and KNOC's
    product names (휘발유) as they are."""
    return lazy("pump prices") if quantity == PUMP else benchmark_name(quantity)


def _figures_text(figures: tuple[Figure, ...], tx: Texts) -> str:
    """'Dubai 82.14, WTI 76.41 USD/bbl (2023-11-28)': figures sharing a unit and a date are listed once."""
    parts = []
    for (unit, as_of), group in groupby(figures, key=lambda f: (f.unit, f.as_of)):
        values = ", ".join(f"{tx.render(quantity_name(f.quantity))} {f.value:,}" for f in group)
        if unit == "USD/bbl":
            parts.append(tx.t("{values} USD/bbl ({day})", values=values, day=as_of))
        elif unit == "KRW/USD":
            parts.append(tx.t("{values} KRW/USD ({day})", values=values, day=as_of))
        elif unit == "KRW/L":
            parts.append(tx.t("{values} KRW/L ({day})", values=values, day=as_of))
        else:   # a unit this table does not know yet: shown as the market layer names it
            parts.append(f"{values} {unit} ({tx.render(as_of)})")
    return "; ".join(parts)


def _source_line(s: SourceCheck, tx: Texts) -> str:
    # The label (often Korean, double-width) comes last but one so the padded columns stay aligned.
    if not s.ok:
        detail = tx.render(s.reason) if s.reason else tx.t("failed, no reason given")
    elif s.reason:
        detail = tx.t("{label}: {figures}; lacks {missing}", label=s.label, figures=_figures_text(s.figures, tx),
                      missing=s.reason)
    else:
        detail = f"{s.label}: {_figures_text(s.figures, tx)}"
    return status_line(s.ok, s.kind, s.name, s.ms, detail, tx)


def as_text(report: Report, tx: Texts = EN) -> str:
    lines = [tx.t("Market sources, fetched live at {moment}:", moment=report.checked_at)]
    lines += [_source_line(s, tx) for s in report.sources]
    lines += ["", tx.t("Each quantity is served now by:")]
    names = {q.quantity: tx.render(quantity_name(q.quantity)) for q in report.quantities}
    width = max([12, *(display_width(name) for name in names.values())])
    for q in report.quantities:
        name = ljust(names[q.quantity], width)
        if q.source is None or q.figure is None:
            none = tx.t("NO WORKING SOURCE")   # not inside the f-string: Babel does not look in f-strings
            lines.append(f"{name}  {none}")
            continue
        shown = (_figures_text(q.source.figures, tx) if q.source.kind == "pump"
                 else _figures_text((q.figure,), tx))
        lines.append(f"{name}  {q.source.kind} {q.source.name}, {q.source.label}: {shown}")
    lines.append("")
    lines.append(tx.t("OK: every quantity has a working source.") if report.ok
                 else tx.t("NOT OK: some quantity has no working source (exit 1)."))
    return "\n".join(lines)
