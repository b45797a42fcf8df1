"""Live metrics in Redis (the keys: gamestream/core/live_keys.py), written once per micro-batch by
one Lua script that updates the per-platform ranking, the per-game and per-platform hashes and the
change feed together.

A game's hash is never overwritten by an older observation (replays and backfills cannot make old
data look live). A run's batch not newer than the last one it applied is refused. Redis being down
returns None; the job keeps writing the lake and resyncs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import redis
import structlog

from gamestream.core.live_keys import CHANGES, FEED_MAXLEN, LAST_BATCH, lua, run_key

log = structlog.get_logger(__name__)

APPLY = lua("""
local batch = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[3]) == 0 then
  -- a new run (checkpoint): its batch ids restart at 0, so its feed ids continue above the feed's top
  local top = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
  local offset = 0
  if top[1] then offset = tonumber(string.match(top[1][1], '^(%d+)')) end
  redis.call('HSET', KEYS[3], 'offset', offset, 'last', -1)
end
local offset = tonumber(redis.call('HGET', KEYS[3], 'offset'))
if batch <= tonumber(redis.call('HGET', KEYS[3], 'last')) then return -1 end
local payload = cjson.decode(ARGV[2])
local seq = 0
local function add(fields)
  seq = seq + 1
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], (offset + batch + 1) .. '-' .. seq, unpack(fields))
end
for _, poll in ipairs(payload.polls) do
  local zkey = $ranking .. poll.platform
  local pkey = $platform .. poll.platform
  local prev_platform_ts = tonumber(redis.call('HGET', pkey, 'observed_ts') or '-1')
  local present = {}
  for _, g in ipairs(poll.games) do
    local hkey = $game .. poll.platform .. ':' .. g.key
    present[g.key] = true
    local prev_ts = tonumber(redis.call('HGET', hkey, 'observed_ts') or '-1')
    if poll.observed_ts > prev_ts then
      local prev = tonumber(redis.call('HGET', hkey, 'value') or '0')
      local change = g.value - prev
      local is_game = (g.is_game == false) and 0 or 1
      local top = g.top or ''
      redis.call('HSET', hkey, 'name', g.name, 'value', g.value, 'viewers', g.viewers, 'channels', g.channels,
                 'players', g.players, 'change', change, 'observed_at', poll.observed_at,
                 'observed_ts', poll.observed_ts, 'poll_id', poll.poll_id, 'batch_id', batch, 'is_game', is_game,
                 'top_channels', top)
      redis.call('ZADD', zkey, g.value, g.key)
      local fields = {'platform', poll.platform, 'game', g.key, 'name', g.name, 'value', g.value, 'change', change,
                      'observed_at', poll.observed_at, 'poll_id', poll.poll_id, 'is_game', is_game}
      if top ~= '' then
        table.insert(fields, 'top_channels')
        table.insert(fields, top)
      end
      add(fields)
    end
  end
  if poll.observed_ts > prev_platform_ts then
    if poll.replace then
      for _, member in ipairs(redis.call('ZRANGE', zkey, 0, -1)) do
        if not present[member] then
          local hkey = $game .. poll.platform .. ':' .. member
          redis.call('ZREM', zkey, member)
          redis.call('HSET', hkey, 'value', 0, 'change', -tonumber(redis.call('HGET', hkey, 'value') or '0'),
                     'observed_at', poll.observed_at, 'observed_ts', poll.observed_ts, 'poll_id', poll.poll_id,
                     'top_channels', '')
          add({'platform', poll.platform, 'game', member, 'name', redis.call('HGET', hkey, 'name') or member,
               'value', 0, 'change', redis.call('HGET', hkey, 'change'), 'observed_at', poll.observed_at,
               'poll_id', poll.poll_id, 'is_game', redis.call('HGET', hkey, 'is_game') or 1})
        end
      end
    end
    local prev_total = tonumber(redis.call('HGET', pkey, 'total') or '0')
    redis.call('HSET', pkey, 'total', poll.total, 'games', #poll.games, 'observed_at', poll.observed_at,
               'observed_ts', poll.observed_ts, 'poll_id', poll.poll_id, 'batch_id', batch)
    add({'platform', poll.platform, 'game', '*', 'name', 'total', 'value', poll.total,
         'change', poll.total - prev_total, 'observed_at', poll.observed_at, 'poll_id', poll.poll_id})
  end
end
redis.call('HSET', KEYS[3], 'last', batch)
redis.call('SET', KEYS[1], batch)
return seq
""")


@dataclass
class PollUpdate:
    """One complete poll's per-game totals, as the live state shows them."""

    platform: str
    poll_id: str
    observed_at: str
    observed_ts: float
    replace: bool
    games: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "poll_id": self.poll_id,
            "observed_at": self.observed_at,
            "observed_ts": self.observed_ts,
            "replace": self.replace,
            "games": self.games,
            "total": sum(g["value"] for g in self.games),
        }


class LiveWriter:
    def __init__(self, url: str):
        self.client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2, decode_responses=True)
        self._script = self.client.register_script(APPLY)

    def apply(self, run_id: str, batch_id: int, polls: list[PollUpdate]) -> int | None:
        """Apply a batch atomically: entries written, -1 if Redis already had this batch, None if
        Redis is down or refused the script (the job goes on and resyncs later)."""
        payload = json.dumps({"polls": [p.to_json() for p in polls]})
        try:
            return int(self._script(keys=[LAST_BATCH, CHANGES, run_key(run_id)], args=[batch_id, payload, FEED_MAXLEN]))
        except redis.RedisError as exc:
            log.warning("redis_unavailable", error=str(exc), batch_id=batch_id)
            return None

    def last_batch(self, run_id: str | None = None) -> int | None:
        """The last batch applied, by this run if given, else by any."""
        try:
            value = self.client.hget(run_key(run_id), "last") if run_id else self.client.get(LAST_BATCH)
        except redis.RedisError:
            return None
        return int(value) if value is not None and int(value) >= 0 else None

    def close(self) -> None:
        self.client.close()
