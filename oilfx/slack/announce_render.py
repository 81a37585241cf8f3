"""Alerts and digests as Slack messages (Block Kit built with slack_sdk's block models, which validate them, and
a plain-text fallback). Pure functions, no client.

An alert post mentions its creator and shows the figure, the rule, the source and the as-of time (KST); nothing in
it can ping a channel: every text from outside (source names) is escaped, and the only mention is the creator's
user id, checked to be one. The digest is the /oilprice price table plus the day's change per benchmark.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from oilfx.alerts.events import AlertFiring, DayChange, DigestDue
from oilfx.charts.summary import UNIT_LABELS
from oilfx.market.history.series import Unit
from oilfx.market.quote import Quote, format_kst, format_rate, format_usd
from oilfx.market.rule import Rule
from oilfx.market.rule_parse import format_value
from oilfx.slack.mrkdwn import escape
from oilfx.slack.quote_table import render_quote_table
from oilfx.slack.render import SlackMessage

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
DIRECTION_WORDS = {">": "above", "<": "below"}


def describe_rule(rule: Rule) -> str:
    """`Brent > $80.00 (USD/bbl)`, as the alert was set."""
    threshold = format_value(rule.unit, rule.threshold)
    return f"{rule.benchmark} {rule.direction.value} {threshold} ({UNIT_LABELS[rule.unit]})"


def mention(user: str) -> str:
    return f"<@{user}>" if _USER_ID.fullmatch(user) else ""


def _validated(blocks: list[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]  # to_dict() runs the models' validators (lengths, fields)


def _sources(quote: Quote, benchmark: str, unit: Unit) -> str:
    price = quote.oil[benchmark]
    stale = ", stale" if price.stale else ""
    crude = f"{benchmark}: {price.source} ({price.as_of.isoformat()} settlement{stale})"
    if unit is Unit.USD:
        return crude
    fx = quote.fx
    return f"{crude}; USD/KRW {format_rate(fx.rate)}: {fx.source} ({format_kst(fx.as_of)})"


def render_alert(event: AlertFiring) -> SlackMessage:
    alert, rule = event.alert, event.alert.rule
    now = format_value(rule.unit, event.value)
    headline = (f"{mention(alert.creator)} *{rule.benchmark}* is {DIRECTION_WORDS[rule.direction.value]} "
                f"{format_value(rule.unit, rule.threshold)}: now *{now}* ({UNIT_LABELS[rule.unit]})").lstrip()
    sources = _sources(event.quote, rule.benchmark, rule.unit)
    details = escape(f"Alert #{alert.id}: {describe_rule(rule)} · Sources: {sources}"
                     f" · checked {format_kst(event.quote.fetched_at)} · it fires again after going back across")
    blocks = _validated([SectionBlock(text=MarkdownTextObject(text=headline)),
                         ContextBlock(elements=[MarkdownTextObject(text=details)])])
    return SlackMessage(f"{headline}\n{details}", blocks)


def _change(item: DayChange | str, benchmark: str) -> str:
    if isinstance(item, str):
        return f"{benchmark}: change unavailable ({item})"
    sign = "+" if item.change > 0 else ("−" if item.change < 0 else "±")
    percent = abs(item.percent).quantize(Decimal("0.01"))
    return (f"{benchmark} {sign}{format_usd(abs(item.change))} ({sign}{percent}%) "
            f"from {format_usd(item.previous)} on {item.previous_day.isoformat()}")


def render_digest(event: DigestDue) -> SlackMessage:
    digest = event.digest
    table = render_quote_table(event.quote)
    changes = escape(" · ".join(_change(item, name) for name, item in event.changes.items()))
    changes_text = f"*Day's change* (USD/bbl, settlement against the previous close): {changes}"
    when = f"Weekday digest set by {mention(digest.creator) or 'a user'} for {digest.at.strftime('%H:%M')} KST"
    if event.late:
        when += f"; due {format_kst(event.scheduled_for)}, posted late (the bot was not running)"
    header = HeaderBlock(text=f"Oil prices, {event.scheduled_for.strftime('%a %Y-%m-%d')}")
    blocks = _validated([header, *(Block.parse(b) for b in table.blocks),  # type: ignore[misc]
                         SectionBlock(text=MarkdownTextObject(text=changes_text)),
                         ContextBlock(elements=[MarkdownTextObject(text=when)])])
    return SlackMessage(f"{table.text}\n{changes_text}\n{when}", blocks)
