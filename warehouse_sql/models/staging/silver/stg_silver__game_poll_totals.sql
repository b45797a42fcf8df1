-- Silver's per poll and game totals that the loader staged for this load (what silver gained since
-- the last one: polls the poll query closed, complete or partial). The one place the bucket and poll
-- models read them from.
select platform, source, game_key, game_name, poll_id, scheduled_at, interval_seconds, viewers, channels, players,
       mature_channels, coverage, status, top_channel, top_channel_viewers, views
from {{ source('silver', 'game_poll_totals') }}
