"""One check of every alert and every digest: what is due is claimed in the store, handed to the Poster, and its
outcome recorded, so each crossing and each day's digest is posted once across processes and restarts.

An alert fires once per crossing: armed, its value across the threshold -> claim `alert:<team>:<id>:<fired>`,
post, then disarm it (`mark_fired`, which also moves the claim key on), then mark the claim done. A process
killed before the disarm leaves the alert armed and its claim unfinished: after the claim's TTL another process
claims it and posts (tagged with the key, so a post Slack already had is updated, not doubled). Disarmed, it is
re-armed when the value has gone back across. Each step is conditional on the crossing number read, so a process
acting on a stale reading changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from oilfx.alerts.changes import DailyHistory, day_changes
from oilfx.alerts.events import AlertFiring, DayChange, Delivery, DigestDue, Outcome, Poster
from oilfx.alerts.schedule import Due, decide, late_until
from oilfx.i18n import Text
from oilfx.market.errors import MarketUnavailable
from oilfx.market.quote import Quote, format_kst, now_utc
from oilfx.store.alerts import Alert, AlertBook, Digest

log = logging.getLogger(__name__)

LATE = timedelta(minutes=10)  # a digest posted this long after its time says when it was due


class Checker:
    def __init__(self, store: AlertBook, quotes: Callable[[], Quote], poster: Poster, *, owner: str,
                 claim_ttl: float, history: DailyHistory | None = None,
                 clock: Callable[[], datetime] = now_utc) -> None:
        """`quotes`: a fresh quote each call (not the answers' cache); `owner`: this process, in its claims;
        `claim_ttl`: seconds a killed process's claim blocks the firing before another process may post it."""
        self.store, self.quotes, self.poster = store, quotes, poster
        self.owner, self.claim_ttl, self.history, self.clock = owner, claim_ttl, history, clock
        self._gone: set[tuple[str, str]] = set()  # (team, channel or "*") disabled during this check

    # --- alerts ------------------------------------------------------------------------------------------------

    def check_alerts(self) -> None:
        alerts = list(self.store.active_alerts())
        if not alerts:
            return  # no quote fetched for nothing
        try:
            quote = self.quotes()
        except MarketUnavailable as e:
            log.warning("alerts: no quote to check %d alert(s) against (%s); next check as scheduled", len(alerts), e)
            return
        self._gone.clear()
        for alert in alerts:
            if not self._is_gone(alert.team, alert.channel):  # disabled a moment ago, by a sibling alert's post
                self._check_alert(alert, quote)

    def _is_gone(self, team: str, channel: str) -> bool:
        return (team, channel) in self._gone or (team, "*") in self._gone

    def _check_alert(self, alert: Alert, quote: Quote) -> None:
        try:
            value = alert.rule.value(quote)
        except KeyError:
            log.info("alert %d: %s is not in the quote (%s); not checked", alert.id, alert.rule.benchmark,
                     quote.missing.get(alert.rule.benchmark, "no source had it"))
            return
        holds = alert.rule.holds(value)
        if not alert.armed:
            if not holds and self.store.rearm(alert.id, alert.fired):
                log.info("alert %d re-armed: %s is back at %s", alert.id, alert.rule.benchmark, value)
            return
        if not holds:
            return
        key = alert.firing_key()
        if not self.store.claim_firing(key, self.owner, self.claim_ttl):
            return  # another process posts it, or did
        log.info("alert %d fires (%s %s %s, value %s): posting to %s", alert.id, alert.rule.benchmark,
                 alert.rule.direction.value, alert.rule.threshold, value, alert.channel)
        delivery = self.poster.post_alert(AlertFiring(alert, value, quote, key))
        if delivery.outcome is not Outcome.RETRY:
            self.store.mark_fired(alert.id, alert.fired)  # before the claim is done: see the module's docstring
        self._settle(key, alert.team, alert.channel, delivery, f"alert {alert.id}")

    # --- digests -----------------------------------------------------------------------------------------------

    def check_digests(self) -> None:
        now = self.clock()
        fetched: tuple[Quote, dict[str, DayChange | Text]] | None = None  # once per check, for every due digest
        self._gone.clear()
        for digest in self.store.list_digests():
            if digest.disabled is not None or self._is_gone(digest.team, digest.channel):
                continue
            decision = decide(digest, now)
            if decision.due not in (Due.DUE, Due.MISSED):
                continue
            key = digest.firing_key(decision.day)
            if not self.store.claim_firing(key, self.owner, self.claim_ttl):
                continue
            if decision.due is Due.MISSED:
                log.warning("digest for %s of team %s due %s was not posted in time (no bot was running?); skipped: "
                            "a missed digest is posted after start only until %s", digest.channel, digest.team,
                            format_kst(decision.scheduled_for), format_kst(late_until(decision.scheduled_for)))
                self.store.finish_firing(key, self.owner)
                continue
            if fetched is None:
                try:
                    quote = self.quotes()
                except MarketUnavailable as e:
                    log.warning("digest for %s of team %s: no quote (%s); tried again at the next check",
                                digest.channel, digest.team, e)
                    return  # our claims stay ours (a claim is ours again at the next check) or expire
                fetched = quote, day_changes(quote, self.history)
            self._post_digest(digest, *fetched, decision.scheduled_for, key, now)

    def _post_digest(self, digest: Digest, quote: Quote, changes: dict[str, DayChange | Text],
                     scheduled_for: datetime, key: str, now: datetime) -> None:
        late = now - scheduled_for >= LATE
        if late:
            log.info("digest for %s of team %s due %s: posting it late", digest.channel, digest.team,
                     format_kst(scheduled_for))
        event = DigestDue(digest, quote, changes, scheduled_for, key, late)
        self._settle(key, digest.team, digest.channel, self.poster.post_digest(event), f"digest {key}")

    # --- outcomes ----------------------------------------------------------------------------------------------

    def _settle(self, key: str, team: str, channel: str, delivery: Delivery, what: str) -> None:
        outcome = delivery.outcome
        if outcome is Outcome.RETRY:
            log.warning("%s: Slack failed (%s); tried again at the next check", what, delivery.error)
            return
        if outcome is Outcome.CHANNEL_GONE:
            self._disable(team, channel, delivery.error)
        elif outcome is Outcome.TEAM_GONE:
            channels = {a.channel for a in self.store.list_alerts(team)} | {
                d.channel for d in self.store.list_digests(team)}
            log.warning("team %s: Slack refused the bot (%s); disabling its alerts and digests", team, delivery.error)
            self._gone.add((team, "*"))
            for gone in sorted(channels):
                self._disable(team, gone, delivery.error)
        elif outcome is Outcome.FAILED:
            log.error("%s: Slack refused the post (%s); given up", what, delivery.error)
        else:
            log.info("%s posted to %s (ts %s)", what, channel, delivery.ts)
        self.store.finish_firing(key, self.owner)

    def _disable(self, team: str, channel: str, reason: str) -> None:
        count = self.store.disable_channel(team, channel, reason)
        self._gone.add((team, channel))
        log.warning("channel %s of team %s: Slack says %s; disabled its %d alert(s)/digest, which will not be "
                    "tried again (set them again once the bot is back in the channel)", channel, team, reason, count)
