"""The order in which this process read each thread's questions off its socket, kept until each has entered the
thread's turn queue.

Socket Mode hands envelopes to a pool of workers, and Bolt runs listeners on another: under a burst the question
read first can reach `TurnRunner.submit` a second after the one read next, longer than any fixed settling time.
Measured on 2 cores (tests/test_scaleout_two_bots.py, back to back): a thread's third message entered the queue
0.44 s after its fourth, on both processes, so the fourth was answered first. So the socket reader notes each
question as it reads the frame (`expect`), the listener marks it when it has entered the queue or been dropped
(`settled_after`), and a follow-up waits for the earlier questions of its thread this process has read and not yet
queued (`wait_for_earlier`), at most MAX_WAIT. What another process read is the settling time's job (turns.py).
Threads are told apart by team too: two workspaces may have the same channel id (`team` "" where none is known).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

MAX_WAIT = 3.0   # seconds a follow-up waits for earlier questions read here: a missed mark costs this, no more
KEPT = 10_000    # questions remembered at once; beyond it the oldest are forgotten (they stop holding anyone up)


class Arrivals:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        # Keyed by "<team>/<channel>": (that, thread root) -> {ts: read at}; (that, ts) -> thread root
        self._pending: dict[tuple[str, str], dict[str, float]] = {}
        self._root: dict[tuple[str, str], str] = {}

    def expect(self, channel: str, root: str, ts: str, team: str = "") -> None:
        """A question (channel, ts) in the thread rooted at `root` was read off the socket."""
        channel = f"{team}/{channel}"
        with self._changed:
            self._pending.setdefault((channel, root), {})[ts] = time.monotonic()
            self._root[(channel, ts)] = root
            while len(self._root) > KEPT:
                old_channel_ts, old_root = next(iter(self._root.items()))
                self._forget(old_channel_ts, old_root)

    def arrived(self, channel: str, ts: str, team: str = "") -> None:
        """The question has entered its thread's queue, or will never be a turn (ignored, a duplicate)."""
        channel = f"{team}/{channel}"
        with self._changed:
            root = self._root.get((channel, ts))
            if root is not None:
                self._forget((channel, ts), root)
                self._changed.notify_all()

    def wait_for_earlier(self, channel: str, root: str, ts: str, timeout: float = MAX_WAIT,
                         team: str = "") -> list[str]:
        """Wait until every question of the thread read here with a lower ts has arrived; the ones still missing
        when `timeout` ran out (empty: none)."""
        channel = f"{team}/{channel}"
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                earlier = [t for t in self._pending.get((channel, root), {}) if float(t) < float(ts)]
                left = deadline - time.monotonic()
                if not earlier or left <= 0:
                    return earlier
                self._changed.wait(left)

    def _forget(self, channel_ts: tuple[str, str], root: str) -> None:
        del self._root[channel_ts]
        waiting = self._pending.get((channel_ts[0], root), {})
        waiting.pop(channel_ts[1], None)
        if not waiting:
            self._pending.pop((channel_ts[0], root), None)


# One per process: the socket reader, the listeners and the turn runner meet here.
ARRIVALS = Arrivals()


def expect_question(envelope: dict[str, Any]) -> None:
    """Note an `events_api` envelope's question as its frame is read: an @mention, or a user's message in a DM
    (what the listeners answer; anything else is not waited for)."""
    event = (envelope.get("payload") or {}).get("event") or {}
    if not isinstance(event, dict) or event.get("type") not in ("app_mention", "message"):
        return
    if event.get("type") == "message" and event.get("channel_type") != "im":
        return
    if event.get("subtype") not in (None, "file_share", "thread_broadcast") or event.get("bot_id"):
        return
    channel, ts = event.get("channel"), event.get("ts")
    if isinstance(channel, str) and isinstance(ts, str):
        ARRIVALS.expect(channel, str(event.get("thread_ts") or ts), ts, team=_team(envelope.get("payload") or {}))


def settled_after(listener: Callable[..., None]) -> Callable[..., None]:
    """The listener, marking its event's question arrived when it returns (queued by submit, or dropped)."""

    @functools.wraps(listener)  # Bolt reads the wrapped function's argument names to inject them
    def run(**kwargs: Any) -> None:
        try:
            listener(**kwargs)
        finally:
            event = kwargs.get("event") or {}
            if isinstance(event.get("channel"), str) and isinstance(event.get("ts"), str):
                ARRIVALS.arrived(event["channel"], event["ts"], team=_team(kwargs.get("body") or {}))

    return run


def _team(body: dict[str, Any]) -> str:
    """The workspace of an event_callback body, as the listeners read it (events/common.py team_id: the turn's
    team, which wait_for_earlier is asked with; Slack always names it). Every listener wrapped by settled_after
    takes `body`."""
    event = body.get("event") or {}
    return str(body.get("team_id") or event.get("team") or "")
