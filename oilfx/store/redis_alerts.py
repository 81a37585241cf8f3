"""The Redis store's alerts, digests and firing claims: the AlertBook capability (store/alerts.py).

Keys (under `oilfx:`; every one that holds a team's data names the team):
  alert-id                 counter (INCR): alert ids, unique in the store, never reused
  alerts:<team>            hash  alert id -> JSON alert (alerts.alert_to_dict)
  digests:<team>           hash  channel -> JSON digest
  alert-teams              set   teams that have alerts or digests (for the checker's scan)
  alert-team               hash  alert id -> its team (set_armed and friends get only the id)
  firing:<kind>:<team>:... "owner:<owner>" with PX while a process posts it, then "done" for good
Each check-then-write is one Lua script (the channel limit with the insert, a conditional disarm, a claim), so
it is atomic for every process on the server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from oilfx.market.rule import Rule
from oilfx.store.alerts import (
    Alert,
    Digest,
    TooManyAlerts,
    alert_from_dict,
    alert_to_dict,
    digest_from_dict,
    digest_to_dict,
    key_team,
)
from oilfx.store.redis_client import wrap_errors

# KEYS: alerts:<team>, alert-id, alert-teams, alert-team. ARGV: team, channel, limit, alert JSON (id 0).
# The new id, or -(active alerts in the channel) when it already has `limit`.
ADD_ALERT = """
local n = 0
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do
  local a = cjson.decode(v)
  if a.channel == ARGV[2] and (a.disabled == nil or a.disabled == cjson.null) then n = n + 1 end
end
if n >= tonumber(ARGV[3]) then return -n end
local id = redis.call('INCR', KEYS[2])
local a = cjson.decode(ARGV[4])
a.id = id
redis.call('HSET', KEYS[1], id, cjson.encode(a))
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[4], id, ARGV[1])
return id
"""

# KEYS: alerts:<team>, alert-id, alert-teams, alert-team. ARGV: team, id, alert JSON. Stores the alert under its
# own id and raises the counter to it, so ids allocated later stay larger.
IMPORT_ALERT = """
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[2]) then redis.call('SET', KEYS[2], ARGV[2]) end
return 1
"""

# KEYS: alerts:<team>. ARGV: id, fired wanted ('' any), armed wanted ('' any, 'true', 'false'), armed to set
# ('true'/'false'), '1' to count a firing. 1 = changed, 0 = the alert is gone or moved on.
UPDATE_ALERT = """
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
local a = cjson.decode(v)
if ARGV[2] ~= '' and tostring(a.fired) ~= ARGV[2] then return 0 end
if ARGV[3] ~= '' and tostring(a.armed) ~= ARGV[3] then return 0 end
a.armed = (ARGV[4] == 'true')
if ARGV[5] == '1' then a.fired = a.fired + 1 end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(a))
return 1
"""

# KEYS: alerts:<team>, digests:<team>. ARGV: channel, reason. How many alerts and digests were disabled.
DISABLE_CHANNEL = """
local n = 0
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do
  local a = cjson.decode(v)
  if a.channel == ARGV[1] and (a.disabled == nil or a.disabled == cjson.null) then
    a.disabled = ARGV[2]
    redis.call('HSET', KEYS[1], a.id, cjson.encode(a))
    n = n + 1
  end
end
local d = redis.call('HGET', KEYS[2], ARGV[1])
if d then
  local digest = cjson.decode(d)
  if digest.disabled == nil or digest.disabled == cjson.null then
    digest.disabled = ARGV[2]
    redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(digest))
    n = n + 1
  end
end
return n
"""

# KEYS: alerts:<team>, alert-team. ARGV: id, channel. 1 = deleted, 0 = no such alert in that channel.
DELETE_ALERT = """
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v or cjson.decode(v).channel ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
"""

# KEYS: firing:<key>. ARGV: "owner:<owner>", ttl_ms. 1 = ours (new, expired, or already ours), 0 = done or held.
CLAIM_FIRING = """
local v = redis.call('GET', KEYS[1])
if v and v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""


