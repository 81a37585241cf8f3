"""`/oilprice <word> ...` subcommands: each is one module that exposes a `Subcommand`, listed in oilprice.py's
SUBCOMMANDS. A subcommand runs on our pool after the command is acked, and answers through the response_url."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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

    @property
    def reply(self) -> ResponseUrlReply:
        if self._reply is None:
            self._reply = ResponseUrlReply(self.body["response_url"], self.log)
        return self._reply


@dataclass(frozen=True)
class Subcommand:
    words: frozenset[str]                 # the first words that select it, lower case ("chart", "차트")
    usage: str                            # one line for help: "/oilprice chart WTI 3m — ..."
    run: Callable[[CommandContext], None]  # on our pool, after the ack


def find(subcommands: tuple[Subcommand, ...], word: str) -> Subcommand | None:
    key = word.lower()
    return next((s for s in subcommands if key in s.words), None)
