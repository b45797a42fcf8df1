-- gold.game_reviews: the latest Steam review summary per app (the seed's review score and positive
-- ratio), from silver.review_summaries rows staged as `incoming_reviews`; an older summary never
-- replaces a newer one.
CREATE TEMP TABLE latest_reviews AS
SELECT app_id, review_score, review_score_desc, total_positive, total_negative, total_reviews, observed_at
FROM (SELECT r.*, ROW_NUMBER() OVER (PARTITION BY app_id ORDER BY observed_at DESC, event_id) AS position
      FROM incoming_reviews r) ranked
WHERE position = 1;

DELETE FROM gold.game_reviews
WHERE app_id IN (SELECT l.app_id FROM latest_reviews l JOIN gold.game_reviews g ON g.app_id = l.app_id
                 WHERE l.observed_at >= g.observed_at);

INSERT INTO gold.game_reviews (app_id, review_score, review_score_desc, total_positive, total_negative, total_reviews,
                               positive_ratio, observed_at)
SELECT app_id, review_score, review_score_desc, total_positive, total_negative, total_reviews,
       CASE WHEN total_reviews > 0 THEN CAST(total_positive AS DOUBLE PRECISION) / total_reviews END, observed_at
FROM latest_reviews l
WHERE NOT EXISTS (SELECT 1 FROM gold.game_reviews g WHERE g.app_id = l.app_id);

DROP TABLE latest_reviews
