"""Alerts and digests as Slack messages (Block Kit built with slack_sdk's block models, which validate them, and
a plain-text fallback), in the workspace's language (`tx`): both are posted in a channel, unasked. Pure functions,
no client.

An alert post mentions its creator and shows the figure, the rule (worded as every other surface words it:
rule_parse.describe_rule), the source and the as-of time (KST); nothing in it can ping a channel: every text from
outside (source names) is escaped, and the only mention is the creator's user id, checked to be one. The digest is
the /oilprice price table plus the day's change per benchmark.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from oilfx.alerts.events import AlertFiring, DayChange, DigestDue
from oilfx.i18n import Text, Texts, benchmark_name, lazy
from oilfx.market.history.series import Unit
from oilfx.market.quote import Quote, format_rate, format_usd
from oilfx.market.rule_parse import describe_rule, format_value
from oilfx.slack.alert_text import clock
from oilfx.slack.mrkdwn import escape
from oilfx.slack.quote_table import render_quote_table
from oilfx.slack.render import SlackMessage

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
WEEKDAYS = (lazy("Mon"), lazy("Tue"), lazy("Wed"), lazy("Thu"), lazy("Fri"), lazy("Sat"), lazy("Sun"))


def mention(user: str) -> str:
    return f"<@{user}>" if _USER_ID.fullmatch(user) else ""


def _validated(blocks: list[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]  # to_dict() runs the models' validators (lengths, fields)


def _sources(quote: Quote, benchmark: str, unit: Unit, tx: Texts) -> str:
    price = quote.oil[benchmark]
    args = {"benchmark": benchmark_name(benchmark), "source": price.source, "day": price.as_of}
    crude = (tx.t("{benchmark}: {source} ({day} settlement, stale)", **args) if price.stale
             else tx.t("{benchmark}: {source} ({day} settlement)", **args))
    if unit is Unit.USD:
        return crude
    fx = quote.fx
    return "; ".join([crude, tx.t("USD/KRW {rate}: {source} ({moment})", rate=format_rate(fx.rate),
                                  source=fx.source, moment=fx.as_of)])


def render_alert(event: AlertFiring, tx: Texts) -> SlackMessage:
    alert, rule = event.alert, event.alert.rule
    headline = tx.t("{mention} {rule}: now *{now}*", mention=mention(alert.creator), rule=describe_rule(rule),
                    now=format_value(rule.unit, event.value)).lstrip()
    details = escape(tx.t("Alert #{id} · Sources: {sources} · checked {moment} · it fires again after going back "
                          "across", id=alert.id, sources=_sources(event.quote, rule.benchmark, rule.unit, tx),
                          moment=event.quote.fetched_at))
    blocks = _validated([SectionBlock(text=MarkdownTextObject(text=headline)),
                         ContextBlock(elements=[MarkdownTextObject(text=details)])])
    return SlackMessage(f"{headline}\n{details}", blocks)


def _change(item: DayChange | Text, benchmark: str, tx: Texts) -> str:
    name = benchmark_name(benchmark)
    if not isinstance(item, DayChange):
        return tx.t("{benchmark}: change unavailable ({reason})", benchmark=name, reason=item)
    sign = "+" if item.change > 0 else ("−" if item.change < 0 else "±")
    percent = abs(item.percent).quantize(Decimal("0.01"))
    change, moved = sign + format_usd(abs(item.change)), f"{sign}{percent}%"
    return tx.t("{benchmark} {change} ({percent}) from {previous} on {day}", benchmark=name, change=change,
                percent=moved, previous=format_usd(item.previous), day=item.previous_day)


def render_digest(event: DigestDue, tx: Texts) -> SlackMessage:
    digest = event.digest
    table = render_quote_table(event.quote, tx)
    changes = escape(" · ".join(_change(item, name, tx) for name, item in event.changes.items()))
    changes_text = tx.t("*Day's change* (USD/bbl, settlement against the previous close): {changes}",
                        changes=changes)
    who = mention(digest.creator)
    when = (tx.t("Weekday digest set by {user} for {time} KST.", user=who, time=clock(digest.at)) if who
            else tx.t("Weekday digest for {time} KST.", time=clock(digest.at)))
    if event.late:
        when += " " + tx.t("Due {moment}, posted late (the bot was not running).", moment=event.scheduled_for)
    day = event.scheduled_for
    header = HeaderBlock(text=tx.t("Oil prices, {weekday} {day}", weekday=WEEKDAYS[day.weekday()], day=day.date()))
    blocks = _validated([header, *(Block.parse(b) for b in table.blocks),  # type: ignore[misc]
                         SectionBlock(text=MarkdownTextObject(text=changes_text)),
                         ContextBlock(elements=[MarkdownTextObject(text=when)])])
    return SlackMessage(f"{table.text}\n{changes_text}\n{when}", blocks)
