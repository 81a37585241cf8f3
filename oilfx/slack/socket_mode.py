"""Socket Mode that survives a burst on a busy process: slack_sdk's built-in client, with three changes.

1. Events are acked as soon as their frame is read. Slack wants an ack within 3 s and retries an unacked event
   only after about a minute. slack_sdk hands each envelope from the receive thread to a queue, a dispatcher
   thread and a worker pool before Bolt acks it; under a burst every hand-off waits for the GIL behind ~100 busy
   turn threads. An `events_api` ack carries no payload, and Bolt acks events before running the listener anyway
   (process_before_response=False), so acking as the frame is read changes nothing but the delay. The receive
   thread only queues the envelope id: one acker thread sends every queued ack in one write, because each socket
   write gives the GIL up and waiting to get it back, once per envelope, is what made the reader fall behind
   (and miss the server's pings). Bolt's own ack for the same envelope is dropped; slash commands and
   interactions are still acked by Bolt (their ack can carry a payload).
2. A larger receive buffer: slack_sdk reads 1 KB per recv() by default, so a ~3 KB envelope took several
   syscalls, each giving the GIL up and waiting for it again.
3. A staleness check that does not mistake a starved process for a dead socket. slack_sdk calls a connection
   stale when no pong arrived for 4 ping intervals, judged by its monitor thread: starved for a few seconds, it
   sends no pings, then sends one and at once finds the last pong old, and replaces a healthy connection. The
   envelopes already sent on it but not yet read are lost with the old socket (151-181 of a 300-mention burst).
   Here any frame read counts as life, bytes waiting unread in the socket mean the reader is behind (not that
   the peer is gone), and a monitor tick that itself ran late restarts the count: only a silence measured on a
   punctual schedule is a dead socket. A closed connection is still replaced at once (slack_sdk's close
   handling) and a cut one after STALE_AFTER_PINGS silent intervals.
"""

from __future__ import annotations

import array
import contextlib
import json
import logging
import queue
import threading
import time
from collections import OrderedDict
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.builtin.connection import Connection
from slack_sdk.socket_mode.builtin.frame_header import FrameHeader
from slack_sdk.socket_mode.builtin.internals import _build_data_frame_for_sending
from slack_sdk.socket_mode.response import SocketModeResponse

from oilfx.slack.arrivals import expect_question

logger = logging.getLogger(__name__)

RECEIVE_BUFFER = 64 * 1024     # bytes per recv(); slack_sdk's frame parser recurses once per frame in a read
STALE_AFTER_PINGS = 4          # silent ping intervals, on a punctual schedule, before a socket counts as dead
LATE_TICK = 2.0                # a monitor tick later than this many intervals: the process was starved
EARLY_ACKS_KEPT = 10_000       # envelope ids acked early whose Bolt ack is still to drop (bounded)


def unread_bytes(session: Connection) -> int:
    """Bytes the kernel (or TLS layer) holds for `session` that its reader has not taken yet; 0 if unknown."""
    sock = session.sock
    if sock is None:
        return 0
    pending = 0
    try:
        pending = sock.pending() if hasattr(sock, "pending") else 0  # decrypted, buffered in the SSL object
        import fcntl
        import termios

        count = array.array("i", [0])
        fcntl.ioctl(sock.fileno(), termios.FIONREAD, count, True)
        pending += count[0]
    except (ImportError, OSError, ValueError):  # no FIONREAD here (Windows) or the socket just closed
        pass
    return pending


