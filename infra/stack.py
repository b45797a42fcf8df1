"""One CloudFormation stack for the whole system on AWS, put together from its parts (infra/parts/).

Kinesis (or Amazon MSK with GST_SINK=kafka) -> the Glue 5.0 streaming job (streaming_jobs/glue_job.py)
-> the Delta lake on S3 and ElastiCache for Redis; `gst gold run` on a schedule (ECS task) -> Redshift
Serverless; pollers and the API (behind a load balancer) as ECS Fargate services; a Glue batch job
for backfills (batch_jobs/glue_backfill.py). Every part gets the same GST_* settings
(infra/environment.py) and only the permissions it uses.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

from gamestream.core.settings import Settings
from infra.environment import service_environment
from infra.layout import CHECKPOINT_PREFIX, LAKE_PREFIX
from infra.options import DeployOptions
from infra.parts.alarms import Alarms
from infra.parts.glue_jobs import GlueJobs
from infra.parts.lake import Lake
from infra.parts.live_state import LiveState
from infra.parts.network import Network
from infra.parts.services import Services
from infra.parts.stream import Stream
from infra.parts.warehouse import Warehouse


class GameStreamTrendsStack(cdk.Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, options: DeployOptions, **kwargs: object
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.settings, self.options = settings, options
        self.network = Network(self, "Network", options=options)
        self.lake = Lake(self, "Lake", settings=settings)
        self.stream = Stream(self, "Stream", settings=settings, options=options, network=self.network)
        self.live_state = LiveState(self, "LiveState", options=options, network=self.network)
        self.warehouse = Warehouse(self, "Warehouse", options=options, network=self.network, lake=self.lake)
        # The load balancer comes first: its address is the API's allowed origin
        self.alb = elbv2.ApplicationLoadBalancer(
            self, "ApiLoadBalancer", vpc=self.network.vpc, internet_facing=True, drop_invalid_header_fields=True
        )
        bucket = self.lake.bucket.bucket_name
        deployed: dict[str, object] = {
            "aws_region": self.region,
            "s3_bucket": bucket,
            "lake_root": f"s3://{bucket}/{LAKE_PREFIX}",
            "checkpoint_root": f"s3://{bucket}/{CHECKPOINT_PREFIX}",
            "redis_url": self.live_state.url,
            "redshift_iam_role": self.warehouse.copy_role.role_arn,
            "api_host": "0.0.0.0",  # in a private subnet, reached through the load balancer only
            "api_allowed_origins": [
                f"https://{options.api_domain}"
                if options.certificate_arn
                else f"http://{self.alb.load_balancer_dns_name}"
            ],
            # the load balancer's nodes live in the public subnets: only their X-Forwarded-For names the
            # client (the rate limit and the per-address cap count clients, not the balancer)
            "api_forwarded_allow_ips": ",".join(s.ipv4_cidr_block for s in self.network.vpc.public_subnets),
            "log_json": True,
            "sink": settings.sink,
            "stream_name": settings.stream_name,
            "stream_shards": settings.stream_shards,
        }
        self.gst_environment = service_environment(settings, deployed)
        self.services = Services(
            self,
            "Services",
            settings=settings,
            options=options,
            network=self.network,
            lake=self.lake,
            stream=self.stream,
            warehouse=self.warehouse,
            load_balancer=self.alb,
            environment=self.gst_environment,
        )
        self.glue_jobs = GlueJobs(
            self,
            "GlueJobs",
            options=options,
            network=self.network,
            lake=self.lake,
            stream=self.stream,
            environment=self.gst_environment,
        )
        self.alarms = Alarms(
            self, "Alarms", options=options, stream=self.stream, glue_jobs=self.glue_jobs, load_balancer=self.alb
        )
        for name, value in {
            "ApiUrl": f"http://{self.alb.load_balancer_dns_name}",
            "LakeBucket": bucket,
            "WarehouseEndpoint": self.warehouse.workgroup.attr_workgroup_endpoint_address,
            "StreamingJob": self.glue_jobs.streaming_job.job_name,
            "BackfillJob": self.glue_jobs.backfill_job.job_name,
            "OpsTaskDefinition": self.services.ops_task.task_definition_arn,
            "Cluster": self.services.cluster.cluster_name,
            "OpsSecurityGroup": self.network.groups["ops"].security_group_id,
            "PrivateSubnets": ",".join(subnet.subnet_id for subnet in self.network.vpc.private_subnets),
            "PlatformCredentialsSecret": self.services.platform_credentials.secret_arn,
            "WarehouseAdminSecret": self.warehouse.admin.secret_arn,
        }.items():
            cdk.CfnOutput(self, f"{name}Output", value=value)
