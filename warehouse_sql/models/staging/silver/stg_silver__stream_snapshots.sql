-- Silver's Twitch stream snapshots that the loader staged for this load. The one place the channel
-- models read them from.
select platform, source, poll_id, stream_id, channel_id, channel_name, user_login, game_key, game_name,
       viewer_count, language, started_at, observed_at
from {{ source('silver', 'stream_snapshots') }}
