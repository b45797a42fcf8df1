"""The CDK app: `cdk synth` / `cdk deploy` in infra/ run this (infra/cdk.json).

The stack's region is GST_AWS_REGION; its account is the one of the deployer's credentials.
"""

from __future__ import annotations

import os

import aws_cdk as cdk

from gamestream.core.settings import Settings
from infra.options import DeployOptions
from infra.stack import GameStreamTrendsStack


def build(app: cdk.App, settings: Settings, stack_id: str = "GameStreamTrends") -> GameStreamTrendsStack:
    return GameStreamTrendsStack(
        app,
        stack_id,
        settings=settings,
        options=DeployOptions.from_context(app.node.try_get_context).in_region(settings.aws_region),
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=settings.aws_region),
        description="Game Stream Trends: stream, lake, streaming job, live state, warehouse, pollers and API",
    )


def main() -> None:
    app = cdk.App()
    build(app, Settings())
    app.synth()


if __name__ == "__main__":
    main()
