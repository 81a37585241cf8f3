"""`python -m oilfx quote [--json] [--benchmark WTI|Brent|Dubai]`: the price table without Slack or an LLM, with
KNOC's national average pump prices on a line below (their failure does not fail the command)."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from oilfx.cli.common import cli_texts, columns, table
from oilfx.config import Settings
from oilfx.i18n import EN, Texts, benchmark_name
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
    tx = cli_texts(settings)
    market = Market(settings)
    try:
        quote = market.quote()
    except MarketUnavailable as e:
        print(tx.t("oilfx: market data unavailable: {error}.", error=e.text), file=sys.stderr)
        return 1
    try:
        pump: list[PumpPrice] | MarketUnavailable = market.pump()
    except MarketUnavailable as e:
        pump = e
    benchmarks = [b for b in BENCHMARKS if b in quote.oil]
    if args.benchmark:
        if args.benchmark not in quote.oil:
            reason = quote.missing.get(args.benchmark) or tx.t("no source had it")
            print(tx.t("oilfx: no {benchmark} price: {reason}.", benchmark=benchmark_name(args.benchmark),
                       reason=reason), file=sys.stderr)
            return 1
        benchmarks = [args.benchmark]
    print(json.dumps(as_json(quote, benchmarks, pump), ensure_ascii=False, indent=2) if args.json
          else as_table(quote, benchmarks, pump, tx))
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


def pump_line(pump: list[PumpPrice] | MarketUnavailable, tx: Texts) -> str:
    """KNOC's national averages on one line (products as KNOC names them: 휘발유, 자동차용경유), or why not."""
    return tx.render(describe_pump(pump))


def as_table(quote: Quote, benchmarks: list[str], pump: list[PumpPrice] | MarketUnavailable | None = None,
             tx: Texts = EN) -> str:
    rows = [columns(tx.t("Benchmark|USD/bbl|KRW/bbl|KRW/L|As of|Source"))]
    for b in benchmarks:
        price = quote.oil[b]
        as_of = (tx.t("{day} (stale)", day=price.as_of) if price.stale else tx.render(price.as_of))
        rows.append([tx.render(benchmark_name(b)), format_usd(price.usd), format_krw(quote.krw_per_barrel(b)),
                     format_krw_litre(quote.krw_per_litre(b)), as_of, price.source])
    lines = table(rows, right={1, 2, 3})
    fx = quote.fx
    lines.append("")
    rate = {"rate": format_rate(fx.rate), "moment": fx.as_of, "source": fx.source}
    lines.append(tx.t("USD/KRW {rate} as of {moment} (stale), {source}", **rate) if fx.stale
                 else tx.t("USD/KRW {rate} as of {moment}, {source}", **rate))
    if len(benchmarks) > 1 or not quote.oil.keys() - set(benchmarks):
        lines.extend(tx.t("{benchmark}: unavailable ({reason})", benchmark=benchmark_name(b), reason=reason)
                     for b, reason in quote.missing.items())
    if pump is not None:
        lines.append(pump_line(pump, tx))
    lines.append(tx.t("Crude prices are previous-trading-day settlements (as-of = trading day); "
                      "1 bbl = {litres} L.", litres=LITRES_PER_BARREL))
    return "\n".join(lines)
