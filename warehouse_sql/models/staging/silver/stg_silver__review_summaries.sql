-- Silver's Steam review summaries that the loader staged for this load. The one place
-- game_reviews reads them from.
select event_id, app_id, review_score, review_score_desc, total_positive, total_negative, total_reviews, observed_at
from {{ source('silver', 'review_summaries') }}
