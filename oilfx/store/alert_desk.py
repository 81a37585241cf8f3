"""Setting an alert, for the slash command, the model's tool and anything else: the rule's threshold checked
against the current quote (refused when absurd, or when it cannot be checked), then stored with its creator and
channel, within the channel's limit (OILFX_MAX_ALERTS). Implements the tools layer's `AlertDesk`.

A market outage refuses the alert rather than storing it unchecked: a threshold nobody could compare with the
price may be a typo (8000 for 80) that would never fire, or a wrong unit that fires at once; and while the market
is down the checker could not evaluate it anyway. The user is told to try again; nothing is stored."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from oilfx.i18n import lazy
from oilfx.market.errors import MarketUnavailable
from oilfx.market.history.series import Unit
from oilfx.market.quote import now_utc
from oilfx.market.rule import Rule
from oilfx.market.rule_parse import RuleError, check_threshold, describe_rule
from oilfx.store.alerts import AlertBook, TooManyAlerts
from oilfx.tools.common import MarketData, fx_source, oil_source
from oilfx.tools.context import AlertRefused, AlertSet, ToolContext

log = logging.getLogger(__name__)


class StoreAlertDesk:
    def __init__(self, book: AlertBook, market: MarketData, limit: int,
                 clock: Callable[[], datetime] = now_utc) -> None:
        self.book, self.market, self.limit, self.clock = book, market, limit, clock

    def add(self, context: ToolContext, rule: Rule) -> AlertSet | AlertRefused:
        try:
            quote = self.market.quote()
        except MarketUnavailable as e:
            log.warning("alert not set: no quote to check %s against: %s", describe_rule(rule), e)
            return AlertRefused(lazy("the threshold could not be checked against the current price, because the "
                                     "market data is unavailable ({error}). Nothing was stored; try again in a few "
                                     "minutes.", error=str(e)), market_down=True)
        try:
            current = check_threshold(rule, quote)
        except RuleError as e:
            return AlertRefused(e.text)
        try:
            alert = self.book.add_alert(context.team, context.channel, context.user, rule, self.limit, self.clock())
        except TooManyAlerts:
            return AlertRefused(lazy("this channel already has {limit} alerts, the most it may have "
                                     "(OILFX_MAX_ALERTS); delete one first with `/oilprice alert delete <id>`.",
                                     limit=self.limit))
        log.info("alert %d set in %s/%s by %s: %s", alert.id, context.team, context.channel, context.user,
                 describe_rule(rule))
        sources = (oil_source(quote.oil[rule.benchmark]),)
        if rule.unit is not Unit.USD:
            sources += (fx_source(quote.fx),)
        return AlertSet(alert.id, alert.rule, current, sources)
