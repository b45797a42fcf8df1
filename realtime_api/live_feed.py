"""The live feed: one Redis reader per API process, fanned out to bounded per-client queues.

The streaming job writes the snapshot (sorted set per platform, hash per game and platform) and the
change feed together in one Lua script (the keys: gamestream/core/live_keys.py). Here:

- `snapshot()` reads the top games, their hashes, the platform totals and the feed's last id in
  one Lua script, so the snapshot and its feed position agree;
- the reader XREADs the feed once for everyone and puts each change on every subscribed client's
  queue; a client whose queue is full is dropped (and told why), so it never slows the others;
- `backlog(after)` serves a reconnecting client the changes after its last id while they are still
  in the stream (the stream is capped); `can_resume` says when they are not.

A client subscribes before it reads its snapshot or backlog and then skips queued changes it has
already seen, so nothing falls between the two and nothing arrives twice.
"""

from __future__ import annotations

import asyncio
import collections
import json
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
import structlog
from pydantic import ValidationError
from redis.exceptions import RedisError

from gamestream.core.live_keys import CHANGES, game_key, lua
from realtime_api.models.live import ChangeMessage

log = structlog.get_logger(__name__)

SNAPSHOT = lua("""
local out = {platforms = {}, position = '0-0'}
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if top[1] then out.position = top[1][1] end
local limit = tonumber(ARGV[1])
for i = 2, #ARGV do
  local platform = ARGV[i]
  local totals = redis.call('HGETALL', $platform .. platform)
  local games = {}
  local members = redis.call('ZREVRANGE', $ranking .. platform, 0, limit - 1)
  for _, key in ipairs(members) do
    table.insert(games, {key, redis.call('HGETALL', $game .. platform .. ':' .. key)})
  end
  out.platforms[platform] = {totals = totals, games = games}
end
return cjson.encode(out)
""")


class RedisUnavailable(RuntimeError):
    pass


def feed_id(value: str) -> tuple[int, int]:
    """A stream id as a comparable pair ('12-3' -> (12, 3)); raises ValueError for anything else."""
    ms, _, seq = value.partition("-")
    return int(ms), int(seq or 0)


@dataclass(eq=False)
class Subscriber:
    platforms: frozenset[str] | None
    games: frozenset[str] | None
    queue: asyncio.Queue
    dropped: asyncio.Event = field(default_factory=asyncio.Event)
    address: str = ""  # the client's, for the per-address cap

    def wants(self, change: ChangeMessage) -> bool:
        if self.platforms is not None and change.platform not in self.platforms:
            return False
        if self.games is not None and change.game != "*" and change.game not in self.games:
            return False
        return True


def _pairs(flat: list) -> dict[str, str]:
    return dict(zip(flat[::2], flat[1::2])) if isinstance(flat, list) else {}


def change_message(entry_id: str, fields: dict[str, str]) -> ChangeMessage | None:
    """The feed entry as the message clients get; None (and a warning) for an entry that is not one."""
    try:
        return ChangeMessage.model_validate({"type": "change", "id": entry_id, **fields})
    except ValidationError as exc:
        log.warning("live_feed_entry_malformed", id=entry_id, error=str(exc).replace("\n", " ")[:300])
        return None


def _number(value: Any) -> Any:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return int(number) if number.is_integer() else number


STOP_SECONDS = 5.0


class AddressCapReached(Exception):
    """The client's address holds as many live connections as one address may."""