class _Silence:
    """When the current session was last known alive, on time.monotonic()."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.session: Connection | None = None
        self.since = 0.0          # no sign of life since then
        self.last_tick = 0.0
        self.heard = 0.0          # a text frame was read (any session of this client)

    def stale(self, session: Connection) -> bool:
        now = time.monotonic()
        if session is not self.session:
            self.session, self.since, self.last_tick = session, now, now
            return False
        late = now - self.last_tick > LATE_TICK * self.interval
        self.last_tick = now
        if late or unread_bytes(session) > 0:
            self.since = now  # starved or behind: no evidence either way, so count again from here
        if session.last_ping_pong_time is not None:  # wall time our answered ping was sent
            self.since = max(self.since, now - (time.time() - session.last_ping_pong_time))
        self.since = max(self.since, self.heard)
        return now - self.since > STALE_AFTER_PINGS * self.interval


class BurstSafeClient(SocketModeClient):
    """slack_sdk's built-in client with the early ack and the starvation-aware staleness check (module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._silence = _Silence(self.ping_interval)
        self._acked_early: OrderedDict[str, None] = OrderedDict()
        self._acked_lock = threading.Lock()
        self._ack_queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        threading.Thread(target=self._ack_loop, name="socket-mode-acker", daemon=True).start()

    def _on_message(self, message: str) -> None:  # the receive thread, as each text frame is read
        self._silence.heard = time.monotonic()
        envelope = _events_envelope(message)
        if envelope is not None:
            envelope_id = str(envelope["envelope_id"])
            expect_question(envelope)  # before any worker can see it: the read order is the thread's order
            with self._acked_lock:  # from now on Bolt's ack of it is dropped: the acker sends it
                self._acked_early[envelope_id] = None
                while len(self._acked_early) > EARLY_ACKS_KEPT:
                    self._acked_early.popitem(last=False)
            self._ack_queue.put(envelope_id)
        super()._on_message(message)

    def _ack_loop(self) -> None:
        while not self.closed:
            try:
                batch = [self._ack_queue.get(timeout=1.0)]
            except queue.Empty:
                continue
            while True:
                try:
                    batch.append(self._ack_queue.get_nowait())
                except queue.Empty:
                    break
            self._send_acks(batch)

    def _send_acks(self, envelope_ids: list[str]) -> None:
        """All the acks in one write on the current connection; one by one through slack_sdk if that fails (its
        send waits for a replaced connection)."""
        session = self.current_session
        frames = b"".join(_build_data_frame_for_sending(json.dumps({"envelope_id": e}), FrameHeader.OPCODE_TEXT)
                          for e in envelope_ids)
        try:
            assert session is not None and session.sock is not None
            with session.sock_send_lock:
                session.sock.sendall(frames)
            return
        except Exception as e:
            logger.info("acking %d envelope(s) in one write failed (%s); acking one by one", len(envelope_ids), e)
        for envelope_id in envelope_ids:
            try:
                self.send_message(json.dumps({"envelope_id": envelope_id}))
            except Exception as e:
                logger.warning("could not ack envelope %s (%s); Slack will deliver it again", envelope_id, e)

    def send_socket_mode_response(self, response: dict[str, Any] | SocketModeResponse) -> None:
        envelope_id = (response.envelope_id if isinstance(response, SocketModeResponse)
                       else response.get("envelope_id"))
        with self._acked_lock:
            if envelope_id in self._acked_early:
                del self._acked_early[envelope_id]
                return
        super().send_socket_mode_response(response)

    def _monitor_current_session(self) -> None:  # every ping interval, on slack_sdk's monitor thread
        if not self.current_app_monitor_started:
            return
        session = self.current_session
        try:
            if session is not None and session.is_active():
                session.ping(f"{session.session_id}:{time.time()}")  # answered with a pong: last_ping_pong_time
                if self._silence.stale(session):
                    logger.info("Socket Mode connection silent for %d ping intervals on a punctual schedule; "
                                "reconnecting (session id: %s)", STALE_AFTER_PINGS, session.session_id)
                    session.disconnect()
        except Exception as e:  # a failed ping: the socket is gone (never let this thread die: it reconnects)
            logger.info("Socket Mode ping failed (%s: %s); reconnecting", type(e).__name__, e)
            with contextlib.suppress(Exception):
                session.disconnect()  # type: ignore[union-attr]
        try:
            if self.auto_reconnect_enabled and (self.current_session is None or not self.current_session.is_active()):
                logger.info("Socket Mode session closed; reconnecting (session id: %s)", self.session_id())
                self.connect_to_new_endpoint()
        except Exception as e:
            logger.error("Socket Mode reconnect failed (%s: %s); trying again in %g s", type(e).__name__, e,
                         self.ping_interval)


def _events_envelope(message: str) -> dict[str, Any] | None:
    """An `events_api` envelope (acked without a payload, at once), else None."""
    if '"events_api"' not in message:
        return None
    try:
        envelope = json.loads(message)
    except ValueError:
        return None
    if isinstance(envelope, dict) and envelope.get("type") == "events_api" and envelope.get("envelope_id"):
        return envelope
    return None


class BurstSafeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler on BurstSafeClient (its own __init__ would build the stock client)."""

    def __init__(self, app: App, app_token: str, ping_interval: float, concurrency: int) -> None:
        self.app = app
        self.app_token = app_token
        self.client = BurstSafeClient(
            app_token=app_token, logger=app.logger, web_client=app.client, proxy=app.client.proxy,
            ping_interval=ping_interval, receive_buffer_size=RECEIVE_BUFFER, concurrency=concurrency)
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]
