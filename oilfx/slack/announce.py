"""The Slack side of alerts and digests: the Poster (oilfx/alerts/events.py) that posts them, and the one call
that starts the checks with the bot (`start_announcer`).

Posts go through writes.post_once, tagged with the firing's claim key and looked for first: when a process was
killed mid-post and another took the firing over after the claim's TTL, a post Slack already had is updated, not
doubled. Slack's answer decides what happens next: a channel that is gone (or the bot removed from it) gets its
alerts and digest disabled, a refused token disables the team's, a transient failure is tried again later.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from slack_sdk import WebClient

from oilfx.alerts.checker import Checker
from oilfx.alerts.events import AlertFiring, Delivery, DigestDue, Outcome
from oilfx.alerts.scheduler import Scheduler, process_owner
from oilfx.i18n import Texts, texts
from oilfx.market import Market, MemoryCache
from oilfx.services import Services
from oilfx.slack.announce_render import render_alert, render_digest
from oilfx.slack.api_watch import AUTH_ERRORS
from oilfx.slack.render import SlackMessage
from oilfx.slack.writes import SlackCallFailed, post_once, unsure

log = logging.getLogger(__name__)

CHANNEL_GONE = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
# The token is refused (api_watch's list, token_expired included: that one was retried every check before) or
# the workspace shut the app out: the team's alerts and digests are disabled.
TEAM_GONE = AUTH_ERRORS | {"team_access_not_granted"}
REFUSED_BLOCKS = frozenset({"invalid_blocks", "invalid_blocks_format"})  # the plain text is posted instead

ClientFor = Callable[[str], WebClient]  # team id -> a client with that workspace's bot token


def outcome_of(error: SlackCallFailed) -> Outcome:
    if error.error in CHANNEL_GONE:
        return Outcome.CHANNEL_GONE
    if error.error in TEAM_GONE:
        return Outcome.TEAM_GONE
    if unsure(error):
        return Outcome.RETRY
    return Outcome.FAILED


class SlackPoster:
    """Posts in the workspace's language (OILFX_LANG): a channel post has no one reader whose language could
    decide."""

    def __init__(self, client_for: ClientFor, tx: Texts) -> None:
        self.client_for, self.tx = client_for, tx

    def post_alert(self, event: AlertFiring) -> Delivery:
        return self._post(event.alert.team, event.alert.channel, render_alert(event, self.tx), event.key)

    def post_digest(self, event: DigestDue) -> Delivery:
        return self._post(event.digest.team, event.digest.channel, render_digest(event, self.tx), event.key)

    def _post(self, team: str, channel: str, message: SlackMessage, key: str) -> Delivery:
        client = self.client_for(team)
        try:
            try:
                ts, _ = post_once(client, log, channel, None, message.text, message.blocks, key, look_first=True)
            except SlackCallFailed as e:
                if e.error not in REFUSED_BLOCKS:
                    raise
                log.warning("%s: Slack refused the blocks (%s); posting the plain text", key, e.error)
                ts, _ = post_once(client, log, channel, None, message.text, None, key, look_first=True)
        except SlackCallFailed as e:
            return Delivery(outcome_of(e), e.error)
        return Delivery(Outcome.POSTED, ts=ts)


def start_announcer(services: Services, client_for: ClientFor) -> Scheduler:
    """Start checking alerts (every OILFX_ALERT_INTERVAL s, against fresh quotes: a cache that never keeps them)
    and digests; the caller stops it on shutdown."""
    settings = services.settings
    fresh = Market(dataclasses.replace(settings, cache_ttl=0), cache=MemoryCache())
    # The day's change from the answers' market: earlier closes do not change, so its history cache serves.
    checker = Checker(services.store, fresh.quote, SlackPoster(client_for, texts(settings.lang)), owner=process_owner(),
                      claim_ttl=settings.alert_claim_ttl, history=services.market)
    return Scheduler(checker, settings.alert_interval).start()
