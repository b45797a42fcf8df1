from __future__ import annotations

from pathlib import Path

import pytest

from gamestream.core.settings import Settings
from infra.environment import LOCAL_ONLY, service_environment


def test_the_deployers_chosen_settings_pass_on_and_local_ones_do_not(clean_env):
    settings = Settings(
        _env_file=None,
        twitch_head_pages=20,
        data_dir=Path("/home/me/.gst"),
        aws_endpoint_url="http://127.0.0.1:4567",
        twitch_client_secret="s3cret",
        warehouse_url="postgresql://me:pw@localhost/gst",
    )
    env = service_environment(settings, {"lake_root": "s3://bucket/lake", "api_allowed_origins": ["http://lb"]})
    assert env == {
        "GST_TWITCH_HEAD_PAGES": "20",
        "GST_LAKE_ROOT": "s3://bucket/lake",
        "GST_API_ALLOWED_ORIGINS": "http://lb",
    }
    assert "s3cret" not in str(env) and "pw@" not in str(env)
    assert {"data_dir", "aws_endpoint_url"} <= LOCAL_ONLY


def test_only_the_stacks_own_settings_can_be_deployed_values(clean_env):
    with pytest.raises(ValueError, match="not a deployed setting: twitch_head_pages"):
        service_environment(Settings(_env_file=None), {"twitch_head_pages": 3})
