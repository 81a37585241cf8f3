"""`/oilprice <word> ...` subcommands: each is one module that exposes a `Subcommand`, listed in oilprice.py's
SUBCOMMANDS. A subcommand runs on our pool after the command is acked, and answers through the response_url."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oilfx.i18n import Lang, Msg, Texts, question_lang, texts
from oilfx.slack.deps import Deps
from oilfx.slack.replies import ResponseUrlReply


@dataclass
class CommandContext:
    deps: Deps
    body: dict[str, Any]
    args: list[str]   # the words after the subcommand's own word, as typed (case kept)
    log: logging.LoggerAdapter | logging.Logger
    _reply: ResponseUrlReply | None = field(default=None, repr=False)

    @property
    def team(self) -> str:
        return str(self.body.get("team_id", ""))

    @property
    def channel(self) -> str:
        return str(self.body.get("channel_id", ""))

    @property
    def user(self) -> str:
        return str(self.body.get("user_id", ""))

    @functools.cached_property
    def tx(self) -> Texts:
        """The user's language, for what only they see (ephemeral answers, refusals, usage)."""
        return texts(user_lang(self.deps, self.body))

    @functools.cached_property
    def channel_tx(self) -> Texts:
        """For what the channel sees (confirmations posted in_channel, the chart): the workspace's language, unless
        the command itself was written in Korean (`/oilprice 차트 두바이 1년`): then Korean, as a question in Korean
        is answered in Korean."""
        written = question_lang(str(self.body.get("text") or ""))
        return texts(Lang.KO if written is Lang.KO else self.deps.languages.workspace)

    @property
    def reply(self) -> ResponseUrlReply:
        if self._reply is None:
            self._reply = ResponseUrlReply(self.body["response_url"], self.log)
        return self._reply


@dataclass(frozen=True)
class Subcommand:
    words: frozenset[str]                 # the first words that select it, lower case ("chart", "차트")
    usage: Msg                            # one line for help: "/oilprice chart WTI 3m — ..."
    run: Callable[[CommandContext], None]  # on our pool, after the ack


def find(subcommands: tuple[Subcommand, ...], word: str) -> Subcommand | None:
    key = word.lower()
    return next((s for s in subcommands if key in s.words), None)


def user_lang(deps: Deps, body: dict[str, Any], question: str | None = None) -> Lang:
    """The language of the user who typed the command. A subcommand's words are not a question ("chart WTI 3m",
    "alert brent goes above 80"), so they choose only when they are Korean ("/oilprice 차트 두바이 1년"); otherwise
    the user's `/oilprice lang` choice, Slack locale or the workspace's language decide. `question`: a real
    question (`/oilprice <question>`), whose language wins like a message's."""
    team, user = str(body.get("team_id", "")), str(body.get("user_id", ""))
    text = str(body.get("text") or "")
    if question is None:
        question = text if question_lang(text) is Lang.KO else ""
    try:
        client = deps.clients(team) if team else None
    except Exception:  # not installed (OAuth): no locale to read, the rest still decides
        client = None
    return deps.languages.for_user(client, team, user, question)
