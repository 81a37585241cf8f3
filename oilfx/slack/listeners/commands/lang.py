"""`/oilprice lang ko|en` (also korean|english|한국어|영어): the language oilfx writes to this user in, kept in the
store; answered in the new language, to the user alone. `/oilprice lang` alone says which language it is now and
what chose it. A question written in Korean still gets Korean whatever is chosen (the question's language wins)."""

from __future__ import annotations

from oilfx.i18n import EN, KO, Lang, Texts, lazy, texts
from oilfx.slack.alert_text import message
from oilfx.slack.listeners.commands.subcommand import CommandContext, Subcommand
from oilfx.slack.mrkdwn import escape
from oilfx.slack.replies import SlackCallFailed

NAMES = {"english": Lang.EN, "eng": Lang.EN, "korean": Lang.KO, "kor": Lang.KO}
LANGUAGE_NAMES = {Lang.KO: lazy("Korean"), Lang.EN: lazy("English")}


def parse_lang(word: str) -> Lang | None:
    return NAMES.get(word.lower()) or Lang.parse(word)


def current(ctx: CommandContext) -> str:
    """Which language oilfx writes to the user in, and what chose it (their choice, their Slack locale, or the
    workspace's default), in that language."""
    languages, team, user = ctx.deps.languages, ctx.team, ctx.user
    if (chosen := languages.chosen(team, user)) is not None:
        tx = texts(chosen)
        return tx.t("oilfx writes to you in {language}, as you chose with `/oilprice lang`. Change it with "
                    "`/oilprice lang ko` or `/oilprice lang en`.", language=LANGUAGE_NAMES[chosen])
    try:
        locale = languages.locale(ctx.deps.clients(team), team, user) if user else None
    except Exception:  # not installed (OAuth): the workspace's default decides
        locale = None
    if locale is not None:
        tx = texts(locale)
        return tx.t("oilfx writes to you in {language}, the language of your Slack account. Choose another with "
                    "`/oilprice lang ko` or `/oilprice lang en`.", language=LANGUAGE_NAMES[locale])
    tx = texts(languages.workspace)
    return tx.t("oilfx writes to you in {language}, this workspace's default. Choose another with "
                "`/oilprice lang ko` or `/oilprice lang en`.", language=LANGUAGE_NAMES[languages.workspace])


def bad_value(word: str, tx: Texts) -> str:
    """Both languages, the user's first: someone who typed a wrong language name may not read the other one."""
    lines = []
    for each in (tx, EN if tx is KO else KO):
        lines.append(":warning: " + each.t("`{value}` is not a language oilfx writes. Use `/oilprice lang ko` "
                                           "(한국어) or `/oilprice lang en` (English).", value=escape(word)))
    return "\n".join(lines)


def run(ctx: CommandContext) -> None:
    try:
        if not ctx.args:
            ctx.reply.send(message(current(ctx)), "ephemeral")
            return
        lang = parse_lang(ctx.args[0]) if len(ctx.args) == 1 else None
        if lang is None:
            ctx.reply.send(message(bad_value(" ".join(ctx.args), ctx.tx)), "ephemeral")
            return
        try:
            ctx.deps.languages.choose(ctx.team, ctx.user, lang)
        except Exception:  # the store is down: say so in the language they asked for
            ctx.log.exception("language choice of %s not stored", ctx.user)
            ctx.reply.send(message(texts(lang).t(":warning: Your choice could not be saved right now; try again in "
                                                 "a minute.")), "ephemeral")
            return
        ctx.log.info("%s chose %s", ctx.user, lang.value)
        tx = texts(lang)
        ctx.reply.send(message(tx.t("Done: oilfx now writes to you in {language}. A question written in another "
                                    "language is still answered in that language.",
                                    language=LANGUAGE_NAMES[lang])), "ephemeral")
    except SlackCallFailed as e:
        ctx.log.error("lang command's answer not delivered: %s", e)


LANG = Subcommand(frozenset({"lang", "language", "언어"}),
                  lazy("`/oilprice lang ko` or `/oilprice lang en` — the language oilfx writes to you in"), run)
