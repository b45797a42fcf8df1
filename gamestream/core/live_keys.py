"""The live state's layout in Redis, written by the streaming job (streaming_jobs/live.py) and read by
the API (realtime_api/live_feed.py); both take every key from here.

- `gst:live:{platform}`          sorted set: game key -> its latest complete-poll value
                                 (viewers on Twitch/YouTube, players on Steam)
- `gst:game:{platform}:{key}`    hash: name, value, viewers, channels, players, change vs the
                                 previous poll, observed_at, poll_id, batch_id
- `gst:platform:{platform}`      hash: total, games, observed_at, poll_id
- `gst:live:changes`             stream: one entry per change, ids `{offset + batch_id + 1}-{n}`
                                 (offset: the feed's top when this run began), so Redis itself
                                 rejects a replayed batch's entries
- `gst:live:run:{run}`           per run (checkpoint): its id offset and last applied batch
- `gst:live:last_batch`          the last applied batch id, for `gst status`
- `gst:rate:{address}`           hash: a client address's token bucket for the API's rate limit
                                 (realtime_api/rate_limit.py), expiring once full again

Lua scripts build the per-platform keys themselves (a script may only name the keys it is given, or
compute them): `lua` puts these prefixes into a script's text.
"""

from __future__ import annotations

from string import Template

CHANGES = "gst:live:changes"
LAST_BATCH = "gst:live:last_batch"
FEED_MAXLEN = 200_000  # entries the change feed keeps (approximately: XADD MAXLEN ~)

RANKING_PREFIX = "gst:live:"
GAME_PREFIX = "gst:game:"
PLATFORM_PREFIX = "gst:platform:"
RUN_PREFIX = "gst:live:run:"
RATE_PREFIX = "gst:rate:"


def run_key(run_id: str) -> str:
    return f"{RUN_PREFIX}{run_id}"


def lua(script: str) -> str:
    """`script` with $ranking, $game and $platform replaced by the prefixes, as Lua string literals."""
    return Template(script).substitute(
        ranking=repr(RANKING_PREFIX), game=repr(GAME_PREFIX), platform=repr(PLATFORM_PREFIX)
    )
