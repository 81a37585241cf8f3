"""RedisStore.purge_team (see purge.py for what is removed and why). The team's keys and fields are found by
scanning, then removed in one MULTI/EXEC: other processes see the team's data whole or gone."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from oilfx.store.purge import Purged
from oilfx.store.records import AnswerRecord, LanguageChoice, PanelContext, StepsRecord
from oilfx.store.redis_client import wrap_errors


def _json(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:  # written by another version: left alone
        return None


def _record_team(name: str, raw: str) -> str | None:
    """The team a meta record belongs to, for the kinds that name one."""
    value = _json(raw)
    if not isinstance(value, dict):
        return None
    if name.startswith((AnswerRecord.PREFIX, LanguageChoice.PREFIX)):
        return value.get("team")
    if name.startswith(PanelContext.PREFIX):
        return value.get("team_id")
    if name.startswith(StepsRecord.PREFIX) and isinstance(value.get("thread"), str):
        return value["thread"].split("/", 1)[0]
    return None


class RedisPurge:
    client: Any   # redis.Redis with decode_responses
    prefix: str
    replies_key: str
    export_meta: Callable[[], Iterator[tuple[str, str]]]   # RedisStore's: the meta hash and the expiring meta keys
    purge_team_alerts: Callable[[str], int]                # RedisAlerts': alerts, digests and firing claims

    @wrap_errors
    def purge_team(self, team: str) -> Purged:
        p, r = self.prefix, self.client
        fields = [f for f, _ in r.hscan_iter(p + "conversations", count=1000) if _json(f)[0] == team]
        refs = r.hmget(p + "conversations", fields) if fields else []
        histories = [p + "history:" + ref for ref in refs if ref and r.exists(p + "history:" + ref)]
        messages = list(r.scan_iter(match=p + f"message:{team}:*", count=1000))
        records = [name for name, value in self.export_meta() if _record_team(name, value) == team]
        feedback = [m for m, _ in r.zscan_iter(p + "feedback", count=1000)
                    if isinstance(v := _json(m), dict) and v.get("team") == team]
        replies = [e for e, v in r.hscan_iter(self.replies_key, count=1000)
                   if isinstance(req := _request(v), dict) and req.get("team") == team]
        with r.pipeline(transaction=True) as pipe:
            if fields:
                pipe.hdel(p + "conversations", *fields)
            if histories or messages or records:   # a record is a field of the meta hash or a key of its own
                pipe.delete(*histories, *messages, *(p + "meta:" + name for name in records))
            if records:
                pipe.hdel(p + "meta", *records)
            if feedback:
                pipe.zrem(p + "feedback", *feedback)
            if replies:
                pipe.hdel(self.replies_key, *replies)
            pipe.execute()
        return Purged(conversations=len(fields), histories=len(histories), messages=len(messages),
                      records=len(records), feedback=len(feedback), open_replies=len(replies),
                      alerts=self.purge_team_alerts(team))


def _request(raw: str) -> Any:
    """The turn request inside an open reply's JSON."""
    reply = _json(raw)
    return _json(reply["request"]) if isinstance(reply, dict) and isinstance(reply.get("request"), str) else None
