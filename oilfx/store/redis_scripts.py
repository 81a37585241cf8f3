"""The Redis store's Lua scripts: each is one atomic step on Redis (several keys, or a read and a write).

Names are registered per client by `Scripts`; the keys they touch are described in redis.py's docstring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# KEYS: lock, queue, alive. ARGV: member, token, ttl_ms. 1 = the turn is ours (lock set), 0 = keep waiting.
ACQUIRE = """
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
RENEW = """
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0
"""

# KEYS: queue, alive. ARGV: member, ttl_ms. A waiting entry's heartbeat; an entry that left the queue (its turn
# started, or it was dropped as dead) is not put back: the waiting loop re-enters it if it still waits.
HEARTBEAT = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2] * 2)
redis.call('PEXPIRE', KEYS[2], ARGV[2] * 2)
return 1
"""

# KEYS: queue, alive. ARGV: member, ttl_ms. Enter the queue (at a message's arrival).
ENTER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 0, ARGV[1])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2] * 2)
redis.call('PEXPIRE', KEYS[2], ARGV[2] * 2)
return 1
"""

# KEYS: message. ARGV: event id, keep_ms. 1 = the message is this event's (now or already), 0 = another event's.
CLAIM_MESSAGE = """
local v = redis.call('GET', KEYS[1])
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if v == ARGV[1] then return 1 end
return 0
"""

# KEYS: lock. ARGV: token. Delete only our own lock.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class Scripts:
    """The scripts registered on one client (redis-py loads each by its SHA, once)."""

    acquire: Any
    renew: Any
    release: Any
    enter: Any
    heartbeat: Any
    claim_message: Any

    @classmethod
    def register(cls, client: Any) -> Scripts:
        return cls(client.register_script(ACQUIRE), client.register_script(RENEW), client.register_script(RELEASE),
                   client.register_script(ENTER), client.register_script(HEARTBEAT),
                   client.register_script(CLAIM_MESSAGE))
