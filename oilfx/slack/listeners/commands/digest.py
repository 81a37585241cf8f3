"""`/oilprice digest 09:00` sets this channel's weekday digest (KST; one per channel, a new time replaces the old);
`/oilprice digest off` stops it. Both are confirmed in the channel, in the workspace's language. A time that does
not parse gets what was wrong and the usage, to the user alone in their language, and nothing changes."""

from __future__ import annotations

from oilfx.i18n import lazy
from oilfx.market.quote import now_utc
from oilfx.market.rule_parse import RuleError, parse_clock
from oilfx.slack.alert_text import DIGEST_USAGE, clock, message, refused
from oilfx.slack.listeners.commands.subcommand import CommandContext, Subcommand
from oilfx.slack.replies import SlackCallFailed
from oilfx.store.alerts import Digest

OFF_WORDS = {"off", "stop", "끄기", "중지"}


def run(ctx: CommandContext) -> None:
    store = ctx.deps.services.store
    try:
        if not ctx.args:
            ctx.reply.send(refused(ctx.tx.t("No time given."), DIGEST_USAGE, ctx.tx), "ephemeral")
        elif ctx.args[0].lower() in OFF_WORDS and len(ctx.args) == 1:
            if store.clear_digest(ctx.team, ctx.channel):
                ctx.log.info("digest off, by %s", ctx.user)
                ctx.reply.send(message(ctx.channel_tx.t("<@{user}> turned this channel's weekday digest off.",
                                                        user=ctx.user)), "in_channel")
            else:
                ctx.reply.send(refused(ctx.tx.t("This channel has no digest to turn off."), DIGEST_USAGE, ctx.tx),
                               "ephemeral")
        else:
            try:
                at = parse_clock(" ".join(ctx.args))
            except RuleError as e:
                ctx.reply.send(refused(ctx.tx.t("No digest was set: {reason}.", reason=e.text), DIGEST_USAGE,
                                       ctx.tx), "ephemeral")
                return
            store.set_digest(Digest(ctx.team, ctx.channel, ctx.user, at, now_utc()))
            ctx.log.info("digest set at %s KST by %s", clock(at), ctx.user)
            ctx.reply.send(message(ctx.channel_tx.t(
                "<@{user}> set this channel's digest: every weekday at *{time} KST*, the price table and the day's "
                "change.", user=ctx.user, time=clock(at))), "in_channel")
    except SlackCallFailed as e:
        ctx.log.error("digest command's answer not delivered: %s", e)


DIGEST = Subcommand(frozenset({"digest", "다이제스트"}), lazy(
    "`/oilprice digest 09:00` — a price table here every weekday at that time (KST); `/oilprice digest off` stops "
    "it"), run)
