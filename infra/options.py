"""Deployment choices that are not settings of the project: sizes and counts of AWS resources.

Read from CDK context (`infra/cdk.json`, or `cdk deploy -c gst:streamMode=on-demand`); every key
is prefixed `gst:`. What the services themselves read stays in the project's Settings
(infra/environment.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Literal

StreamMode = Literal["provisioned", "on-demand"]
GLUE_WORKER_TYPES = ("G.025X", "G.1X", "G.2X", "G.4X", "G.8X")


@dataclass(frozen=True)
class DeployOptions:
    stream_mode: StreamMode = "provisioned"  # provisioned: GST_STREAM_SHARDS shards
    availability_zones: tuple[str, ...] = ("us-east-1a", "us-east-1b", "us-east-1c")  # Redshift Serverless needs 3
    nat_gateways: int = 1
    glue_worker_type: str = "G.1X"
    glue_stream_workers: int = 2
    glue_backfill_workers: int = 10
    redshift_base_rpus: int = 8
    redis_node_type: str = "cache.t4g.small"
    redis_replicas: int = 1  # read replicas beside the primary (1: automatic failover across AZs)
    api_tasks: int = 2
    gold_every_minutes: int = 15
    iterator_age_alarm_seconds: int = 120
    api_errors_alarm_count: int = 10  # per 5 minutes
    seed_archive_bucket: str = ""  # the seed pipeline's raw archive, read by `gst import` in the ops task
    # HTTPS: an ACM certificate (its ARN) for the API's host name, whose DNS record (the deployer's)
    # points at the load balancer; the listener serves HTTPS on 443 and redirects HTTP. Unset: HTTP on 80
    certificate_arn: str = ""
    api_domain: str = ""

    @classmethod
    def from_context(cls, context: Callable[[str], Any]) -> DeployOptions:
        """Each field from context `gst:camelCaseName` when given, else its default
        (`context` looks a key up: `app.node.try_get_context`)."""
        given: dict[str, Any] = {}
        for field in fields(cls):
            head, *rest = field.name.split("_")
            key = "gst:" + head + "".join(part.title() for part in rest)
            value = context(key)
            if value is None:
                continue
            if isinstance(field.default, tuple):  # a list in cdk.json, "a,b,c" from `-c`
                value = tuple(value.split(",") if isinstance(value, str) else value)
            elif isinstance(field.default, int):  # `-c` passes strings
                try:
                    value = int(value)
                except ValueError:
                    raise ValueError(f"{key} must be a whole number, not {value!r}") from None
            given[field.name] = value
        options = cls(**given)
        if options.stream_mode not in ("provisioned", "on-demand"):
            raise ValueError(f"gst:streamMode must be provisioned or on-demand, not {options.stream_mode!r}")
        if options.glue_worker_type not in GLUE_WORKER_TYPES:
            raise ValueError(f"gst:glueWorkerType must be one of {', '.join(GLUE_WORKER_TYPES)}")
        if bool(options.certificate_arn) != bool(options.api_domain):
            raise ValueError("gst:certificateArn and gst:apiDomain go together: the certificate is for that host name")
        if len(options.availability_zones) < 3:
            raise ValueError("gst:availabilityZones needs at least 3 zones (Redshift Serverless spans three)")
        return options

    def in_region(self, region: str) -> DeployOptions:
        """These options, if their zones lie in `region` (the stack's, GST_AWS_REGION), else ValueError:
        zones of another region fail only at deploy time."""
        foreign = [zone for zone in self.availability_zones if not zone.startswith(region)]
        if foreign:
            raise ValueError(
                f"gst:availabilityZones {', '.join(foreign)} are not in {region} (GST_AWS_REGION): "
                f"pass -c gst:availabilityZones={region}a,{region}b,{region}c"
            )
        return self
