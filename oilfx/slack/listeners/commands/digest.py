"""`/oilprice digest 09:00` sets this channel's weekday digest (KST; one per channel, a new time replaces the old);
`/oilprice digest off` stops it. A time that does not parse gets what was wrong and the usage, and nothing
changes."""

from __future__ import annotations

from oilfx.market.quote import now_utc
from oilfx.market.rule_parse import RuleError, parse_clock
from oilfx.slack.alert_text import DIGEST_USAGE, message, refused
from oilfx.slack.listeners.commands.subcommand import CommandContext, Subcommand
from oilfx.slack.replies import SlackCallFailed
from oilfx.store.alerts import Digest

OFF_WORDS = {"off", "stop", "끄기", "중지"}


def run(ctx: CommandContext) -> None:
    store = ctx.deps.services.store
    try:
        if not ctx.args:
            ctx.reply.send(refused("No time given.", DIGEST_USAGE), "ephemeral")
        elif ctx.args[0].lower() in OFF_WORDS and len(ctx.args) == 1:
            if store.clear_digest(ctx.team, ctx.channel):
                ctx.log.info("digest off, by %s", ctx.user)
                ctx.reply.send(message(f"<@{ctx.user}> turned this channel's weekday digest off."), "in_channel")
            else:
                ctx.reply.send(refused("This channel has no digest to turn off.", DIGEST_USAGE), "ephemeral")
        else:
            try:
                at = parse_clock(" ".join(ctx.args))
            except RuleError as e:
                ctx.reply.send(refused(f"No digest was set: {e}.", DIGEST_USAGE), "ephemeral")
                return
            store.set_digest(Digest(ctx.team, ctx.channel, ctx.user, at, now_utc()))
            ctx.log.info("digest set at %s KST by %s", at.strftime("%H:%M"), ctx.user)
            ctx.reply.send(message(f"<@{ctx.user}> set this channel's digest: every weekday at "
                                   f"*{at.strftime('%H:%M')} KST*, the price table and the day's change."),
                           "in_channel")
    except SlackCallFailed as e:
        ctx.log.error("digest command's answer not delivered: %s", e)


DIGEST = Subcommand(frozenset({"digest", "다이제스트"}), "`/oilprice digest 09:00` — a price table here every "
                    "weekday at that time (KST); `/oilprice digest off` stops it", run)
