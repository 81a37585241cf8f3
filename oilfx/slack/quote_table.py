"""The deterministic price table for bare `/oilprice` (no model involved) and the command's help text, in the
language of whoever reads them (`tx`).

The table is a monospace code block whose columns line up by display width: Hangul (and other East Asian wide
characters) takes two columns in Slack's monospace font, so `두바이유` is as wide as eight Latin letters. Padding by
len() would push every Korean row out of line."""

from __future__ import annotations

from collections.abc import Sequence

from oilfx.i18n import Text, Texts, benchmark_name
from oilfx.i18n.formats import display_width, ljust, rjust
from oilfx.market.quote import (
    BENCHMARKS,
    Quote,
    format_krw,
    format_krw_litre,
    format_rate,
    format_usd,
)
from oilfx.slack.mrkdwn import escape
from oilfx.slack.render import SlackMessage, _context, _section

GAP = "  "


def _pad(text: str, width: int, right: bool = False) -> str:
    return rjust(text, width) if right else ljust(text, width)


def columns(rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    """Rows of cells as aligned lines; a row with fewer cells than `right` has columns (an unavailable
    benchmark: its name and why) runs on after its first cell. A left-aligned last column is not padded (no
    trailing spaces)."""
    size = len(right)
    widths = [max(display_width(row[i]) for row in rows if len(row) == size or i == 0) for i in range(size)]
    lines = []
    for row in rows:
        if len(row) < size:
            lines.append(GAP.join([_pad(row[0], widths[0]), *row[1:]]).rstrip())
            continue
        cells = [_pad(cell, widths[i], right[i]) if right[i] or i < size - 1 else cell for i, cell in enumerate(row)]
        lines.append(GAP.join(cells).rstrip())
    return lines


def render_quote_table(quote: Quote, tx: Texts, pump_line: Text | None = None) -> SlackMessage:
    """The deterministic price table for bare `/oilprice`: no model involved. `pump_line`: KNOC's pump prices."""
    rows: list[list[str]] = [[tx.t("Benchmark"), tx.t("USD/bbl"), tx.t("KRW/bbl"), tx.t("KRW/L"), tx.t("as of")]]
    sources: list[str] = []
    for name in BENCHMARKS:
        label = tx.render(benchmark_name(name))
        price = quote.oil.get(name)
        if price is None:
            reason = quote.missing.get(name) or tx.t("no source had it")
            rows.append([label, tx.t("unavailable ({reason})", reason=reason)])
            continue
        as_of = tx.t("{day} (stale)", day=price.as_of) if price.stale else tx.render(price.as_of)
        rows.append([label, format_usd(price.usd), format_krw(quote.krw_per_barrel(name)),
                     format_krw_litre(quote.krw_per_litre(name)), as_of])
        if price.source not in sources:
            sources.append(price.source)
    fx = quote.fx
    rate = format_rate(fx.rate)
    rate_line = (tx.t("USD/KRW {rate} ({source}, {moment}) (stale)", rate=rate, source=fx.source, moment=fx.as_of)
                 if fx.stale else tx.t("USD/KRW {rate} ({source}, {moment})", rate=rate, source=fx.source,
                                       moment=fx.as_of))
    table = escape("\n".join(columns(rows, (False, True, True, True, False))))
    context = escape(tx.t("{rate_line} · Crude: previous trading day's settlement ({sources}) · fetched {moment}",
                          rate_line=rate_line, sources=", ".join(sources) or tx.t("none"),
                          moment=quote.fetched_at))
    title = tx.t("*Crude oil in Korean won*")
    text = f"{title}\n```{table}```\n{context}"
    blocks = [_section(f"{title}\n```{table}```"), _context(context)]
    if pump_line:
        pump = escape(tx.render(pump_line))   # a Msg from the market: products, prices and days in `tx`'s form
        text += "\n" + pump
        blocks.append(_context(pump))
    return SlackMessage(text, blocks)


def help_text(tx: Texts, usages: Sequence[str] = ()) -> str:
    """How to use the bot, one whole sentence per line, then one usage line per subcommand (already in `tx`)."""
    lines = [
        tx.t("*oilfx* — what crude oil costs right now in Korean won."),
        tx.t("• `/oilprice` — Dubai, WTI and Brent in USD/bbl, KRW/bbl and KRW/L, with the USD/KRW rate, sources "
             "and as-of times (no AI involved)"),
        tx.t("• `/oilprice <question>` — ask the assistant, e.g. `/oilprice WTI in won per litre?`; the answer is "
             "posted in this channel"),
        tx.t("• `/oilprice help` — this text"),
        tx.t("• Mention `@oilfx` in a channel or send it a DM; follow-ups in the same thread continue the "
             "conversation."),
        tx.t("• Add \"steps\" (or 단계/과정) to a question, or press *Show steps*, to see each model round and tool "
             "call."),
    ]
    return "\n".join([*lines, *(f"• {usage}" for usage in usages)])
