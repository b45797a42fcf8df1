"""Gold's bucket sizes come from the dbt project's vars, the one place they are defined, and the
loader and the API use them from there."""

from batch_jobs.gold import loader
from gamestream.core import gold_vocabulary
from realtime_api.queries import spans


def test_the_bucket_sizes_are_read_from_the_dbt_project_and_shared():
    assert gold_vocabulary.dbt_vars()["buckets"] == {"5m": 300, "1h": 3600, "1d": 86400}
    assert gold_vocabulary.BUCKET_SECONDS == {"5m": 300, "1h": 3600, "1d": 86400}
    assert loader.BUCKET_SECONDS is gold_vocabulary.BUCKET_SECONDS is spans.BUCKET_SECONDS
