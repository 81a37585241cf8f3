"""The Redis store's turn queue: one turn at a time per thread, across processes, in message order (TurnQueue).

Keys (per thread; the {<thread>} hash tag keeps the three in one slot, so the scripts work on a cluster too):
  turn:{<thread>}:lock   owner token, PX expiry renewed on the heartbeat while the turn runs
  turn:{<thread>}:queue  zset (all scores 0, so ordered by member): "<fixed-width ts>|<arrival>|<token>"
  turn:{<thread>}:alive  zset  the same members scored by heartbeat deadline (ms); dead waiters are dropped
Two renewals keep this process's part alive on the process's heartbeat (heartbeat.py): the queue entries of
messages whose turn has not started, and the locks of turns running.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from redis.exceptions import RedisError

from oilfx.store import turn_order
from oilfx.store.heartbeat import Renewals
from oilfx.store.queue import ThreadKey, TurnTicket
from oilfx.store.redis_client import wrap_errors
from oilfx.store.redis_scripts import Scripts

log = logging.getLogger(__name__)

_Entry = tuple[list[str], str]  # (the thread's turn keys, our queue member)
_Lock = tuple[ThreadKey, str]   # (the thread, its lock key)


def _order_member(order: str, token: str) -> str:
    """Fixed-width so Redis's byte order of members is the numeric order of Slack ts values."""
    value = turn_order(order).quantize(Decimal("1e-9"))
    whole, _, frac = f"{value:f}".partition(".")
    return f"{int(whole):020d}.{frac:0<9}|{time.time_ns():020d}|{token}"


class RedisTurns:
    client: Any
    prefix: str
    scripts: Scripts
    lock_ttl: float
    _scrub: Callable[[BaseException], str]

    def _start_turns(self) -> None:
        # Heartbeats must land well within the TTL, or other processes drop a waiter as dead / take the lock.
        self._entered = Renewals(lambda: self.lock_ttl / 3, self._keep_entries)  # ticket token -> _Entry
        # exclusive: a lock renewed after its release would be re-taken (the renew script re-sets a missing key).
        self._locks = Renewals(lambda: self.lock_ttl / 3, self._keep_locks, exclusive=True)  # token -> _Lock

    def _stop_turns(self) -> None:
        self._entered.stop()
        self._locks.stop()

    def _turn_keys(self, key: ThreadKey) -> list[str]:
        base = f"{self.prefix}turn:{{{key}}}:"
        return [base + "lock", base + "queue", base + "alive"]

    def _ttl_ms(self) -> int:
        return max(1, int(self.lock_ttl * 1000))

    @wrap_errors
    def enter_turn(self, key: ThreadKey, order: str) -> TurnTicket:
        token = uuid.uuid4().hex
        member = _order_member(order, token)
        keys = self._turn_keys(key)
        self.scripts.enter(keys=keys[1:], args=[member, self._ttl_ms()])
        self._entered.add(token, (keys, member))
        return TurnTicket(key, order, token)

    def leave_turn(self, ticket: TurnTicket) -> None:
        entry = self._entered.pop(ticket.token)
        if entry is None:
            return  # its turn started (or it left already)
        keys, member = entry  # type: ignore[misc]
        try:
            self.client.zrem(keys[1], member)
            self.client.zrem(keys[2], member)
        except RedisError:
            pass  # no more heartbeats: the entry is dropped as dead within lock_ttl

    def _keep_entries(self, entries: list[tuple[str, object]]) -> None:
        """Heartbeats for every entered message whose turn has not started, in one round trip."""
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for _, (keys, member) in entries:  # type: ignore[misc]
                    self.scripts.heartbeat(keys=keys[1:], args=[member, self._ttl_ms()], client=pipe)
                pipe.execute()
        except RedisError as e:
            log.warning("could not renew %d waiting turn(s): %s", len(entries), self._scrub(e))

    def _keep_locks(self, locks: list[tuple[str, object]]) -> None:
        """The locks of the turns running here, renewed in one round trip."""
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for token, (_, lock_key) in locks:  # type: ignore[misc]
                    self.scripts.renew(keys=[lock_key], args=[token, self._ttl_ms()], client=pipe)
                results = pipe.execute(raise_on_error=False)
        except RedisError as e:
            log.warning("could not renew %d turn lock(s): %s", len(locks), self._scrub(e))
            return
        for (_, (key, _)), result in zip(locks, results, strict=True):  # type: ignore[misc]
            if isinstance(result, Exception):
                log.warning("thread %s: could not renew the turn lock: %s", key, self._scrub(result))
            elif result == 2:
                log.warning("thread %s: turn lock had vanished (Redis restarted?); took it again", key)
            elif result == 0:
                log.error("thread %s: turn lock lost to another owner; turns may overlap", key)

    @contextmanager
    def thread_turn(self, key: ThreadKey, order: str, timeout: float = 600.0,
                    ticket: TurnTicket | None = None) -> Iterator[None]:
        entered = self._entered.get(ticket.token) if ticket is not None else None
        if entered is not None and ticket is not None:
            token, (keys, member) = ticket.token, entered  # the place taken at arrival
        else:
            token = uuid.uuid4().hex
            member = _order_member(order, token)
            keys = self._turn_keys(key)
        ttl_ms = self._ttl_ms()
        try:
            self._wait_for_turn(key, order, keys, member, token, ttl_ms, timeout)
        finally:
            self._entered.pop(token)  # started, or timed out (and removed): no more heartbeats
        self._locks.add(token, (key, keys[0]))
        try:
            yield
        finally:
            self._locks.pop(token)  # returns once no renewal of it is in flight
            try:
                self.scripts.release(keys=keys[:1], args=[token])
            except RedisError as e:
                # Not fatal: the lock expires within lock_ttl and the next turn starts then.
                log.warning("thread %s: could not release the turn lock: %s", key, self._scrub(e))

    def _wait_for_turn(self, key: ThreadKey, order: str, keys: list[str], member: str, token: str,
                       ttl_ms: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            try:
                if self.scripts.acquire(keys=keys, args=[member, token, ttl_ms]):
                    return
            except RedisError as e:  # Redis restarting: keep trying until our deadline
                log.warning("thread %s: waiting for Redis: %s", key, self._scrub(e))
            if time.monotonic() + delay > deadline:
                break
            time.sleep(delay)
            # Heartbeats must land well within the TTL, or other processes drop this waiter as dead.
            delay = min(delay * 1.5, 0.1, self.lock_ttl / 4)
        try:
            self.client.zrem(keys[1], member)
            self.client.zrem(keys[2], member)
        except RedisError:
            pass  # our heartbeat stops; the entry expires on its own
        raise TimeoutError(f"thread {key}: turn {order} did not start within {timeout:g} s")

    @wrap_errors
    def turns_waiting(self, key: ThreadKey) -> int:
        """How many turns wait (in any process) for `key`; includes entries of dead waiters not yet expired."""
        return int(self.client.zcard(self._turn_keys(key)[1]))
