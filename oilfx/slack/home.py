"""Publishing a user's App Home: the data gathered (the market's table, the user's alerts and digests from the
store) and the view published with views.publish, in the user's language (their `/oilprice lang` choice, Slack
locale or the workspace's). Used when the tab opens and after a Delete click."""

from __future__ import annotations

import logging
from collections.abc import Callable

from oilfx.i18n import Texts, texts
from oilfx.market import MarketUnavailable
from oilfx.slack.deps import Deps
from oilfx.slack.home_view import HomeData, render_home
from oilfx.slack.writes import call

HelpText = Callable[[Texts], str]   # the help in a language (oilprice.help_text: it knows the subcommands)


def home_data(deps: Deps, team: str, user: str, help_text: HelpText) -> HomeData:
    market, store = deps.services.market, deps.services.store
    try:
        quote, error = market.quote(), ""
    except MarketUnavailable as e:
        quote, error = None, e.text
    pump = market.pump_line() if quote is not None else None
    alerts = [a for a in store.list_alerts(team) if a.creator == user]
    digests = [d for d in store.list_digests(team) if d.creator == user]
    tx = texts(deps.languages.for_user(deps.clients(team), team, user))
    return HomeData(quote, error, pump, alerts, digests, help_text(tx), tx)


def publish_home(deps: Deps, team: str, user: str, help_text: HelpText, log: logging.LoggerAdapter) -> None:
    """SlackCallFailed when Slack refuses the view (logged with its error code)."""
    data = home_data(deps, team, user, help_text)
    view = render_home(data)
    call(log, "views.publish", deps.clients(team).views_publish, user_id=user, view=view)
    log.info("home published for %s: %d alert(s), %d digest(s)", user, len(data.alerts), len(data.digests))
