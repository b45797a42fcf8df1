import logging

import pytest
import structlog
from pydantic import ValidationError

from gamestream.core.logs import configure_logging
from gamestream.core.settings import Settings


def test_environment_overrides_defaults(clean_env, monkeypatch):
    monkeypatch.setenv("GST_STREAM_NAME", "from-env")
    monkeypatch.setenv("GST_STREAM_SHARDS", "4")
    monkeypatch.setenv("GST_API_ALLOWED_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("GST_WAREHOUSE_URL", "postgresql://gst:pw@db:5432/gst")
    settings = Settings()
    assert settings.stream_name == "from-env"
    assert settings.stream_shards == 4
    assert settings.api_allowed_origins == ["https://a.example", "https://b.example"]
    assert settings.warehouse_kind == "postgresql"


def test_dotenv_is_read_and_environment_wins(clean_env, monkeypatch):
    (clean_env / ".env").write_text("GST_STREAM_NAME=from-dotenv\nGST_REDIS_URL=redis://cache:6379/2\n")
    assert Settings().stream_name == "from-dotenv"
    assert Settings().redis_url == "redis://cache:6379/2"
    monkeypatch.setenv("GST_STREAM_NAME", "from-env")
    assert Settings().stream_name == "from-env"


def test_embedded_defaults_live_under_the_data_dir(clean_env):
    settings = Settings(data_dir=clean_env / "d")
    assert settings.lake_path == str(clean_env / "d" / "lake")
    assert settings.checkpoint_path == str(clean_env / "d" / "checkpoints")
    assert settings.warehouse == f"duckdb:///{clean_env / 'd' / 'warehouse.duckdb'}"
    assert settings.aws_endpoint_url is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GST_WAREHOUSE_URL", "mysql://x"),
        ("GST_STREAM_SHARDS", "0"),
        ("GST_REDIS_URL", "http://x"),
        ("GST_TWITCH_SWEEP_SECONDS", "10"),
    ],
)
def test_bad_values_are_refused_with_the_setting_named(clean_env, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as info:
        Settings()
    assert name.removeprefix("GST_").lower() in str(info.value) or "twitch_sweep_seconds" in str(info.value)


def test_secrets_never_show_in_repr_describe_or_logs(clean_env, monkeypatch, capsys):
    secret = "s3cr3t-value-123"
    monkeypatch.setenv("GST_TWITCH_CLIENT_SECRET", secret)
    monkeypatch.setenv("GST_YOUTUBE_API_KEY", secret + "yt")
    monkeypatch.setenv("GST_WAREHOUSE_URL", f"postgresql://gst:{secret}@db/gst")
    settings = Settings()
    assert settings.secret("twitch_client_secret") == secret
    assert secret not in repr(settings)
    assert secret not in str(settings)
    described = settings.describe()
    assert described["twitch_client_secret"] == "set"
    assert described["steam_api_key"] == "not set"
    assert secret not in str(described)
    configure_logging(settings)
    try:
        structlog.get_logger("t").info("settings_loaded", settings=settings, safe=described)
        logging.getLogger("t").info("settings %r", settings)
        captured = capsys.readouterr()
    finally:
        structlog.reset_defaults()
    assert "settings_loaded" in captured.err
    assert secret not in captured.err + captured.out


def test_env_reproduces_settings_in_a_child(clean_env, monkeypatch):
    settings = Settings(stream_name="child", api_allowed_origins=["https://x"], steam_api_key="k")
    for key, value in settings.env().items():
        monkeypatch.setenv(key, value)
    again = Settings()
    assert again.stream_name == "child"
    assert again.api_allowed_origins == ["https://x"]
    assert again.secret("steam_api_key") == "k"
