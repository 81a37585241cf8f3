"""Finishing what a killed process left: at start, every open reply (a placeholder or a stream posted by a turn
that never ended, see Store.open_replies) is finished exactly once across processes.

Socket Mode acks an event at once, so Slack seldom redelivers one whose process died mid-turn; without this the
placeholder "Looking up crude prices…" (or a stream showing only task cards) stayed for good. The dead process's
event lease runs out at most OILFX_EVENT_LEASE after it died, so scanning from start until start + lease finds
every orphan as soon as it can be claimed; claim_event (SET NX / BEGIN IMMEDIATE) makes one process its finisher.
A live process's open replies are never taken: it keeps renewing their leases.
"""

from __future__ import annotations

import logging
import threading
import time

from oilfx.i18n import Texts
from oilfx.i18n import texts as i18n_texts
from oilfx.services import Services
from oilfx.slack.clients import TeamClients
from oilfx.slack.replies import SlackCallFailed
from oilfx.slack.reply_start import reopen_reply
from oilfx.slack.turn_log import thread_log
from oilfx.slack.turn_request import parse_request
from oilfx.slack.turns import TurnRunner
from oilfx.store.base import OpenReply

logger = logging.getLogger(__name__)

SCAN_INTERVAL = 0.25          # seconds between scans: an orphan is claimed at most this long after its lease ends
ANSWER_MAX_AGE = 1800.0       # an older question is not answered late: the user is asked to repeat it


def interrupted(texts: Texts) -> str:
    return texts.t("Your question was interrupted (oilfx restarted); please ask it again.")


class OrphanFinisher:
    def __init__(self, services: Services, clients: TeamClients, runner: TurnRunner) -> None:
        self.services, self.clients, self.runner = services, clients, runner

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="oilfx-orphans", daemon=True)
        thread.start()
        return thread

    def run(self) -> int:
        """Scan until every dead process's lease has run out; returns how many orphans this process finished."""
        deadline = time.monotonic() + self.services.settings.event_lease + 2 * SCAN_INTERVAL
        done: set[str] = set()
        while True:
            try:
                left = [r for r in self.services.store.open_replies() if r.event_id not in done]
            except Exception as e:  # the store is down or closed: nothing to do now, a redelivery still works
                logger.warning("could not list open replies: %s", e)
                return len(done)
            for orphan in left:
                try:
                    if self.finish(orphan):
                        done.add(orphan.event_id)
                except Exception:
                    logger.exception("could not finish the reply left by event %s", orphan.event_id)
            if not left or time.monotonic() > deadline:
                return len(done)
            time.sleep(SCAN_INTERVAL)

    def finish(self, orphan: OpenReply) -> bool:
        """Claim the orphan's event and finish its reply: answer the question, or say it was interrupted.
        False if it is not ours to finish (its owner is alive, or another process took it)."""
        request = parse_request(orphan.request)
        if request is not None and time.time() - orphan.opened_at <= ANSWER_MAX_AGE:
            taken = self.runner.take_over(request)  # the turn answers in the left reply (reply_start.start_reply)
            if taken:
                logger.warning("answering event %s, interrupted by a process that died, in its %s %s",
                               orphan.event_id, "stream" if orphan.streamed else "placeholder", orphan.ts)
            return taken
        store = self.services.store
        if not store.claim_event(orphan.event_id, self.services.settings.event_lease):
            return False
        log = thread_log(request.team if request else "-", orphan.channel, orphan.thread_ts, orphan.event_id)
        log.warning("telling the user the question was interrupted (asked %.0f s ago)", time.time() - orphan.opened_at)
        team = request.team if request else ""
        # The saved request carries its reader's language; one written by an older oilfx gets the workspace's.
        texts = request.texts if request and request.lang else i18n_texts(self.services.settings.lang)
        try:  # NotInstalled (a SlackCallFailed): the team uninstalled since; nothing to finish there
            reopen_reply(self.clients(team), orphan, team, request.user if request else "", log,
                         texts).fail(interrupted(texts))
        except SlackCallFailed as e:
            log.error("could not finish the interrupted reply: %s", e)
        finally:
            store.finish_event(orphan.event_id)
        return True
