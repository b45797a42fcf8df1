"""Where the deployed system keeps things: the repository the assets come from, the lake's prefixes
in its bucket, the platforms, and the ports of the private services."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("steam", "twitch", "youtube")
LAKE_PREFIX, CHECKPOINT_PREFIX = "lake", "checkpoints"
GOLD_MANIFESTS = f"{LAKE_PREFIX}/_gold_manifests"  # where `gst gold run` writes Redshift's COPY manifests
RAW_PREFIX = f"{LAKE_PREFIX}/raw"  # the pollers' raw archive (gamestream/core/raw_area.py: LAKE_ROOT/raw)
REDSHIFT_PORT, REDIS_PORT = 5439, 6379
# Never staged into an asset: environments, caches, build output, fetched jars and local data
ASSET_EXCLUDE = [
    ".git",
    ".venv",
    ".venv-spark35",
    ".jars",
    ".gst",
    ".gst-bench",
    ".env",
    "**/node_modules",
    "**/__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "*.egg-info",
    "test-artifacts",
    "cdk.out",
    "infra/cdk.out",
]


def ignore_lint(resource: object, rule: str) -> None:
    """Tell cfn-lint to skip one rule on one resource (the reason stands where this is called)."""
    assert isinstance(resource, cdk.CfnResource)
    resource.add_metadata("cfn-lint", {"config": {"ignore_checks": [rule]}})
