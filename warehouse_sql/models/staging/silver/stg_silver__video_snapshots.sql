-- Silver's YouTube live video snapshots that the loader staged for this load. The one place the
-- channel models read them from.
select source, poll_id, video_id, channel_id, channel_title, game_key, game_name, concurrent_viewers,
       actual_start_time, observed_at
from {{ source('silver', 'video_snapshots') }}
