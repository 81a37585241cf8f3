"""Charts into Slack: the series a ChartRequest names (from the market, never from the model), drawn
(oilfx.charts) and uploaded into a thread (uploads.py), with the one-line summary of each series as its comment.
Used by `/oilprice chart` and, after an answer, for each chart the turn's price_history calls asked for."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from slack_sdk import WebClient

from oilfx.charts import render_png, summary_line
from oilfx.charts.summary import UNIT_LABELS
from oilfx.engines.base import Answer
from oilfx.i18n import EN, Texts, benchmark_name
from oilfx.market import Market, MarketUnavailable
from oilfx.market.history.series import ChartRequest, Series
from oilfx.slack.render import escape
from oilfx.slack.uploads import Attachment, UploadResult, attach_or_note, failure_note, post_note

Log = logging.LoggerAdapter | logging.Logger


def requested_charts(answer: Answer) -> list[ChartRequest]:
    """The charts the turn's tool calls asked for, each distinct request once, in the order asked."""
    return list(dict.fromkeys(s.result.chart for s in answer.tool_steps if s.result.chart is not None))


def fetch_series(market: Market, request: ChartRequest) -> list[Series]:
    """Each benchmark's history; MarketUnavailable if any has none (the message names the sources tried)."""
    return [market.history(benchmark, request.period, request.unit) for benchmark in request.benchmarks]


def describe(request: ChartRequest, texts: Texts) -> str:
    """`WTI · Brent, 3m, USD/bbl` (`WTI · 브렌트유, …` in Korean)."""
    names = " · ".join(texts.render(benchmark_name(b)) for b in request.benchmarks)
    return f"{names}, {request.period.value}, {texts.render(UNIT_LABELS[request.unit])}"


def attachment(request: ChartRequest, series: Sequence[Series], texts: Texts, comment: str = "") -> Attachment:
    """The PNG with its file name, title and alt text (the summary lines: what the chart shows, in words)."""
    slug = "-".join(b.lower() for b in request.benchmarks)
    lines = " ".join(texts.render(summary_line(s)) for s in series)
    return Attachment(png=render_png(series, texts),
                      filename=f"oilfx-{slug}-{request.period.value}-{request.unit.value}.png",
                      title=texts.t("oilfx chart: {chart}", chart=describe(request, texts)),
                      alt_text=texts.t("Line chart. {summary}", summary=lines), comment=comment)


def summary_text(series: Iterable[Series], texts: Texts) -> str:
    """The summary lines as mrkdwn (escaped: source names come from pages we fetched)."""
    return "\n".join(escape(texts.render(summary_line(s))) for s in series)


def attach_charts(client: WebClient, market: Market, channel: str, thread_ts: str | None,
                  requests: Sequence[ChartRequest], log: Log, texts: Texts) -> list[UploadResult]:
    """Draw and upload each requested chart into the thread, after the answer. A chart that cannot be drawn (no
    data) or uploaded leaves a one-line note instead, in `texts` (the asker's language); the answer above it
    stands either way."""
    results = []
    for request in requests:
        try:
            series = fetch_series(market, request)
            chart = attachment(request, series, comment=summary_text(series, texts), texts=texts)
        except (MarketUnavailable, ValueError) as e:
            log.warning("chart %s not drawn: %s", describe(request, EN), e)
            why = texts.t("no data for {chart}", chart=describe(request, texts))   # failure_note escapes it
            post_note(client, channel, thread_ts, failure_note(why, texts), log)
            results.append(UploadResult(error=str(e)))
            continue
        results.append(attach_or_note(client, channel, thread_ts, chart, log, texts))
    return results

