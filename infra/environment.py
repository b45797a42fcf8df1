"""The GST_* settings every deployed service, task and Glue job gets: built once here from the
project's own Settings class, so nothing is configured twice.

The deployer's Settings (the GST_* variables of the shell that runs `cdk`, and `infra/.env`) give
the choices shared with a local run (stream name, shards, transport, poll intervals, ...); the
stack adds where the AWS resources are (lake and checkpoints on S3, Redis, the Redshift role).
Settings that only make sense on one machine (data directory, jar folders, the embedded broker,
endpoint overrides, test hooks) are never passed on, nor is the warehouse URL (it holds a
password). Secrets never go into plain environment variables: they reach containers as ECS secrets
from Secrets Manager (`SECRET_SETTINGS`).
"""

from __future__ import annotations

from collections.abc import Mapping

from gamestream.core.settings import SECRET_FIELDS, Settings

# Meaningful only on the machine that runs the embedded stack or the tests
LOCAL_ONLY = frozenset(
    {
        "data_dir",
        "aws_endpoint_url",
        "kafka_host",
        "kafka_heap_mb",
        "kafka_jars_dir",
        "spark_jars_dir",
        "spark_driver_memory",
        "spark_fixed_heap",
        "spark_collector",
        "spark_task_slots",
        "spark_state_memory_mb",
        "spark_jemalloc",
        "metrics_port",
        "test_fault_point",
        "test_fault_batch",
    }
)
# Set by the stack from its resources, whatever the deployer's environment says
DEPLOYED = frozenset(
    {
        "aws_region",
        "s3_bucket",
        "lake_root",
        "checkpoint_root",
        "redis_url",
        "redshift_iam_role",
        "api_host",
        "api_allowed_origins",
        "api_forwarded_allow_ips",
        "log_json",
        "sink",
        "stream_name",
        "stream_shards",
    }
)
# Secret settings each deployed part needs, by part (values come from Secrets Manager)
SECRET_SETTINGS: Mapping[str, tuple[str, ...]] = {
    "steam": ("steam_api_key",),
    "twitch": ("twitch_client_id", "twitch_client_secret"),
    "youtube": ("youtube_api_key",),
    "api": ("warehouse_url",),
    "gold": ("warehouse_url",),
}


def variable(name: str) -> str:
    """The environment variable of a setting."""
    return f"GST_{name.upper()}"


def service_environment(settings: Settings, deployed: Mapping[str, object]) -> dict[str, str]:
    """GST_* variables: the deployer's explicitly set, portable settings plus `deployed` (the
    stack's resources; values may be CloudFormation tokens)."""
    unknown = set(deployed) - DEPLOYED
    if unknown:
        raise ValueError(f"not a deployed setting: {', '.join(sorted(unknown))}")
    chosen = settings.model_fields_set - LOCAL_ONLY - SECRET_FIELDS - {"warehouse_url"}
    merged = settings.model_copy(update=dict(deployed))
    keep = {variable(name) for name in chosen | set(deployed)}
    return {key: value for key, value in merged.env().items() if key in keep}
