"""Redis store: for several bot processes sharing one Redis (REDIS_URL).

Keys (all under `oilfx:`):
  conversations                 hash  JSON [team, channel, thread_ts, engine] -> conversation ref
  event:<id>                    "lease:<token>" with PX lease while a process works on it, then "done" for a day
  message:<team>:<channel>:<ts> the event id that first carried the message (edits re-send it), EX 30 days
  meta                          hash  name -> value (kept for good)
  meta:<name>                   value, PX expiry (set_meta with a ttl)
  replies                       hash  event id -> JSON open reply (open_replies.py), dropped by finish_event
  history:<conversation>        JSON list of chat messages
  feedback                      zset  JSON feedback, scored by its epoch time
  turn:{<thread>}:lock          owner token, PX expiry renewed by a daemon thread while the turn runs
  turn:{<thread>}:queue         zset (all scores 0, so ordered by member): "<fixed-width ts>|<arrival>|<token>"
  turn:{<thread>}:alive         zset  the same members scored by heartbeat deadline (ms); dead waiters are dropped
  cache:<key>[:lock|:error]     the shared quote cache (see redis_cache.py)
The {<thread>} hash tag keeps a thread's three turn keys in one slot, so the Lua scripts work on a cluster too.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from redis import Redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from oilfx.store import StoreError, safe_redis_url, turn_order
from oilfx.store.base import MESSAGES_KEPT, Feedback, MessageKey, ThreadKey, TurnTicket
from oilfx.store.open_replies import REDIS_REPLIES, RedisOpenReplies
from oilfx.store.redis_cache import RedisQuoteCache

log = logging.getLogger(__name__)

PREFIX = "oilfx:"
FINISHED_EVENTS_KEPT = 86400  # seconds; Slack retries within minutes
DEFAULT_LOCK_TTL = 30.0       # a killed process blocks its thread at most this long

T = TypeVar("T")

# KEYS: lock, queue, alive. ARGV: member, token, ttl_ms. 1 = the turn is ours (lock set), 0 = keep waiting.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do
  redis.call('ZREM', KEYS[2], m)
  redis.call('ZREM', KEYS[3], m)
end
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('ZADD', KEYS[3], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[2], ttl * 2)
redis.call('PEXPIRE', KEYS[3], ttl * 2)
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('ZRANGE', KEYS[2], 0, 0)[1] ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
"""

# KEYS: a lock or an event lease. ARGV: owner token, ttl_ms. 1 = renewed, 2 = re-taken (the key was gone, e.g.
# Redis restarted), 0 = lost to another owner.
_RENEW = """
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0
"""

# KEYS: queue, alive. ARGV: member, ttl_ms. A waiting entry's heartbeat; an entry that left the queue (its turn
# started, or it was dropped as dead) is not put back: the waiting loop re-enters it if it still waits.
_HEARTBEAT = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2] * 2)
redis.call('PEXPIRE', KEYS[2], ARGV[2] * 2)
return 1
"""

# KEYS: queue, alive. ARGV: member, ttl_ms. Enter the queue (at a message's arrival).
_ENTER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 0, ARGV[1])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2] * 2)
redis.call('PEXPIRE', KEYS[2], ARGV[2] * 2)
return 1
"""

# KEYS: message. ARGV: event id, keep_ms. 1 = the message is this event's (now or already), 0 = another event's.
_CLAIM_MESSAGE = """
local v = redis.call('GET', KEYS[1])
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if v == ARGV[1] then return 1 end
return 0
"""

# KEYS: lock. ARGV: token. Delete only our own lock.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def connect(url: str, *, retries: int = 6) -> Redis:
    """A client that reconnects on its own (Redis restarted, connection dropped) with a short backoff."""
    return Redis.from_url(
        url,
        decode_responses=True,
        health_check_interval=10,
        socket_connect_timeout=2.0,
        socket_timeout=5.0,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )


def _wrap_errors(method: Callable[..., T]) -> Callable[..., T]:
    """Redis failures leave the store as StoreError (callers need not know redis-py), without the URL's password."""

    @functools.wraps(method)
    def wrapper(self: RedisStore, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except RedisError as e:
            raise StoreError(f"Redis at REDIS_URL={self.safe_url} failed: {self._scrub(e)}") from e

    return wrapper


def _order_member(order: str, token: str) -> str:
    """Fixed-width so Redis's byte order of members is the numeric order of Slack ts values."""
    value = turn_order(order).quantize(Decimal("1e-9"))
    whole, _, frac = f"{value:f}".partition(".")
    return f"{int(whole):020d}.{frac:0<9}|{time.time_ns():020d}|{token}"


class RedisStore(RedisOpenReplies):
    replies_key = PREFIX + REDIS_REPLIES
    open_reply = _wrap_errors(RedisOpenReplies.open_reply)
    get_open_reply = _wrap_errors(RedisOpenReplies.get_open_reply)
    open_replies = _wrap_errors(RedisOpenReplies.open_replies)

    def __init__(self, url: str, *, lock_ttl: float = DEFAULT_LOCK_TTL, client: Redis | None = None) -> None:
        self.safe_url = safe_redis_url(url)
        self._password = _password(url)
        self.lock_ttl = lock_ttl
        self.client = client if client is not None else connect(url)
        try:
            # One attempt: the client's retries (seconds of backoff) are for a Redis that was up and blipped.
            # Unreachable at start is a configuration error, reported at once (bot.py exits in well under a second).
            retry = self.client.get_retry()
            self.client.set_retry(Retry(NoBackoff(), 0))
            try:
                self.client.ping()
            finally:
                self.client.set_retry(retry)
        except RedisError as e:
            raise StoreError(f"cannot reach Redis at REDIS_URL={self.safe_url} ({self._scrub(e)}); "
                             "start Redis or fix REDIS_URL (unset it to use SQLite)") from e
        self._acquire = self.client.register_script(_ACQUIRE)
        self._renew = self.client.register_script(_RENEW)
        self._release = self.client.register_script(_RELEASE)
        self._enter = self.client.register_script(_ENTER)
        self._heartbeat = self.client.register_script(_HEARTBEAT)
        self._claim_message = self.client.register_script(_CLAIM_MESSAGE)
        self._owned_events: dict[str, str] = {}               # event id -> our lease value
        self._entered: dict[str, tuple[list[str], str]] = {}  # ticket token -> (turn keys, queue member)
        self._entered_lock = threading.Lock()
        self._heart: threading.Thread | None = None
        self._closed = threading.Event()
        self._cache: RedisQuoteCache | None = None

    def _scrub(self, error: BaseException) -> str:
        text = f"{type(error).__name__}: {error}"
        return text.replace(self._password, "[redacted]") if self._password else text

    # --- conversations -------------------------------------------------------------------------------------------

    @staticmethod
    def _conversation_field(key: ThreadKey, engine: str) -> str:
        return json.dumps([key.team, key.channel, key.thread_ts, engine])

    @_wrap_errors
    def get_conversation(self, key: ThreadKey, engine: str) -> str | None:
        return self.client.hget(PREFIX + "conversations", self._conversation_field(key, engine))

    @_wrap_errors
    def set_conversation(self, key: ThreadKey, engine: str, conversation: str) -> None:
        self.client.hset(PREFIX + "conversations", self._conversation_field(key, engine), conversation)

    @_wrap_errors
    def export_conversations(self) -> Iterator[tuple[ThreadKey, str, str]]:
        rows = []
        for field, ref in self.client.hscan_iter(PREFIX + "conversations", count=1000):
            team, channel, thread_ts, engine = json.loads(field)
            rows.append((ThreadKey(team, channel, thread_ts), engine, ref))
        return iter(rows)

    # --- events ------------------------------------------------------------------------------------------------

    @_wrap_errors
    def claim_event(self, event_id: str, lease_seconds: float = 300.0) -> bool:
        # The lease key expires on its own, so a killed owner's event becomes claimable again; "done" stays a day.
        lease_ms = max(1, int(lease_seconds * 1000))
        owner = f"lease:{uuid.uuid4().hex}"
        if not self.client.set(PREFIX + "event:" + event_id, owner, nx=True, px=lease_ms):
            return False
        self._owned_events[event_id] = owner
        return True

    @_wrap_errors
    def renew_event(self, event_id: str, lease_seconds: float) -> bool:
        owner = self._owned_events.get(event_id)
        if owner is None:
            return False
        return bool(self._renew(keys=[PREFIX + "event:" + event_id],
                                args=[owner, max(1, int(lease_seconds * 1000))]))

    @_wrap_errors
    def finish_event(self, event_id: str) -> None:
        with self.client.pipeline(transaction=True) as pipe:  # one step: see Store.finish_event
            pipe.set(PREFIX + "event:" + event_id, "done", ex=FINISHED_EVENTS_KEPT)
            pipe.hdel(self.replies_key, event_id)
            pipe.execute()
        self._owned_events.pop(event_id, None)

    # --- messages ----------------------------------------------------------------------------------------------

    @_wrap_errors
    def claim_message(self, key: MessageKey, event_id: str, keep_seconds: float = MESSAGES_KEPT) -> bool:
        name = f"{PREFIX}message:{key.team}:{key.channel}:{key.ts}"
        return bool(self._claim_message(keys=[name], args=[event_id, max(1, int(keep_seconds * 1000))]))

    # --- turns -------------------------------------------------------------------------------------------------

    def _turn_keys(self, key: ThreadKey) -> list[str]:
        base = f"{PREFIX}turn:{{{key}}}:"
        return [base + "lock", base + "queue", base + "alive"]

    @_wrap_errors
    def enter_turn(self, key: ThreadKey, order: str) -> TurnTicket:
        token = uuid.uuid4().hex
        member = _order_member(order, token)
        keys = self._turn_keys(key)
        self._enter(keys=keys[1:], args=[member, self._ttl_ms()])
        with self._entered_lock:
            self._entered[token] = (keys, member)
            if self._heart is None or not self._heart.is_alive():
                self._heart = threading.Thread(target=self._keep_entries, name="oilfx-turn-queue", daemon=True)
                self._heart.start()
        return TurnTicket(key, order, token)

    def leave_turn(self, ticket: TurnTicket) -> None:
        with self._entered_lock:
            entry = self._entered.pop(ticket.token, None)
        if entry is None:
            return  # its turn started (or it left already)
        keys, member = entry
        try:
            self.client.zrem(keys[1], member)
            self.client.zrem(keys[2], member)
        except RedisError:
            pass  # no more heartbeats: the entry is dropped as dead within lock_ttl

    def _keep_entries(self) -> None:
        """One thread per process: heartbeats for every entered message whose turn has not started."""
        while not self._closed.wait(self.lock_ttl / 3):
            with self._entered_lock:
                entries = list(self._entered.values())
                if not entries:
                    self._heart = None
                    return
            try:
                with self.client.pipeline(transaction=False) as pipe:
                    for keys, member in entries:
                        self._heartbeat(keys=keys[1:], args=[member, self._ttl_ms()], client=pipe)
                    pipe.execute()
            except RedisError as e:
                log.warning("could not renew %d waiting turn(s): %s", len(entries), self._scrub(e))

    def _ttl_ms(self) -> int:
        return max(1, int(self.lock_ttl * 1000))

    @contextmanager
    def thread_turn(self, key: ThreadKey, order: str, timeout: float = 600.0,
                    ticket: TurnTicket | None = None) -> Iterator[None]:
        entered = None
        if ticket is not None:
            with self._entered_lock:
                entered = self._entered.get(ticket.token)
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
            with self._entered_lock:
                self._entered.pop(token, None)  # started, or timed out (and removed): no more heartbeats
        stop = threading.Event()
        renewer = threading.Thread(target=self._keep_lock, args=(key, keys[0], token, ttl_ms, stop),
                                   name=f"oilfx-turn-{key}", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join()
            try:
                self._release(keys=keys[:1], args=[token])
            except RedisError as e:
                # Not fatal: the lock expires within lock_ttl and the next turn starts then.
                log.warning("thread %s: could not release the turn lock: %s", key, self._scrub(e))

    def _wait_for_turn(self, key: ThreadKey, order: str, keys: list[str], member: str, token: str,
                       ttl_ms: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            try:
                if self._acquire(keys=keys, args=[member, token, ttl_ms]):
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

    def _keep_lock(self, key: ThreadKey, lock_key: str, token: str, ttl_ms: int, stop: threading.Event) -> None:
        while not stop.wait(self.lock_ttl / 3):
            try:
                result = self._renew(keys=[lock_key], args=[token, ttl_ms])
            except RedisError as e:
                log.warning("thread %s: could not renew the turn lock: %s", key, self._scrub(e))
                continue
            if result == 2:
                log.warning("thread %s: turn lock had vanished (Redis restarted?); took it again", key)
            elif result == 0:
                log.error("thread %s: turn lock lost to another owner; turns may overlap", key)

    @_wrap_errors
    def turns_waiting(self, key: ThreadKey) -> int:
        """How many turns wait (in any process) for `key`; includes entries of dead waiters not yet expired."""
        return int(self.client.zcard(self._turn_keys(key)[1]))

    # --- meta, histories ----------------------------------------------------------------------------------------

    @_wrap_errors
    def get_meta(self, name: str) -> str | None:
        value = self.client.get(PREFIX + "meta:" + name)
        return value if value is not None else self.client.hget(PREFIX + "meta", name)

    @_wrap_errors
    def set_meta(self, name: str, value: str, ttl: float | None = None) -> None:
        """`ttl` seconds: Redis drops it then (a key of its own: hash fields cannot expire before Redis 7.4)."""
        with self.client.pipeline(transaction=True) as pipe:
            if ttl is None:
                pipe.hset(PREFIX + "meta", name, value)
                pipe.delete(PREFIX + "meta:" + name)
            else:
                pipe.set(PREFIX + "meta:" + name, value, px=max(1, int(ttl * 1000)))
                pipe.hdel(PREFIX + "meta", name)
            pipe.execute()

    def _expiring_meta_keys(self) -> list[str]:
        return list(self.client.scan_iter(match=PREFIX + "meta:*", count=1000))

    @_wrap_errors
    def export_meta(self) -> Iterator[tuple[str, str]]:
        rows = dict(self.client.hgetall(PREFIX + "meta"))
        start = len(PREFIX + "meta:")
        for name in self._expiring_meta_keys():
            value = self.client.get(name)
            if value is not None:
                rows[name[start:]] = value
        return iter(sorted(rows.items()))

    @_wrap_errors
    def load_history(self, conversation: str) -> list[dict[str, Any]]:
        raw = self.client.get(PREFIX + "history:" + conversation)
        return json.loads(raw) if raw else []

    @_wrap_errors
    def save_history(self, conversation: str, messages: list[dict[str, Any]]) -> None:
        self.client.set(PREFIX + "history:" + conversation, json.dumps(messages, ensure_ascii=False))

    @_wrap_errors
    def export_histories(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        start = len(PREFIX + "history:")
        rows = []
        for name in list(self.client.scan_iter(match=PREFIX + "history:*", count=1000)):
            raw = self.client.get(name)
            if raw is not None:
                rows.append((name[start:], json.loads(raw)))
        return iter(rows)

    # --- feedback ----------------------------------------------------------------------------------------------

    @_wrap_errors
    def add_feedback(self, feedback: Feedback) -> None:
        k = feedback.key
        record = {"team": k.team, "channel": k.channel, "thread_ts": k.thread_ts, "message_ts": feedback.message_ts,
                  "user": feedback.user, "value": feedback.value, "question": feedback.question,
                  "answer": feedback.answer, "engine": feedback.engine, "at": feedback.at.isoformat()}
        # sort_keys: the same feedback is the same member, so `store migrate` can be run twice.
        member = json.dumps(record, ensure_ascii=False, sort_keys=True)
        self.client.zadd(PREFIX + "feedback", {member: feedback.at.timestamp()})

    @_wrap_errors
    def list_feedback(self, since: datetime) -> Iterator[Feedback]:
        rows = []
        for member in self.client.zrangebyscore(PREFIX + "feedback", since.timestamp(), "+inf"):
            r = json.loads(member)
            rows.append(Feedback(ThreadKey(r["team"], r["channel"], r["thread_ts"]), r["message_ts"], r["user"],
                                 r["value"], r["question"], r["answer"], r["engine"], datetime.fromisoformat(r["at"])))
        return iter(rows)

    # --- the rest ----------------------------------------------------------------------------------------------

    def quote_cache(self) -> RedisQuoteCache:
        """The quote cache shared by every process on this Redis: each source is fetched once per TTL."""
        if self._cache is None:
            self._cache = RedisQuoteCache(self.client)
        return self._cache

    @_wrap_errors
    def stats(self) -> dict[str, int]:
        finished = in_progress = 0
        for name in self.client.scan_iter(match=PREFIX + "event:*", count=1000):
            value = self.client.get(name)
            if value == "done":
                finished += 1
            elif value is not None:
                in_progress += 1
        return {
            "conversations": int(self.client.hlen(PREFIX + "conversations")),
            "events_finished": finished,
            "meta": int(self.client.hlen(PREFIX + "meta")) + len(self._expiring_meta_keys()),
            "histories": sum(1 for _ in self.client.scan_iter(match=PREFIX + "history:*", count=1000)),
            "feedback": int(self.client.zcard(PREFIX + "feedback")),
            "events_in_progress": in_progress,
        }

    def close(self) -> None:
        self._closed.set()
        self.client.close()

    def __repr__(self) -> str:
        return f"RedisStore({self.safe_url!r})"


def _password(url: str) -> str | None:
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None