def _glob(text: str) -> str:
    """`text` as a literal in a SCAN MATCH pattern."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


class RedisAlerts:
    client: Any
    prefix: str

    def _register_alert_scripts(self) -> None:
        register = self.client.register_script
        self._add_alert, self._update_alert = register(ADD_ALERT), register(UPDATE_ALERT)
        self._disable_channel, self._delete_alert = register(DISABLE_CHANNEL), register(DELETE_ALERT)
        self._claim_firing, self._import_alert = register(CLAIM_FIRING), register(IMPORT_ALERT)

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def _delete_matching(self, pattern: str, team: str) -> None:
        start = len(self._key("firing", ""))
        names = [name for name in self.client.scan_iter(match=self.prefix + pattern, count=1000)
                 if key_team(name[start:]) == team]  # `*` may span a ':'
        if names:
            self.client.delete(*names)

    # --- alerts ------------------------------------------------------------------------------------------------

    @wrap_errors
    def add_alert(self, team: str, channel: str, creator: str, rule: Rule, limit: int, now: datetime) -> Alert:
        alert = Alert(0, team, channel, creator, rule, now)
        found = int(self._add_alert(keys=[self._key("alerts", team), self._key("alert-id"), self._key("alert-teams"),
                                          self._key("alert-team")],
                                    args=[team, channel, limit, json.dumps(alert_to_dict(alert))]))
        if found <= 0:
            raise TooManyAlerts(f"this channel already has {-found} alerts (the most it may have is {limit})")
        return Alert(found, team, channel, creator, rule, now)

    @wrap_errors
    def import_alert(self, alert: Alert) -> None:
        self._import_alert(keys=[self._key("alerts", alert.team), self._key("alert-id"), self._key("alert-teams"),
                                 self._key("alert-team")],
                           args=[alert.team, alert.id, json.dumps(alert_to_dict(alert))])

    def _team_alerts(self, team: str) -> list[Alert]:
        alerts = [alert_from_dict(json.loads(v)) for v in self.client.hvals(self._key("alerts", team))]
        return sorted(alerts, key=lambda a: a.id)

    @wrap_errors
    def list_alerts(self, team: str, channel: str | None = None) -> list[Alert]:
        return [a for a in self._team_alerts(team) if channel is None or a.channel == channel]

    @wrap_errors
    def active_alerts(self) -> Iterator[Alert]:
        alerts = [a for team in sorted(self.client.smembers(self._key("alert-teams")))
                  for a in self._team_alerts(team) if a.disabled is None]
        return iter(alerts)

    @wrap_errors
    def delete_alert(self, team: str, channel: str, alert_id: int) -> bool:
        deleted = bool(self._delete_alert(keys=[self._key("alerts", team), self._key("alert-team")],
                                          args=[alert_id, channel]))
        if deleted:  # its claims go with it (ids are never reused, so nothing could claim them again)
            self._delete_matching(f"firing:alert:{_glob(team)}:{alert_id}:*", team)
        return deleted

    def _update(self, alert_id: int, fired: int | None, armed_was: bool | None, armed: bool, count: bool) -> bool:
        team = self.client.hget(self._key("alert-team"), str(alert_id))
        if team is None:
            return False
        return bool(self._update_alert(keys=[self._key("alerts", team)], args=[
            alert_id, "" if fired is None else fired, "" if armed_was is None else str(armed_was).lower(),
            str(armed).lower(), "1" if count else "0"]))

    @wrap_errors
    def set_armed(self, alert_id: int, armed: bool) -> None:
        self._update(alert_id, None, None, armed, False)

    @wrap_errors
    def mark_fired(self, alert_id: int, fired: int) -> bool:
        return self._update(alert_id, fired, None, False, True)

    @wrap_errors
    def rearm(self, alert_id: int, fired: int) -> bool:
        return self._update(alert_id, fired, False, True, False)

    @wrap_errors
    def disable_channel(self, team: str, channel: str, reason: str) -> int:
        return int(self._disable_channel(keys=[self._key("alerts", team), self._key("digests", team)],
                                         args=[channel, reason]))

    # --- digests -----------------------------------------------------------------------------------------------

    @wrap_errors
    def set_digest(self, digest: Digest) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(self._key("digests", digest.team), digest.channel, json.dumps(digest_to_dict(digest)))
            pipe.sadd(self._key("alert-teams"), digest.team)
            pipe.execute()

    @wrap_errors
    def clear_digest(self, team: str, channel: str) -> bool:
        return bool(self.client.hdel(self._key("digests", team), channel))

    @wrap_errors
    def list_digests(self, team: str | None = None) -> list[Digest]:
        teams = [team] if team is not None else sorted(self.client.smembers(self._key("alert-teams")))
        digests = [digest_from_dict(json.loads(v)) for t in teams for v in self.client.hvals(self._key("digests", t))]
        return sorted(digests, key=lambda d: (d.team, d.channel))

    # --- firing claims -----------------------------------------------------------------------------------------

    @wrap_errors
    def claim_firing(self, key: str, owner: str, ttl: float) -> bool:
        key_team(key)  # refuses a key without its team
        return bool(self._claim_firing(keys=[self._key("firing", key)],
                                       args=[f"owner:{owner}", max(1, int(ttl * 1000))]))

    @wrap_errors
    def finish_firing(self, key: str, owner: str) -> None:
        """Done for good, also when our lease ran out meanwhile: the post was made, so nobody may claim it again."""
        self.client.set(self._key("firing", key), "done")

    @wrap_errors
    def firing_done(self, key: str) -> bool:
        return self.client.get(self._key("firing", key)) == "done"

    @wrap_errors
    def purge_team_alerts(self, team: str) -> int:
        alerts = self.client.hkeys(self._key("alerts", team))
        digests = int(self.client.hlen(self._key("digests", team)))
        with self.client.pipeline(transaction=True) as pipe:
            if alerts:
                pipe.hdel(self._key("alert-team"), *alerts)
            pipe.delete(self._key("alerts", team), self._key("digests", team))
            pipe.srem(self._key("alert-teams"), team)
            pipe.execute()
        self._delete_matching(f"firing:*:{_glob(team)}:*", team)
        return len(alerts) + digests