class LiveFeed:
    def __init__(self, redis_url: str, queue_size: int = 1000, max_clients: int = 2000, max_per_address: int = 20):
        # redis-py types every reply as bytes | str | None whatever decode_responses says; this client's are str
        self.client: Any = aioredis.Redis.from_url(
            redis_url, decode_responses=True, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30
        )
        self.queue_size, self.max_clients, self.max_per_address = queue_size, max_clients, max_per_address
        self.subscribers: set[Subscriber] = set()
        self.per_address: collections.Counter[str] = collections.Counter()
        self.position: str | None = None
        self.healthy = False  # logs an outage once, not on every retry
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._snapshot = self.client.register_script(SNAPSHOT)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._read(), name="live-feed-reader")

    async def stop(self) -> None:
        """Within STOP_SECONDS each for the reader and the client: a test's app shutdown once waited
        forever here, its event loop idle, with the reader cancelled in a blocking XREAD."""
        self._stopping = True  # the reader also ends at its next turn if a cancellation is lost
        if self._task:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=STOP_SECONDS)  # how it ended no longer matters
        closing = asyncio.ensure_future(self.client.aclose())
        await asyncio.wait({closing}, timeout=STOP_SECONDS)

    def subscribe(self, platforms: set[str] | None, games: set[str] | None, address: str = "") -> Subscriber:
        if len(self.subscribers) >= self.max_clients:
            raise OverflowError(f"this API process serves at most {self.max_clients} live connections")
        if self.per_address[address] >= self.max_per_address:
            raise AddressCapReached(f"at most {self.max_per_address} live connections from one address")
        subscriber = Subscriber(
            frozenset(platforms) if platforms else None,
            frozenset(games) if games else None,
            asyncio.Queue(maxsize=self.queue_size),
            address=address,
        )
        self.subscribers.add(subscriber)
        self.per_address[address] += 1
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self.subscribers:
            self.subscribers.discard(subscriber)
            self.per_address[subscriber.address] -= 1
            if not self.per_address[subscriber.address]:
                del self.per_address[subscriber.address]

    async def _read(self) -> None:
        """XREAD the feed forever; Redis outages are waited out (the API reports degraded meanwhile)."""
        backoff = 0.5
        while not self._stopping:
            try:
                if self.position is None:
                    top = await self.client.xrevrange(CHANGES, count=1)
                    self.position = top[0][0] if top else "0-0"
                self.healthy = True
                found = await self.client.xread({CHANGES: self.position}, count=1000, block=1000)
                backoff = 0.5
                for _, entries in found or []:
                    for entry_id, fields in entries:
                        self.position = entry_id
                        change = change_message(entry_id, fields)
                        if change is not None:
                            self._publish(change)
                        await asyncio.sleep(0)  # let the clients' senders drain their queues between entries
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                if self.healthy:
                    log.warning("live_feed_redis_unavailable", error=str(exc))
                self.healthy = False
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:  # a malformed entry must not stop the feed for every client
                log.exception("live_feed_entry_failed", position=self.position)
                await asyncio.sleep(backoff)

    def _publish(self, change: ChangeMessage) -> None:
        """Queue the change, serialised once, for every subscriber that wants it."""
        item = (feed_id(change.id), change.model_dump_json())
        for subscriber in list(self.subscribers):
            if subscriber.dropped.is_set() or not subscriber.wants(change):
                continue
            try:
                subscriber.queue.put_nowait(item)
            except asyncio.QueueFull:  # too slow: drop it rather than slow the others or grow memory
                subscriber.dropped.set()
                self.subscribers.discard(subscriber)

    async def snapshot(self, platforms: list[str], limit: int) -> dict[str, Any]:
        try:
            raw = await self._snapshot(keys=[CHANGES], args=[limit, *platforms])
        except (RedisError, OSError) as exc:
            raise RedisUnavailable("Redis (the live state) cannot be reached") from exc
        data = json.loads(raw)
        out: dict[str, Any] = {"position": data["position"], "platforms": {}}
        # cjson encodes an empty Lua table as {}; treat it as an empty list
        for platform, content in (data["platforms"] or {}).items():
            totals = _pairs(content.get("totals") or [])
            games = []
            for key, flat in content.get("games") or []:
                fields = _pairs(flat)
                games.append(
                    {
                        "game": key,
                        "name": fields.get("name", key),
                        "value": _number(fields.get("value")),
                        "change": _number(fields.get("change")),
                        "viewers": _number(fields.get("viewers")),
                        "channels": _number(fields.get("channels")),
                        "players": _number(fields.get("players")),
                        "observed_at": fields.get("observed_at"),
                        "poll_id": fields.get("poll_id"),
                        "is_game": fields.get("is_game") != "0",  # written before the field: a game
                    }
                )
            out["platforms"][platform] = {
                "total": _number(totals.get("total")),
                "games_live": _number(totals.get("games")),
                "observed_at": totals.get("observed_at"),
                "poll_id": totals.get("poll_id"),
                "games": games,
            }
        return out

    async def game(self, platform: str, key: str) -> dict[str, Any] | None:
        try:
            fields = await self.client.hgetall(game_key(platform, key))
        except (RedisError, OSError) as exc:
            raise RedisUnavailable("Redis (the live state) cannot be reached") from exc
        return {k: _number(v) if k not in ("name", "observed_at", "poll_id") else v for k, v in fields.items()} or None

    async def can_resume(self, after: str) -> bool:
        """Are all changes after `after` still in the (capped) stream?"""
        try:
            first = await self.client.xrange(CHANGES, count=1)
        except (RedisError, OSError) as exc:
            raise RedisUnavailable("Redis (the live state) cannot be reached") from exc
        return not first or feed_id(after) >= feed_id(first[0][0])

    async def backlog(self, after: str, page: int = 5000) -> list[ChangeMessage]:
        """Every change after `after` that the stream holds now, in order."""
        out: list[ChangeMessage] = []
        while True:
            try:
                entries = await self.client.xrange(CHANGES, min=f"({after}", count=page)
            except (RedisError, OSError) as exc:
                raise RedisUnavailable("Redis (the live state) cannot be reached") from exc
            out += [c for c in (change_message(entry_id, fields) for entry_id, fields in entries) if c is not None]
            if len(entries) < page:
                return out
            after = entries[-1][0]

    async def ping(self) -> None:
        try:
            await self.client.ping()
        except (RedisError, OSError) as exc:
            raise RedisUnavailable("Redis (the live state) cannot be reached") from exc
