"""Who a tool call is for, and the desk that sets alerts for them.

The tools layer knows nothing of Slack: a turn hands the engine a `ToolContext` (team, channel and user as plain
strings), the engine's loop hands it to the registry with each call, and a tool that acts for someone (only
create_alert so far) reads it. `AlertDesk` is what create_alert stores through: services.py wires it to the
store and the threshold checks, so the tool never imports the store (a layer above it)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from oilfx.i18n import Text
from oilfx.market.rule import Rule
from oilfx.tools.result import Source


@dataclass(frozen=True)
class ToolContext:
    team: str
    channel: str
    user: str


@dataclass(frozen=True)
class AlertSet:
    """An alert the desk stored."""

    id: int
    rule: Rule
    current: Decimal               # the benchmark's value in the rule's unit when it was checked (exact)
    sources: tuple[Source, ...]    # where that value came from


@dataclass(frozen=True)
class AlertRefused:
    """Nothing was stored; `reason` says why in a sentence fit for the user (too many alerts, absurd threshold,
    market down)."""

    reason: Text                # a Msg: the slash command shows it in the user's language; str() for the model
    market_down: bool = False   # the threshold could not be checked: no quote (a data failure, not a bad call)


class AlertDesk(Protocol):
    def add(self, context: ToolContext, rule: Rule) -> AlertSet | AlertRefused: ...
