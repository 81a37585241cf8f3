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
  turn:{<thread>}:lock|queue|alive  a thread's turn queue (redis_queue.py)
  alerts:<team>, digests:<team>, firing:<key>, ...  alerts, digests and firing claims (redis_alerts.py)
Capabilities in their own modules: event claims (redis_events.py), alerts (redis_alerts.py), the turn queue
(redis_queue.py), the Lua scripts (redis_scripts.py), the client and its errors (redis_client.py). Here: the keys
and values that are plain storage.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from oilfx.store import StoreError, safe_redis_url
from oilfx.store.feedback import Feedback
from oilfx.store.keys import ThreadKey
from oilfx.store.leases import OwnedEvents
from oilfx.store.open_replies import REDIS_REPLIES
from oilfx.store.redis_alerts import RedisAlerts
from oilfx.store.redis_cache import RedisQuoteCache
from oilfx.store.redis_client import Scrubber, connect, wrap_errors
from oilfx.store.redis_events import RedisEvents
from oilfx.store.redis_purge import RedisPurge
from oilfx.store.redis_queue import RedisTurns
from oilfx.store.redis_scripts import Scripts

log = logging.getLogger(__name__)

PREFIX = "oilfx:"
DEFAULT_LOCK_TTL = 30.0       # a killed process blocks its thread at most this long


class RedisStore(RedisEvents, RedisAlerts, RedisTurns, RedisPurge):
    prefix = PREFIX
    replies_key = PREFIX + REDIS_REPLIES

    def __init__(self, url: str, *, lock_ttl: float = DEFAULT_LOCK_TTL, client: Redis | None = None) -> None:
        self.safe_url = safe_redis_url(url)
        self._scrub = Scrubber(url)
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
        self.scripts = Scripts.register(self.client)
        self._register_alert_scripts()
        self.owned = OwnedEvents()
        self._start_turns()
        self._cache: RedisQuoteCache | None = None

    # --- conversations -------------------------------------------------------------------------------------------

    @staticmethod
    def _conversation_field(key: ThreadKey, engine: str) -> str:
        return json.dumps([key.team, key.channel, key.thread_ts, engine])

    @wrap_errors
    def get_conversation(self, key: ThreadKey, engine: str) -> str | None:
        return self.client.hget(PREFIX + "conversations", self._conversation_field(key, engine))

    @wrap_errors
    def set_conversation(self, key: ThreadKey, engine: str, conversation: str) -> None:
        self.client.hset(PREFIX + "conversations", self._conversation_field(key, engine), conversation)

    @wrap_errors
    def export_conversations(self) -> Iterator[tuple[ThreadKey, str, str]]:
        rows = []
        for field, ref in self.client.hscan_iter(PREFIX + "conversations", count=1000):
            team, channel, thread_ts, engine = json.loads(field)
            rows.append((ThreadKey(team, channel, thread_ts), engine, ref))
        return iter(rows)

    # --- meta, histories ----------------------------------------------------------------------------------------

    @wrap_errors
    def get_meta(self, name: str) -> str | None:
        value = self.client.get(PREFIX + "meta:" + name)
        return value if value is not None else self.client.hget(PREFIX + "meta", name)

    @wrap_errors
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

    @wrap_errors
    def export_meta(self) -> Iterator[tuple[str, str]]:
        rows = dict(self.client.hgetall(PREFIX + "meta"))
        start = len(PREFIX + "meta:")
        for name in self._expiring_meta_keys():
            value = self.client.get(name)
            if value is not None:
                rows[name[start:]] = value
        return iter(sorted(rows.items()))

    @wrap_errors
    def load_history(self, conversation: str) -> list[dict[str, Any]]:
        raw = self.client.get(PREFIX + "history:" + conversation)
        return json.loads(raw) if raw else []

    @wrap_errors
    def save_history(self, conversation: str, messages: list[dict[str, Any]]) -> None:
        self.client.set(PREFIX + "history:" + conversation, json.dumps(messages, ensure_ascii=False))

    @wrap_errors
    def export_histories(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        start = len(PREFIX + "history:")
        rows = []
        for name in list(self.client.scan_iter(match=PREFIX + "history:*", count=1000)):
            raw = self.client.get(name)
            if raw is not None:
                rows.append((name[start:], json.loads(raw)))
        return iter(rows)

    # --- feedback ----------------------------------------------------------------------------------------------

    @wrap_errors
    def add_feedback(self, feedback: Feedback) -> None:
        k = feedback.key
        record = {"team": k.team, "channel": k.channel, "thread_ts": k.thread_ts, "message_ts": feedback.message_ts,
                  "user": feedback.user, "value": feedback.value, "question": feedback.question,
                  "answer": feedback.answer, "engine": feedback.engine, "at": feedback.at.isoformat()}
        # sort_keys: the same feedback is the same member, so `store migrate` can be run twice.
        member = json.dumps(record, ensure_ascii=False, sort_keys=True)
        self.client.zadd(PREFIX + "feedback", {member: feedback.at.timestamp()})

    @wrap_errors
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

    @wrap_errors
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
        self._stop_turns()
        self.client.close()

    def __repr__(self) -> str:
        return f"RedisStore({self.safe_url!r})"

