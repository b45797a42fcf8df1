"""boto3 clients built from Settings: one code path for kinesalite, LocalStack and AWS."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import boto3
from botocore.config import Config

from gamestream.core.settings import Settings


def aws_client(settings: Settings, service: str, **config: Any) -> Any:
    """A client for `service`; explicit keys only when configured, else boto3's default chain."""
    kwargs: dict[str, Any] = {
        "region_name": settings.aws_region,
        "config": Config(
            **{"retries": {"max_attempts": 3, "mode": "standard"}, "connect_timeout": 5, "read_timeout": 30, **config}
        ),
    }
    if settings.aws_endpoint_url:
        kwargs["endpoint_url"] = settings.aws_endpoint_url
    if settings.aws_access_key_id and settings.aws_secret_access_key:
        kwargs["aws_access_key_id"] = settings.secret("aws_access_key_id")
        kwargs["aws_secret_access_key"] = settings.secret("aws_secret_access_key")
    return boto3.session.Session().client(service, **kwargs)


def ensure_stream(kinesis: Any, name: str, shards: int, timeout: float = 60.0) -> dict[str, Any]:
    """Create the stream if missing and wait until it is ACTIVE; returns its summary."""
    with contextlib.suppress(kinesis.exceptions.ResourceInUseException):  # it exists already
        kinesis.create_stream(StreamName=name, ShardCount=shards)
    deadline = time.monotonic() + timeout
    while True:
        summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        if summary["StreamStatus"] == "ACTIVE":
            return summary
        if time.monotonic() > deadline:
            raise TimeoutError(f"stream {name} not ACTIVE after {timeout:.0f}s (status {summary['StreamStatus']})")
        time.sleep(0.5)


def ensure_bucket(s3: Any, name: str) -> None:
    try:
        s3.head_bucket(Bucket=name)
    except s3.exceptions.ClientError:
        s3.create_bucket(Bucket=name)
