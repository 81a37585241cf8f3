"""`/oilprice`: bare -> the price table straight from the market (no model); `help` -> usage; a subcommand's
word (SUBCOMMANDS, one module each) -> that subcommand; anything else -> the assistant's answer, posted in the
channel as a new thread."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack

from oilfx.market import MarketUnavailable
from oilfx.slack.caps import clean_text
from oilfx.slack.deps import Deps
from oilfx.slack.listeners.commands import chart
from oilfx.slack.listeners.commands.alert import ALERT
from oilfx.slack.listeners.commands.alerts import ALERTS
from oilfx.slack.listeners.commands.digest import DIGEST
from oilfx.slack.listeners.commands.subcommand import CommandContext, Subcommand, find
from oilfx.slack.quote_table import HELP_TEXT, render_quote_table
from oilfx.slack.render import escape, render_error
from oilfx.slack.replies import ResponseUrlReply, SlackCallFailed
from oilfx.slack.turn_log import thread_log
from oilfx.slack.turn_request import TurnRequest

OILPRICE = "/oilprice"
HELP_WORDS = {"help", "-h", "--help", "도움말", "?"}
# Each subcommand is one module exposing a `Subcommand`; add it here.
SUBCOMMANDS: tuple[Subcommand, ...] = (chart.SUBCOMMAND, ALERT, ALERTS, DIGEST)


def help_text() -> str:
    """The help, with one usage line per subcommand."""
    return "\n".join([HELP_TEXT, *(f"• {s.usage}" for s in SUBCOMMANDS)])


def command_id(body: dict[str, Any]) -> str:
    """The dedupe id: the command's trigger_id (unique per invocation), else one derived from the form."""
    if body.get("trigger_id"):
        return "cmd-" + str(body["trigger_id"])
    basis = f"{body.get('channel_id')}:{body.get('user_id')}:{body.get('response_url')}"
    return "cmd-" + hashlib.sha256(basis.encode()).hexdigest()[:24]


def post_table(deps: Deps, body: dict[str, Any]) -> None:
    log = thread_log(body.get("team_id", ""), body.get("channel_id", ""), None, command_id(body))
    reply = ResponseUrlReply(body["response_url"], log)
    try:
        quote = deps.services.market.quote()
        reply.send(render_quote_table(quote, deps.services.market.pump_line()), "in_channel")
        log.info("price table posted")
    except MarketUnavailable as e:
        log.warning("market unavailable: %s", e)
        reply.send(render_error(f"Crude prices are unavailable right now. {e}"), "ephemeral")
    except SlackCallFailed as e:
        log.error("price table not delivered: %s", e)
    except Exception as e:
        log.exception("price table failed")
        reply.send(render_error(f"Something went wrong on oilfx's side ({type(e).__name__}); try again."),
                   "ephemeral")


def oilprice_callback(deps: Deps) -> Callable[..., None]:
    def handle_oilprice(ack: Ack, body: dict[str, Any]) -> None:
        text = clean_text(" ".join((body.get("text") or "").split()))
        if text.lower() in HELP_WORDS:
            ack(text=help_text())
            return
        ack()
        if not text:
            deps.background(post_table, deps, body)
            return
        first, *rest = text.split()
        if (subcommand := find(SUBCOMMANDS, first)) is not None:
            log = thread_log(body.get("team_id", ""), body.get("channel_id", ""), None, command_id(body))
            deps.background(subcommand.run, CommandContext(deps, body, rest, log))
            return
        user = body.get("user_id", "")
        header = f"<@{user}> asked: _{escape(text)}_" if user else ""
        # No thread yet: the placeholder we post becomes the thread, so replies to it continue the conversation.
        deps.runner.submit(TurnRequest(
            team=body.get("team_id", ""), channel=body.get("channel_id", ""), user=user, text=text,
            event_id=command_id(body), order="0", thread_ts=None, reply_thread_ts=None, kind="command",
            response_url=body.get("response_url"), header=header))

    return handle_oilprice


