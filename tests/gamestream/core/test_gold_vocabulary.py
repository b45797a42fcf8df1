"""Gold's bucket sizes come from the dbt project's vars, the one place they are defined."""

from gamestream.core.gold_vocabulary import BUCKET_SECONDS, dbt_vars


def test_the_bucket_sizes_are_the_dbt_projects_and_whole_divisions_of_a_day():
    assert BUCKET_SECONDS == {name: int(seconds) for name, seconds in dbt_vars()["buckets"].items()}
    assert list(BUCKET_SECONDS) == ["5m", "1h", "1d"]
    assert all(86400 % seconds == 0 for seconds in BUCKET_SECONDS.values())  # buckets tile a UTC day
