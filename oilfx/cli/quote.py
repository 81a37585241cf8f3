"""`python -m oilfx quote [--json] [--benchmark WTI|Brent|Dubai]`: the price table without Slack or an LLM, with
KNOC's national average pump prices on a line below (their failure does not fail the command)."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from oilfx.config import Settings
from oilfx.market import (
    BENCHMARKS,
    LITRES_PER_BARREL,
    Market,
    MarketUnavailable,
    PumpPrice,
    Quote,
    canonical_benchmark,
    format_krw,
    format_krw_litre,
    format_kst,
    format_rate,
    format_usd,
)
from oilfx.market.market import describe_pump
from oilfx.market.quote import round_cents, round_won


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("quote", help="crude prices in won: Dubai, WTI, Brent and USD/KRW")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--benchmark", type=_benchmark, metavar="WTI|Brent|Dubai", help="only this benchmark")
    parser.set_defaults(func=run)


def _benchmark(value: str) -> str:
    try:
        return canonical_benchmark(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not getattr(args, "verbose", False):
        # Each source's failure is in the one-paragraph error below; per-source warnings would repeat it.
        logging.getLogger("oilfx.market").setLevel(logging.ERROR)
    market = Market(settings)
    try:
        quote = market.quote()
    except MarketUnavailable as e:
        print(f"oilfx: market data unavailable: {e}.", file=sys.stderr)
        return 1
    try:
        pump: list[PumpPrice] | MarketUnavailable = market.pump()
    except MarketUnavailable as e:
        pump = e
    benchmarks = [b for b in BENCHMARKS if b in quote.oil]
    if args.benchmark:
        if args.benchmark not in quote.oil:
            reason = quote.missing.get(args.benchmark, "no source had it")
            print(f"oilfx: no {args.benchmark} price: {reason}.", file=sys.stderr)
            return 1
        benchmarks = [args.benchmark]
    print(json.dumps(as_json(quote, benchmarks, pump), ensure_ascii=False, indent=2) if args.json
          else as_table(quote, benchmarks, pump))
    return 0


def _pump_json(pump: list[PumpPrice] | MarketUnavailable) -> dict:
    if isinstance(pump, MarketUnavailable):
        return {"prices": [], "error": str(pump)}
    return {"prices": [{"product": p.product, "english": p.english, "krw_per_litre": str(p.krw_per_litre),
                        "as_of": p.as_of.isoformat(), "source": p.source} for p in pump], "error": None}


def as_json(quote: Quote, benchmarks: list[str], pump: list[PumpPrice] | MarketUnavailable | None = None) -> dict:
    """Exact figures as decimal strings (never floats), plus the rounded display forms."""
    oil = []
    for b in benchmarks:
        price = quote.oil[b]
        per_barrel, per_litre = quote.krw_per_barrel(b), quote.krw_per_litre(b)
        oil.append({
            "benchmark": b, "usd_per_barrel": str(price.usd), "as_of": price.as_of.isoformat(),
            "source": price.source, "stale": price.stale,
            "krw_per_barrel": str(round_won(per_barrel)), "krw_per_barrel_exact": str(per_barrel),
            "krw_per_litre": str(round_cents(per_litre)), "krw_per_litre_exact": str(per_litre),
            "display": {"usd": format_usd(price.usd), "krw_per_barrel": format_krw(per_barrel),
                        "krw_per_litre": format_krw_litre(per_litre)},
        })
    fx = quote.fx
    return {
        "oil": oil,
        "fx": {"pair": "USD/KRW", "rate": str(fx.rate), "as_of": fx.as_of.isoformat(),
               "as_of_kst": format_kst(fx.as_of), "source": fx.source, "stale": fx.stale},
        "missing": dict(quote.missing),
        **({"pump": _pump_json(pump)} if pump is not None else {}),
        "litres_per_barrel": str(LITRES_PER_BARREL),
        "fetched_at": quote.fetched_at.isoformat(),
    }


def as_table(quote: Quote, benchmarks: list[str], pump: list[PumpPrice] | MarketUnavailable | None = None) -> str:
    header = ("Benchmark", "USD/bbl", "KRW/bbl", "KRW/L", "As of", "Source")
    rows = [header]
    for b in benchmarks:
        price = quote.oil[b]
        rows.append((b, format_usd(price.usd), format_krw(quote.krw_per_barrel(b)),
                     format_krw_litre(quote.krw_per_litre(b)),
                     price.as_of.isoformat() + (" (stale)" if price.stale else ""), price.source))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    right = {1, 2, 3}
    lines = ["  ".join(cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in
                       enumerate(zip(row, widths, strict=True))).rstrip() for row in rows]
    fx = quote.fx
    lines.append("")
    lines.append(f"USD/KRW {format_rate(fx.rate)} as of {format_kst(fx.as_of)}"
                 f"{' (stale)' if fx.stale else ''}, {fx.source}")
    if len(benchmarks) > 1 or not quote.oil.keys() - set(benchmarks):
        lines.extend(f"{b}: unavailable ({reason})" for b, reason in quote.missing.items())
    if pump is not None:
        lines.append(describe_pump(pump))
    lines.append("Crude prices are previous-trading-day settlements (as-of = trading day); "
                 f"1 bbl = {LITRES_PER_BARREL} L.")
    return "\n".join(lines)
