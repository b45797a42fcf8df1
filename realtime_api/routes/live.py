"""Live state: a REST snapshot and the WebSocket feed /ws/live.

WebSocket protocol (server to client, JSON text frames):
- {"type": "snapshot", "position": id, "platforms": {platform: {total, observed_at, games: [...]}}}
  on connect, or when a resume is impossible (its last id is no longer in the capped feed);
- {"type": "resumed", "after": id} then the changes after that id, when `last_id` was given;
- {"type": "changes", "changes": [change, ...]}: the next changes in feed order, each once; those
  written together (a poll's games and its total) come in one message. A change is {"type":
  "change", "id": id, "platform", "game" ("*" = the platform total), "name", "value", "change",
  "observed_at", "poll_id", "is_game" (false for a category that is not a game, such as Just
  Chatting; null for the total)}; resume after the last one's id;
- {"type": "heartbeat", "position": id} after `GST_API_WS_HEARTBEAT_SECONDS` without a message.
Query parameters: platforms=twitch,steam  games=dota 2,fortnite  last_id=...  limit=100 (snapshot)
channels=true (each game's change and snapshot line carry `top_channels`, its 5 channels with the
most viewers in the poll: [{id, login, name, viewers}]; without it they carry none, keeping the
messages small for clients that only follow the numbers).
A connection from an Origin other than the API's own and those in GST_API_ALLOWED_ORIGINS is
refused at the handshake (HTTP 403).
Close codes: 1008 bad parameters, or the address holds its cap of connections (api_ws_max_per_address);
1011 Redis unreachable; 1013 the process's connection cap reached; 4000 the
client read too slowly and was dropped (reconnect with last_id to resume).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from gamestream.core.contracts import Platform
from realtime_api.deps import Feed
from realtime_api.live_feed import (
    AddressCapReached,
    LiveFeed,
    RedisUnavailable,
    Subscriber,
    changes_text,
    feed_id,
)
from realtime_api.models.live import HeartbeatMessage, LiveSnapshot, ResumedMessage, SnapshotMessage

router = APIRouter(tags=["live"])
TOO_SLOW = 4000
BACKLOG_FRAME = 500  # changes per message when a resumed client catches up


@router.get(
    "/api/live/{platform}",
    summary="The live snapshot of one platform (latest complete polls)",
    responses={503: {"description": "Redis cannot be reached"}},
    response_model=LiveSnapshot,
)
async def live(platform: Platform, feed: Feed, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    snapshot = await feed.snapshot([platform.value], limit, channels=True)
    return {"platform": platform, "position": snapshot["position"], **snapshot["platforms"][platform.value]}


def _split(value: str | None) -> set[str] | None:
    items = {v.strip() for v in (value or "").split(",") if v.strip()}
    return items or None


@router.websocket("/ws/live")
async def live_socket(websocket: WebSocket) -> None:
    app = websocket.app
    feed: LiveFeed = app.state.feed
    metrics = app.state.metrics
    origin = websocket.headers.get("origin")
    same_origin = origin is not None and urlsplit(origin).netloc == websocket.headers.get("host")
    if origin is not None and not same_origin and origin not in app.state.settings.api_allowed_origins:
        metrics.ws_refused.labels("origin").inc()
        await websocket.close(code=1008, reason="origin not allowed")
        return
    params = websocket.query_params
    platforms = _split(params.get("platforms"))
    unknown = sorted((platforms or set()) - {p.value for p in Platform})
    last_id = params.get("last_id")
    channels = params.get("channels", "false")
    try:
        limit = int(params.get("limit", "100"))
        if last_id:
            feed_id(last_id)
        if unknown or not 1 <= limit <= 1000 or channels not in ("true", "false"):
            raise ValueError
    except ValueError:
        await websocket.accept()
        await websocket.close(
            code=1008, reason="bad parameters: platforms, games, last_id, limit (1-1000) or channels (true, false)"
        )
        return
    await websocket.accept()
    address = websocket.client.host if websocket.client else "unknown"
    try:
        subscriber = feed.subscribe(platforms, _split(params.get("games")), address, channels == "true")
    except OverflowError as exc:
        metrics.ws_refused.labels("capacity").inc()
        await websocket.close(code=1013, reason=str(exc)[:120])
        return
    except AddressCapReached as exc:
        metrics.ws_refused.labels("address").inc()
        await websocket.close(code=1008, reason=str(exc)[:120])
        return
    metrics.ws_clients.inc()
    try:
        await _serve(websocket, feed, subscriber, platforms, last_id, limit, metrics)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        feed.unsubscribe(subscriber)
        metrics.ws_clients.dec()


async def _serve(
    websocket: WebSocket,
    feed: LiveFeed,
    subscriber: Subscriber,
    platforms: set[str] | None,
    last_id: str | None,
    limit: int,
    metrics: Any,
) -> None:
    sent = {kind: metrics.ws_sent.labels(kind) for kind in ("snapshot", "resumed", "changes", "heartbeat")}

    async def send(message: SnapshotMessage | ResumedMessage | HeartbeatMessage) -> None:
        await websocket.send_text(message.model_dump_json())
        sent[message.type].inc()

    try:
        if last_id and await feed.can_resume(last_id):
            await send(ResumedMessage(type="resumed", after=last_id))
            backlog = await feed.backlog(last_id)
            position = backlog[-1].id if backlog else last_id
            wanted = [subscriber.text(change) for change in backlog if subscriber.wants(change)]
            for start in range(0, len(wanted), BACKLOG_FRAME):
                await websocket.send_text(changes_text(wanted[start : start + BACKLOG_FRAME]))
                sent["changes"].inc()
        else:
            snapshot = await feed.snapshot(
                sorted(platforms or {p.value for p in Platform}), limit, channels=subscriber.channels
            )
            position = snapshot["position"]
            await send(SnapshotMessage(type="snapshot", **snapshot))
    except RedisUnavailable as exc:
        await websocket.close(code=1011, reason=str(exc)[:120])
        return

    async def pump() -> None:
        seen = feed_id(position)
        while True:
            frame = await subscriber.next()
            if frame is None:  # HEARTBEAT: nothing was sent for a while
                await send(HeartbeatMessage(type="heartbeat", position=feed.position))
            else:
                text = frame.after(seen)  # without what the snapshot or backlog already had
                if text is None:
                    continue
                seen = frame.last
                await websocket.send_text(text)  # built once by the feed for every client with this filter
                sent["changes"].inc()
            subscriber.last_sent = time.monotonic()

    async def listen() -> None:
        while True:  # clients only talk to close; reading notices a disconnect at once
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return

    tasks = [asyncio.create_task(pump()), asyncio.create_task(listen()), asyncio.create_task(subscriber.dropped.wait())]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    if subscriber.dropped.is_set():
        metrics.ws_dropped.inc()
        if websocket.client_state is WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    websocket.close(code=TOO_SLOW, reason="client too slow: resume with last_id"), timeout=2
                )
    for task in done:
        error = None if task.cancelled() else task.exception()
        if error is not None and not isinstance(error, WebSocketDisconnect):
            raise error
