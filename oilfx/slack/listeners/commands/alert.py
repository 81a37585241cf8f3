"""`/oilprice alert Brent > 80` sets an alert in this channel for the user who typed it (confirmed in the channel,
in the workspace's language, repeating the rule as stored); `/oilprice alert delete 3` removes one of this
channel's alerts. Bad input gets what was wrong and the usage, only to the user and in their language, and stores
nothing."""

from __future__ import annotations

from oilfx.i18n import lazy
from oilfx.market.rule_parse import RuleError, parse_rule
from oilfx.slack.alert_text import ALERT_USAGE, DELETE_USAGE, alert_set, message, refused
from oilfx.slack.listeners.commands.subcommand import CommandContext, Subcommand
from oilfx.slack.replies import SlackCallFailed
from oilfx.tools.context import AlertRefused, ToolContext

DELETE_WORDS = {"delete", "del", "remove", "rm", "삭제"}


def delete_alert(ctx: CommandContext) -> None:
    ids, tx = ctx.args[1:], ctx.tx
    if len(ids) != 1 or not ids[0].lstrip("#").isdigit():
        ctx.reply.send(refused(tx.t("Which alert? Give its number."), DELETE_USAGE, tx), "ephemeral")
        return
    alert_id = int(ids[0].lstrip("#"))
    if ctx.deps.services.store.delete_alert(ctx.team, ctx.channel, alert_id):
        ctx.log.info("alert %d deleted by %s", alert_id, ctx.user)
        ctx.reply.send(message(tx.t("Alert *#{id}* deleted.", id=alert_id)), "ephemeral")
    else:
        ctx.reply.send(refused(tx.t("There is no alert #{id} in this channel.", id=alert_id), DELETE_USAGE, tx),
                       "ephemeral")


def set_alert(ctx: CommandContext) -> None:
    tx = ctx.tx
    try:
        rule = parse_rule(" ".join(ctx.args))
    except RuleError as e:
        ctx.reply.send(refused(tx.t("No alert was set: {reason}.", reason=e.text), ALERT_USAGE, tx), "ephemeral")
        return
    outcome = ctx.deps.services.alert_desk.add(ToolContext(ctx.team, ctx.channel, ctx.user), rule)
    if isinstance(outcome, AlertRefused):
        ctx.log.info("alert refused: %s", outcome.reason)
        ctx.reply.send(refused(tx.t("No alert was set: {reason}", reason=outcome.reason), ALERT_USAGE, tx),
                       "ephemeral")
        return
    ctx.reply.send(alert_set(ctx.user, outcome, ctx.channel_tx), "in_channel")


def run(ctx: CommandContext) -> None:
    try:
        if ctx.args and ctx.args[0].lower() in DELETE_WORDS:
            delete_alert(ctx)
        else:
            set_alert(ctx)
    except SlackCallFailed as e:
        ctx.log.error("alert command's answer not delivered: %s", e)


ALERT = Subcommand(frozenset({"alert", "알림"}), lazy(
    "`/oilprice alert Brent > 80` — tell this channel when a price crosses a level (`WTI krw > 100000`, "
    "`Dubai krw/l < 600`); `/oilprice alert delete 3` removes one"), run)
