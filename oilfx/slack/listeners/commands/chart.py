"""`/oilprice chart WTI 3m`, `/oilprice chart 두바이 1년`, `/oilprice chart Brent WTI 6m krw`: a price chart and a
one-line summary per benchmark, straight from the market's history (no model call).

A response_url cannot carry files, so both go into the channel with the bot token: the summary as a message
(chat.postMessage), the chart in its thread. A bot that is not in the channel says so to the user alone, through
the response_url, with how to fix it. Words the command does not know get a usage line, also only to the user.
"""

from __future__ import annotations

from oilfx.charts import NothingToDraw
from oilfx.i18n import EN, Msg, lazy
from oilfx.market import MarketUnavailable, canonical_benchmark
from oilfx.market.history.series import ChartRequest, Period, Unit
from oilfx.slack.chart_post import attachment, describe, fetch_series, summary_text
from oilfx.slack.listeners.commands.subcommand import CommandContext, Subcommand
from oilfx.slack.render import SlackMessage, escape, render_error
from oilfx.slack.uploads import attach_or_note
from oilfx.slack.writes import SlackCallFailed, call

USAGE = lazy("`/oilprice chart <Dubai|WTI|Brent ...> [1w|1m|3m|6m|1y|5y] [usd|krw|krw/l]` — a price chart "
             "with a summary, e.g. `/oilprice chart WTI 3m`, `/oilprice chart 두바이 1년`, "
             "`/oilprice chart Brent WTI 6m krw`")
DEFAULT_PERIOD = Period.M1
MAX_BENCHMARKS = 3
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})


class BadChart(ValueError):
    """Words `/oilprice chart` cannot read; `text` says which and what it expected (str(): in English)."""

    def __init__(self, text: Msg) -> None:
        super().__init__(str(text))
        self.text = text


def parse(args: list[str]) -> ChartRequest:
    """The words after `chart` -> what to draw; BadChart naming the word it cannot read. The period defaults to
    1m and the unit to USD; each benchmark is drawn once, in the order typed."""
    benchmarks: list[str] = []
    periods: list[Period] = []
    units: list[Unit] = []
    for word in args:
        for parse_word, found in ((canonical_benchmark, benchmarks), (Period.parse, periods), (Unit.parse, units)):
            try:
                found.append(parse_word(word))
                break
            except ValueError:
                continue
        else:
            raise BadChart(lazy("`{word}` is not a benchmark (Dubai, WTI, Brent), a period (1w, 1m, 3m, 6m, 1y, "
                                "5y) or a unit (usd, krw, krw/l).", word=escape(word)))
    if not benchmarks:
        raise BadChart(lazy("Name at least one benchmark: Dubai, WTI or Brent."))
    if len(set(periods)) > 1 or len(set(units)) > 1:
        raise BadChart(lazy("Give one period and one unit."))
    benchmarks = list(dict.fromkeys(benchmarks))
    if len(benchmarks) > MAX_BENCHMARKS:
        raise BadChart(lazy("At most {count} benchmarks in one chart.", count=MAX_BENCHMARKS))
    return ChartRequest(tuple(benchmarks), periods[0] if periods else DEFAULT_PERIOD,
                        units[0] if units else Unit.USD)


def run(ctx: CommandContext) -> None:
    """Errors go to the user alone in their language; the chart's message is the channel's, in the workspace's."""
    tx, channel_tx = ctx.tx, ctx.channel_tx
    try:
        request = parse(ctx.args)
    except BadChart as e:
        ctx.reply.send(SlackMessage(tx.t("{problem}\nUsage: {usage}", problem=e.text, usage=USAGE)), "ephemeral")
        return
    try:
        series = fetch_series(ctx.deps.services.market, request)
        chart = attachment(request, series, texts=channel_tx)
    except MarketUnavailable as e:
        ctx.log.warning("chart %s: no data: %s", describe(request, EN), e)
        ctx.reply.send(render_error(tx.t("No price history for {chart} right now. {reason}",
                                         chart=describe(request, tx), reason=e.text)), "ephemeral")
        return
    except ValueError as e:  # a range the sources listed without a single value
        reason = tx.render(e.text) if isinstance(e, NothingToDraw) else str(e)
        ctx.reply.send(render_error(tx.t("No data to chart for {chart}: {reason}", chart=describe(request, tx),
                                         reason=reason)), "ephemeral")
        return
    chart_name, summary = escape(describe(request, channel_tx)), summary_text(series, channel_tx)
    if ctx.user:
        text = ctx.channel_tx.t("<@{user}> asked for a chart: *{chart}*\n{summary}", user=ctx.user,
                                chart=chart_name, summary=summary)
    else:
        text = f"*{chart_name}*\n{summary}"
    client = ctx.deps.clients(ctx.team)  # the team's token (OAuth: one per workspace)
    try:
        posted = call(ctx.log, "chat.postMessage", client.chat_postMessage, channel=ctx.channel, text=text)
    except SlackCallFailed as e:
        if e.error in NOT_A_MEMBER:
            ctx.reply.send(SlackMessage(tx.t(
                "I can't post the chart here: I'm not a member of this channel ({error}). Invite me with "
                "`/invite @oilfx` and try again, or use `/oilprice chart` in a channel I'm in.\n{chart}",
                error=e.error, chart=text)), "ephemeral")
        else:
            ctx.reply.send(render_error(tx.t("Slack refused the chart's message ({error}); try again.",
                                             error=e.error)), "ephemeral")
        return
    result = attach_or_note(client, ctx.channel, posted["ts"], chart, ctx.log, channel_tx)
    ctx.log.info("chart %s posted (%s)", describe(request, EN), "attached" if result.ok else result.error)


SUBCOMMAND = Subcommand(words=frozenset({"chart", "차트", "그래프"}), usage=USAGE, run=run)
