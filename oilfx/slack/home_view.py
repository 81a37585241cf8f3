"""The App Home tab, rendered with slack_sdk's view and block models (they enforce Slack's limits: 100 blocks a
view, 3,000 characters a section, button values and texts): the latest price table (no model), the alerts and
digests the user set, each with a Delete button, and how to use the bot, in the user's language (`HomeData.tx`).
Pure: the caller fetches the data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from oilfx.i18n import Text, Texts
from oilfx.market.quote import Quote
from oilfx.market.rule_parse import describe_rule
from oilfx.slack.alert_text import alert_line, clock, digest_line
from oilfx.slack.mrkdwn import escape
from oilfx.slack.quote_table import render_quote_table
from oilfx.slack.render import SECTION_LIMIT
from oilfx.store.alerts import Alert, Digest

HOME_DELETE_ACTION = "oilfx_home_delete"
MAX_VIEW_BLOCKS = 100


@dataclass(frozen=True)
class HomeData:
    """What the home tab shows for one user."""

    quote: Quote | None          # None: the market is unavailable (`market_error` says why)
    market_error: Text           # MarketUnavailable.text: rendered in the reader's language
    pump_line: Text | None
    alerts: list[Alert]          # the user's own, every channel of the team
    digests: list[Digest]        # the digests the user set
    help: str                    # how to use the bot (mrkdwn, ours, in `tx`)
    tx: Texts                    # the user's language


class TargetKind(Enum):
    ALERT = "alert"
    DIGEST = "digest"


@dataclass(frozen=True)
class Target:
    """What a Delete button removes: an alert (by id, in its channel) or a channel's digest. Its button value
    is `alert:<channel>:<id>` or `digest:<channel>` (Slack hands a button's value back as a string)."""

    kind: TargetKind
    channel: str
    alert_id: int = 0

    @property
    def value(self) -> str:
        if self.kind is TargetKind.ALERT:
            return f"alert:{self.channel}:{self.alert_id}"
        return f"digest:{self.channel}"

    @classmethod
    def parse(cls, value: str) -> Target | None:
        parts = value.split(":")
        if len(parts) == 3 and parts[0] == "alert" and parts[1] and parts[2].isdigit():
            return cls(TargetKind.ALERT, parts[1], int(parts[2]))
        if len(parts) == 2 and parts[0] == "digest" and parts[1]:
            return cls(TargetKind.DIGEST, parts[1])
        return None


def _confirm(target: Target, what: str, tx: Texts) -> ConfirmObject:
    """Asked before a Delete click is sent: a deleted alert or digest cannot be brought back, only set again.
    `what`: the rule or the digest's time, as the row shows it (plain text: a dialog renders no mrkdwn)."""
    if target.kind is TargetKind.ALERT:
        title, text = tx.t("Delete this alert?"), tx.t("oilfx stops watching this price for you: {rule}.", rule=what)
    else:
        title, text = tx.t("Delete this digest?"), tx.t("oilfx stops posting the weekday price table at {time} KST "
                                                        "in this channel.", time=what)
    return ConfirmObject(title=title[:100], text=text[:300], confirm=tx.t("Delete")[:30], deny=tx.t("Keep")[:30],
                         style="danger")


def _row(text: str, target: Target, what: str, tx: Texts) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text[:SECTION_LIMIT]),
                        accessory=ButtonElement(text=tx.t("Delete"), action_id=HOME_DELETE_ACTION,
                                                value=target.value, style="danger",
                                                confirm=_confirm(target, what, tx)))


def _note(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text[:SECTION_LIMIT])])


def _prices(data: HomeData) -> list[Block]:
    if data.quote is None:
        text = data.tx.t(":warning: Crude prices are unavailable right now. {reason}",
                         reason=escape(data.tx.render(data.market_error)))
        return [SectionBlock(text=MarkdownTextObject(text=text[:SECTION_LIMIT]))]
    table = render_quote_table(data.quote, data.tx, data.pump_line)
    return [b for b in (Block.parse(block) for block in table.blocks) if b is not None]


def render_home(data: HomeData) -> View:
    """The home view; raises SlackObjectFormationError (from to_dict) if a limit were broken."""
    tx = data.tx
    head: list[Block] = [HeaderBlock(text=tx.t("oilfx: crude oil in Korean won")), *_prices(data), DividerBlock()]
    tail: list[Block] = [DividerBlock(), HeaderBlock(text=tx.t("How to use oilfx")),
                         SectionBlock(text=MarkdownTextObject(text=data.help[:SECTION_LIMIT]))]
    # Two headers and up to two "... more" notes besides the rows: the rows get what is left of the 100 blocks.
    room = MAX_VIEW_BLOCKS - len(head) - len(tail) - 4
    digests_shown = min(len(data.digests), max(room // 4, room - len(data.alerts)))
    alerts_shown = min(len(data.alerts), room - digests_shown)
    middle: list[Block] = [HeaderBlock(text=tx.t("Your alerts"))]
    middle += [_row(tx.t("{alert} · in <#{channel}>", alert=alert_line(a, tx, with_creator=False),
                         channel=escape(a.channel)), Target(TargetKind.ALERT, a.channel, a.id),
                    tx.render(describe_rule(a.rule)), tx)
               for a in data.alerts[:alerts_shown]]
    if not data.alerts:
        middle.append(_note(tx.t("None yet. In a channel, type `/oilprice alert Brent > 80` (or ask: "
                                 "\"tell me when Brent goes above 80\").")))
    elif alerts_shown < len(data.alerts):
        middle.append(_note(tx.t("… and {count} more: `/oilprice alerts` in each channel.",
                                 count=len(data.alerts) - alerts_shown)))
    middle.append(HeaderBlock(text=tx.t("Your digests")))
    middle += [_row(tx.t("{digest} · in <#{channel}>", digest=digest_line(d, tx), channel=escape(d.channel)),
                    Target(TargetKind.DIGEST, d.channel), clock(d.at), tx) for d in data.digests[:digests_shown]]
    if not data.digests:
        middle.append(_note(tx.t("None yet. In a channel, type `/oilprice digest 09:00` for a weekday price "
                                 "table.")))
    elif digests_shown < len(data.digests):
        middle.append(_note(tx.t("… and {count} more.", count=len(data.digests) - digests_shown)))
    return View(type="home", blocks=[*head, *middle, *tail])
