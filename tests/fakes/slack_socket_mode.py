"""The fake Slack's Socket Mode: the websocket server behind apps.connections.open (one connection per ticket,
at most MAX_CONNECTIONS), `hello`, envelopes delivered and acked by envelope_id, Slack's retries (same payload,
new envelope), `disconnect` messages and dropped connections."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from tests.fakes.slack_state import Ack, Envelope, SlackState

MAX_CONNECTIONS = 10  # Socket Mode connections per app


@dataclass
class Conn:
    id: int
    ws: ServerConnection
    ticket: str
    opened_at: float
    peer_port: int = 0  # the client's local port: maps a connection to a bot process (connections_of)
    closed: bool = False


class SocketMode(SlackState):
    """The websocket server (its own thread and event loop) and the envelopes sent over it."""

    tickets: set[str]
    _conn_counter: Iterator[int]
    _rr: Iterator[int]
    _loop: asyncio.AbstractEventLoop | None
    _stop_ws: asyncio.Event | None
    ws_port: int
    max_connections: int
    ws_keepalive: float  # the server's ping interval and pong timeout (s)

    def _run_ws(self, started: threading.Event) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop_ws = asyncio.Event()
            async with serve(self._ws_handler, "127.0.0.1", 0, process_request=self._ws_check_ticket,
                             max_size=2**23, ping_interval=self.ws_keepalive,
                             ping_timeout=self.ws_keepalive, close_timeout=2) as server:
                self.ws_port = server.sockets[0].getsockname()[1]
                started.set()
                await self._stop_ws.wait()
                # Cut connections instead of a close handshake: a client that already closed its socket
                # without a close frame would otherwise hold shutdown for the close timeout.
                for c in list(self._conns.values()):
                    c.ws.transport.abort()

        asyncio.run(main())

    def _ws_check_ticket(self, connection: ServerConnection, request: Any) -> Any:
        query = parse_qs(urlparse(request.path).query)
        ticket = (query.get("ticket") or [""])[0]
        with self._cond:
            valid = ticket in self.tickets
            self.tickets.discard(ticket)  # one connection per ticket, as Slack's
            full = sum(not c.closed for c in self._conns.values()) >= self.max_connections
        if not valid:
            return connection.respond(401, "invalid or reused ticket\n")
        if full:
            return connection.respond(409, "too_many_websockets\n")
        return None

    async def _ws_handler(self, ws: ServerConnection) -> None:
        ticket = (parse_qs(urlparse(ws.request.path).query).get("ticket") or [""])[0]
        with self._cond:
            conn = Conn(next(self._conn_counter), ws, ticket, time.time(), ws.remote_address[1])
            self._conns[conn.id] = conn
            self.connection_log.append((time.time(), conn.id, "open"))
            open_count = sum(not c.closed for c in self._conns.values())
            self._cond.notify_all()
        hello = {"type": "hello", "num_connections": open_count,
                 "debug_info": {"host": "applink-fake-1", "build_number": 1,
                                "approximate_connection_time": 18060},
                 "connection_info": {"app_id": self.workspace.app_id}}
        try:
            await ws.send(json.dumps(hello))
            async for raw in ws:
                self._on_client_message(conn, raw)
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                conn.closed = True
                self.connection_log.append((time.time(), conn.id, "close"))
                self._cond.notify_all()

    def _on_client_message(self, conn: Conn, raw: str | bytes) -> None:
        now = time.time()
        try:
            msg = json.loads(raw)
        except ValueError:
            msg = {"unparsable": raw if isinstance(raw, str) else raw.decode(errors="replace")}
        with self._cond:
            eid = msg.get("envelope_id") if isinstance(msg, dict) else None
            env = self.envelopes.get(eid) if eid else None
            if env is not None and eid not in self.acks:
                self.acks[eid] = Ack(eid, msg, conn.id, now - env.sent_at)
            else:
                self.socket_messages.append({"connection": conn.id, "message": msg, "time": now})
            self._cond.notify_all()

    def connections(self) -> list[int]:
        """Ids of the open Socket Mode connections, oldest first."""
        with self._cond:
            return [c.id for c in self._conns.values() if not c.closed]

    def connections_of(self, pid: int) -> list[int]:
        """Open connection ids whose client socket belongs to process `pid` (e.g. one of several bot.py)."""
        import psutil

        ports = {c.laddr.port for c in psutil.Process(pid).net_connections(kind="tcp")
                 if c.raddr and c.raddr.port == self.ws_port}
        with self._cond:
            return [c.id for c in self._conns.values() if not c.closed and c.peer_port in ports]

    def wait_connections(self, n: int = 1, timeout: float = 15.0) -> list[int]:
        """Wait until at least n connections are open; return their ids."""
        return self.wait_for(lambda: len(self.connections()) >= n and self.connections(), timeout,
                             what=f"{n} Socket Mode connection(s)")

    def wait_new_connection(self, after: int, timeout: float = 15.0) -> int:
        """Wait for an open connection with id > `after` (a reconnect); return its id."""
        return self.wait_for(lambda: next((c for c in self.connections() if c > after), None), timeout,
                             what=f"a new Socket Mode connection after #{after}")

    def _send(self, conn_id: int, message: dict[str, Any]) -> None:
        conn = self._conns[conn_id]
        assert self._loop is not None
        fut = asyncio.run_coroutine_threadsafe(conn.ws.send(json.dumps(message)), self._loop)
        fut.result(timeout=10)

    def deliver(
        self, envelope_type: str, payload: dict[str, Any], connection: int | None = None,
        retry_attempt: int = 0, retry_reason: str = "", accepts_response_payload: bool | None = None,
        wait_connection: float = 15.0,
    ) -> str:
        """Send an envelope (events_api | slash_commands | interactive) over Socket Mode; return its envelope_id.
        Round-robin over open connections unless `connection` is given; waits up to `wait_connection` s for one."""
        if connection is None:
            open_ids = self.wait_connections(1, wait_connection)
            connection = open_ids[next(self._rr) % len(open_ids)]
        envelope_id = str(uuid.uuid4())
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type != "events_api"
        envelope: dict[str, Any] = {"envelope_id": envelope_id, "payload": payload, "type": envelope_type,
                                    "accepts_response_payload": accepts_response_payload}
        if envelope_type == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        with self._cond:
            self.envelopes[envelope_id] = Envelope(envelope_id, envelope_type, payload, connection, time.time(),
                                                   retry_attempt, retry_reason)
        self._send(connection, envelope)
        return envelope_id

    def deliver_envelope(self, envelope: dict[str, Any], connection: int | None = None) -> str:
        """Send a real-shaped Socket Mode envelope (e.g. one of ../shared/slack_payloads) as Slack would: its type,
        payload, accepts_response_payload and retry fields, under a fresh envelope_id (Slack's are unique)."""
        accepts = envelope.get("accepts_response_payload")
        return self.deliver(envelope["type"], envelope["payload"], connection,
                            retry_attempt=int(envelope.get("retry_attempt") or 0),
                            retry_reason=str(envelope.get("retry_reason") or ""),
                            accepts_response_payload=None if accepts is None else bool(accepts))

    def redeliver(self, envelope_id: str, retry_attempt: int = 1, retry_reason: str = "timeout",
                  connection: int | None = None) -> str:
        """Deliver an envelope's payload again as Slack's retry (same event_id, new envelope_id)."""
        env = self.envelopes[envelope_id]
        return self.deliver(env.type, env.payload, connection, retry_attempt, retry_reason)

    def wait_ack(self, envelope_id: str, timeout: float = 3.0) -> dict[str, Any]:
        """Wait for the client's ack of an envelope (Slack wants it within 3 s); return the ack message."""
        return self.wait_for(lambda: self.acks.get(envelope_id), timeout,
                             what=f"ack of envelope {envelope_id}").message

    def send_disconnect(self, connection: int, reason: str = "refresh_requested") -> None:
        """Send Slack's `disconnect` message (the client should open a new connection)."""
        self._send(connection, {"type": "disconnect", "reason": reason,
                                "debug_info": {"host": "applink-fake-1"}})

    def drop(self, connection: int | None = None, abrupt: bool = False) -> list[int]:
        """Close one connection (default: all open). abrupt=True cuts the TCP connection without a close frame.
        Returns the dropped ids. A client must reconnect through apps.connections.open."""
        ids = [connection] if connection is not None else self.connections()
        assert self._loop is not None
        for cid in ids:
            ws = self._conns[cid].ws
            if abrupt:
                self._loop.call_soon_threadsafe(ws.transport.abort)
            else:
                asyncio.run_coroutine_threadsafe(ws.close(1001, "going away"), self._loop).result(timeout=10)
        self.wait_for(lambda: all(self._conns[c].closed for c in ids), 10, what=f"connections {ids} closed")
        return ids

