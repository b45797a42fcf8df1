"""Which S3 objects an `s3://bucket/prefix` location names."""

import pytest

from batch_jobs.imports.files import _under


@pytest.mark.parametrize(
    ("key", "prefix", "inside"),
    [
        ("2024/a.json", "2024", True),
        ("2024/a.json", "2024/", True),
        ("2024", "2024", True),
        ("2024-old/a.json", "2024", False),
        ("20245/a.json", "2024", False),
        ("any/a.json", "", True),
    ],
)
def test_a_prefix_names_an_object_or_a_folder_not_every_key_that_starts_alike(key, prefix, inside):
    assert _under(key, prefix) is inside
