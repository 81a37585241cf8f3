"""`/oilprice`: bare -> the price table straight from the market (no model); `help` -> usage; a subcommand's
word (SUBCOMMANDS, one module each) -> that subcommand; anything else -> the assistant's answer, posted in the
channel as a new thread."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack

from oilfx.i18n import Texts, texts
from oilfx.market import MarketUnavailable
from oilfx.slack.caps import clean_text
from oilfx.slack.deps import Deps
from oilfx.slack.listeners.commands import chart
from oilfx.slack.listeners.commands.alert import ALERT
from oilfx.slack.listeners.commands.alerts import ALERTS
from oilfx.slack.listeners.commands.digest import DIGEST
from oilfx.slack.listeners.commands.lang import LANG
from oilfx.slack.listeners.commands.subcommand import CommandContext, Subcommand, find, user_lang
from oilfx.slack.quote_table import help_text as help_lines
from oilfx.slack.quote_table import render_quote_table
from oilfx.slack.render import SlackMessage, escape, render_error
from oilfx.slack.replies import ResponseUrlReply, SlackCallFailed
from oilfx.slack.turn_log import thread_log
from oilfx.slack.turn_request import TurnRequest

OILPRICE = "/oilprice"
HELP_WORDS = {"help", "-h", "--help", "도움말", "?"}
# Each subcommand is one module exposing a `Subcommand`; add it here.
SUBCOMMANDS: tuple[Subcommand, ...] = (chart.SUBCOMMAND, ALERT, ALERTS, DIGEST, LANG)


def help_text(tx: Texts) -> str:
    """The help in the reader's language, with one usage line per subcommand."""
    return help_lines(tx, [tx.render(s.usage) for s in SUBCOMMANDS])


def command_id(body: dict[str, Any]) -> str:
    """The dedupe id: the command's trigger_id (unique per invocation), else one derived from the form."""
    if body.get("trigger_id"):
        return "cmd-" + str(body["trigger_id"])
    basis = f"{body.get('channel_id')}:{body.get('user_id')}:{body.get('response_url')}"
    return "cmd-" + hashlib.sha256(basis.encode()).hexdigest()[:24]


def post_table(deps: Deps, body: dict[str, Any]) -> None:
    """The table goes to the whole channel, in the workspace's language; a failure only to the user, in theirs."""
    log = thread_log(body.get("team_id", ""), body.get("channel_id", ""), None, command_id(body))
    reply = ResponseUrlReply(body["response_url"], log)
    try:
        quote = deps.services.market.quote()
        table = render_quote_table(quote, texts(deps.languages.workspace), deps.services.market.pump_line())
        reply.send(table, "in_channel")
        log.info("price table posted")
    except MarketUnavailable as e:
        log.warning("market unavailable: %s", e)
        tx = texts(user_lang(deps, body))
        reply.send(render_error(tx.t("Crude prices are unavailable right now. {reason}", reason=e.text)),
                   "ephemeral")
    except SlackCallFailed as e:
        log.error("price table not delivered: %s", e)
    except Exception as e:
        log.exception("price table failed")
        tx = texts(user_lang(deps, body))
        reply.send(render_error(tx.t("Something went wrong on oilfx's side ({error}); try again.",
                                     error=type(e).__name__)), "ephemeral")


def post_help(deps: Deps, body: dict[str, Any]) -> None:
    """The help, to the user alone, in their language. Sent after the ack rather than as it: finding the language
    may take a users.info call, and the ack must not wait for Slack."""
    log = thread_log(body.get("team_id", ""), body.get("channel_id", ""), None, command_id(body))
    try:
        text = help_text(texts(user_lang(deps, body)))
        ResponseUrlReply(body["response_url"], log).send(SlackMessage(text), "ephemeral")
    except SlackCallFailed as e:
        log.error("help not delivered: %s", e)


def oilprice_callback(deps: Deps) -> Callable[..., None]:
    def handle_oilprice(ack: Ack, body: dict[str, Any]) -> None:
        text = clean_text(" ".join((body.get("text") or "").split()))
        ack()
        if text.lower() in HELP_WORDS:
            deps.background(post_help, deps, body)
            return
        if not text:
            deps.background(post_table, deps, body)
            return
        first, *rest = text.split()
        if (subcommand := find(SUBCOMMANDS, first)) is not None:
            log = thread_log(body.get("team_id", ""), body.get("channel_id", ""), None, command_id(body))
            deps.background(subcommand.run, CommandContext(deps, body, rest, log))
            return
        user = body.get("user_id", "")
        # the header heads the answer, so it is in the answer's language (the question's, else the user's), found
        # once here for both
        lang = user_lang(deps, body, question=text)
        tx = texts(lang)
        header = tx.t("<@{user}> asked: _{question}_", user=user, question=escape(text)) if user else ""
        # No thread yet: the placeholder we post becomes the thread, so replies to it continue the conversation.
        deps.runner.submit(TurnRequest(
            team=body.get("team_id", ""), channel=body.get("channel_id", ""), user=user, text=text,
            event_id=command_id(body), order="0", thread_ts=None, reply_thread_ts=None, kind="command",
            response_url=body.get("response_url"), header=header, lang=lang.value))

    return handle_oilprice


