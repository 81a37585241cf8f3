"""`/oilprice alerts`: this channel's alerts with their ids, creators and states (armed, fired, disabled), and its
digest, shown only to the user who asked, in their language."""

from __future__ import annotations

from oilfx.i18n import lazy
from oilfx.slack.alert_text import alert_list
from oilfx.slack.listeners.commands.subcommand import CommandContext, Subcommand
from oilfx.slack.replies import SlackCallFailed


def run(ctx: CommandContext) -> None:
    store = ctx.deps.services.store
    alerts = store.list_alerts(ctx.team, ctx.channel)
    digest = next((d for d in store.list_digests(ctx.team) if d.channel == ctx.channel), None)
    try:
        ctx.reply.send(alert_list(alerts, digest, ctx.tx), "ephemeral")
    except SlackCallFailed as e:
        ctx.log.error("alert list not delivered: %s", e)


ALERTS = Subcommand(frozenset({"alerts", "알림목록"}), lazy("`/oilprice alerts` — this channel's alerts and digest"),
                    run)
