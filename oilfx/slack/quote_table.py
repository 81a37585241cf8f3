"""The deterministic price table for bare `/oilprice` (no model involved) and the command's help text."""

from __future__ import annotations

from oilfx.market.quote import (
    BENCHMARKS,
    Quote,
    format_krw,
    format_krw_litre,
    format_kst,
    format_rate,
    format_usd,
)
from oilfx.slack.mrkdwn import escape
from oilfx.slack.render import SlackMessage, _context, _section


def render_quote_table(quote: Quote, pump_line: str | None = None) -> SlackMessage:
    """The deterministic price table for bare `/oilprice`: no model involved. `pump_line`: KNOC's pump prices."""
    rows = ["Benchmark   USD/bbl     KRW/bbl      KRW/L     as of"]
    sources: list[str] = []
    for name in BENCHMARKS:
        price = quote.oil.get(name)
        if price is None:
            rows.append(f"{name:<10}  unavailable ({quote.missing.get(name, 'no source had it')})")
            continue
        stale = " (stale)" if price.stale else ""
        rows.append(f"{name:<10}  {format_usd(price.usd):>8}  {format_krw(quote.krw_per_barrel(name)):>10}  "
                    f"{format_krw_litre(quote.krw_per_litre(name)):>9}  {price.as_of.isoformat()}{stale}")
        if price.source not in sources:
            sources.append(price.source)
    fx = quote.fx
    rate_line = (f"USD/KRW {format_rate(fx.rate)} ({fx.source}, {format_kst(fx.as_of)})"
                 + (" (stale)" if fx.stale else ""))
    table = escape("\n".join(rows))
    context = escape(f"{rate_line} · Crude: previous trading day's settlement ({', '.join(sources) or 'none'}) · "
                     f"fetched {format_kst(quote.fetched_at)}")
    title = "*Crude oil in Korean won*"
    text = f"{title}\n```{table}```\n{context}"
    blocks = [_section(f"{title}\n```{table}```"), _context(context)]
    if pump_line:
        text += "\n" + escape(pump_line)
        blocks.append(_context(escape(pump_line)))
    return SlackMessage(text, blocks)


HELP_TEXT = (
    "*oilfx* — what crude oil costs right now in Korean won.\n"
    "• `/oilprice` — Dubai, WTI and Brent in USD/bbl, KRW/bbl and KRW/L, with the USD/KRW rate, sources and "
    "as-of times (no AI involved)\n"
    "• `/oilprice <question>` — ask the assistant, e.g. `/oilprice WTI in won per litre?`; "
    "the answer is posted in this channel\n"
    "• `/oilprice help` — this text\n"
    "• Mention `@oilfx` in a channel or send it a DM; follow-ups in the same thread continue the conversation.\n"
    "• Add \"steps\" (or 단계/과정) to a question, or press *Show steps*, to see each model round and tool call."
)
