"""The live feed: one Redis reader per API process, fanned out to bounded per-client queues.

The streaming job writes the snapshot (sorted set per platform, hash per game and platform) and the
change feed together in one Lua script (the keys: gamestream/core/live_keys.py). Here:

- `snapshot()` reads the top games, their hashes, the platform totals and the feed's last id in
  one Lua script, so the snapshot and its feed position agree;
- the reader XREADs the feed once for everyone and puts the changes it read together (a poll's games
  and total: the job writes them in one script) as one frame on every subscribed client's queue,
  each change serialised once and each distinct filter's frame once: one WebSocket message per poll
  and client, not one per change (at 2,000 clients a message per change took the feed's p95 from
  publish to receipt to 442 ms); a client whose queue is full is dropped (and told why), so it never
  slows the others;
- `backlog(after)` serves a reconnecting client the changes after its last id while they are still
  in the stream (the stream is capped); `can_resume` says when they are not.

A client subscribes before it reads its snapshot or backlog and then skips queued changes it has
already seen, so nothing falls between the two and nothing arrives twice.
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
import structlog
from pydantic import ValidationError
from redis.exceptions import RedisError

from gamestream.core.live_keys import CHANGES, lua
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


HEARTBEAT = None  # what a client's queue holds when it is due a heartbeat


@dataclass(eq=False)
class Subscriber:
    """A client of the feed: its filters and its queue of frames. A client's sender waits on `ready`
    alone (no timer per wait: with 5,000 clients, `wait_for` on a queue per frame cost a third of
    the process's CPU); the feed's heartbeat task queues a heartbeat for a client idle too long."""

    platforms: frozenset[str] | None
    games: frozenset[str] | None
    size: int
    channels: bool = False  # whether its changes carry each game's top channels (a larger message)
    frames: collections.deque[Frame | None] = field(default_factory=collections.deque)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: asyncio.Event = field(default_factory=asyncio.Event)
    address: str = ""  # the client's, for the per-address cap
    last_sent: float = field(default_factory=time.monotonic)
    pending: int = 0  # changes in `frames`

    def text(self, change: ChangeMessage) -> str:
        """The change as this client gets it: with its top channels only if it asked for them."""
        return change_text(change, self.channels)

    def wants(self, change: ChangeMessage) -> bool:
        if self.platforms is not None and change.platform not in self.platforms:
            return False
        if self.games is not None and change.game != "*" and change.game not in self.games:
            return False
        return True

    def offer(self, frame: Frame | None) -> bool:
        """Queue a frame (or a heartbeat); False when the changes queued already reach `size` (counted
        in changes, not frames: a reader catching up reads hundreds of changes into one frame)."""
        if self.pending >= self.size:
            return False
        self.frames.append(frame)
        self.pending += len(frame.items) if frame else 0
        self.ready.set()
        return True

    async def next(self) -> Frame | None:
        """The next frame, or HEARTBEAT, waiting for one."""
        while not self.frames:
            self.ready.clear()
            await self.ready.wait()
        frame = self.frames.popleft()
        self.pending -= len(frame.items) if frame else 0
        return frame


def change_text(change: ChangeMessage, channels: bool) -> str:
    """A change serialised, with its game's top channels or (for clients that did not ask) null."""
    if channels or change.top_channels is None:
        return change.model_dump_json()
    return change.model_copy(update={"top_channels": None}).model_dump_json()


def changes_text(items: list[str]) -> str:
    """A `changes` message (realtime_api.models.live.ChangesMessage) of changes already serialised."""
    return '{"type":"changes","changes":[' + ",".join(items) + "]}"


@dataclass(frozen=True)
class Frame:
    """Changes read together, as one `changes` message: built once per filter, shared by its clients."""

    items: tuple[tuple[tuple[int, int], str], ...]  # (feed id, the change's JSON), in feed order
    text: str

    @property
    def last(self) -> tuple[int, int]:
        return self.items[-1][0]

    def after(self, seen: tuple[int, int]) -> str | None:
        """The message without the changes at or before `seen` (a client's snapshot or backlog had
        them); None when none is left."""
        if self.items[0][0] > seen:
            return self.text
        rest = [text for at, text in self.items if at > seen]
        return changes_text(rest) if rest else None


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
    def __init__(
        self,
        redis_url: str,
        queue_size: int = 1000,
        max_clients: int = 2000,
        max_per_address: int = 20,
        heartbeat_seconds: float = 15.0,
    ):
        # redis-py types every reply as bytes | str | None whatever decode_responses says; this client's are str
        self.client: Any = aioredis.Redis.from_url(
            redis_url, decode_responses=True, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30
        )
        self.queue_size, self.max_clients, self.max_per_address = queue_size, max_clients, max_per_address
        self.heartbeat_seconds = heartbeat_seconds
        self.subscribers: set[Subscriber] = set()
        self.per_address: collections.Counter[str] = collections.Counter()
        self.position: str | None = None
        self.healthy = False  # logs an outage once, not on every retry
        self._tasks: list[asyncio.Task] = []
        self._stopping = False
        self._snapshot = self.client.register_script(SNAPSHOT)

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._read(), name="live-feed-reader"),
            asyncio.create_task(self._heartbeats(), name="live-feed-heartbeats"),
        ]

    async def stop(self) -> None:
        """Within STOP_SECONDS each for the reader and the client: a test's app shutdown once waited
        forever here, its event loop idle, with the reader cancelled in a blocking XREAD."""
        self._stopping = True  # the reader also ends at its next turn if a cancellation is lost
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=STOP_SECONDS)  # how they ended no longer matters
        closing = asyncio.ensure_future(self.client.aclose())
        await asyncio.wait({closing}, timeout=STOP_SECONDS)

    def subscribe(
        self, platforms: set[str] | None, games: set[str] | None, address: str = "", channels: bool = False
    ) -> Subscriber:
        if len(self.subscribers) >= self.max_clients:
            raise OverflowError(f"this API process serves at most {self.max_clients} live connections")
        if self.per_address[address] >= self.max_per_address:
            raise AddressCapReached(f"at most {self.max_per_address} live connections from one address")
        subscriber = Subscriber(
            frozenset(platforms) if platforms else None,
            frozenset(games) if games else None,
            self.queue_size,
            channels=channels,
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
                    changes = [c for c in (change_message(entry_id, fields) for entry_id, fields in entries) if c]
                    self.position = entries[-1][0]
                    if changes:
                        self._publish(changes)
                    await asyncio.sleep(0)  # let the clients' senders drain their queues between reads
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

    def _publish(self, changes: list[ChangeMessage]) -> None:
        """Queue the changes read together as one frame for every subscriber that wants any of them."""
        items = [(feed_id(c.id), {False: change_text(c, False), True: change_text(c, True)}, c) for c in changes]
        frames: dict[tuple[frozenset[str] | None, frozenset[str] | None, bool], Frame | None] = {}
        for subscriber in list(self.subscribers):
            if subscriber.dropped.is_set():
                continue
            wants = (subscriber.platforms, subscriber.games, subscriber.channels)
            if wants not in frames:
                chosen = tuple(
                    (at, texts[subscriber.channels]) for at, texts, change in items if subscriber.wants(change)
                )
                frames[wants] = Frame(chosen, changes_text([text for _, text in chosen])) if chosen else None
            frame = frames[wants]
            if frame is not None and not subscriber.offer(frame):
                self._drop(subscriber)

    def _drop(self, subscriber: Subscriber) -> None:
        """Too slow: dropped rather than slowing the others or growing memory (its sender closes it)."""
        subscriber.dropped.set()
        self.subscribers.discard(subscriber)

    async def _heartbeats(self) -> None:
        """A heartbeat for every client that was sent nothing for `heartbeat_seconds`, checked four
        times per period: one task for all clients instead of a timer per client."""
        while not self._stopping:
            await asyncio.sleep(self.heartbeat_seconds / 4)
            due = time.monotonic() - self.heartbeat_seconds
            for subscriber in list(self.subscribers):
                if subscriber.last_sent <= due and not subscriber.frames and not subscriber.offer(HEARTBEAT):
                    self._drop(subscriber)

    async def snapshot(self, platforms: list[str], limit: int, channels: bool = False) -> dict[str, Any]:
        """The platforms' top games and totals with the feed's position; each game with its top
        channels when `channels`."""
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
                        "top_channels": (fields.get("top_channels") or None) if channels else None,
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
