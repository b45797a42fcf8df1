"""The services on ECS Fargate, all from the repository's one image with the same GST_* environment:
a poller per platform, the API behind the load balancer, `gst gold run` on a schedule, and a task
definition for one-off commands (`gst import`, `gst lake maintain`, `gst status`). Each gets only
the secrets and data permissions it uses."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from gamestream.core.settings import Settings
from infra.environment import SECRET_SETTINGS, variable
from infra.layout import ASSET_EXCLUDE, GOLD_MANIFESTS, LAKE_PREFIX, RAW_PREFIX, ROOT, SOURCES, ignore_lint
from infra.options import DeployOptions
from infra.parts.lake import Lake
from infra.parts.network import Network
from infra.parts.stream import Stream
from infra.parts.warehouse import Warehouse

ARCHIVING_POLLERS = ("steam", "twitch")  # YouTube's pages are not archived


class Services(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        options: DeployOptions,
        network: Network,
        lake: Lake,
        stream: Stream,
        warehouse: Warehouse,
        load_balancer: elbv2.ApplicationLoadBalancer,
        environment: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.environment, self.warehouse = environment, warehouse
        groups, private, bucket = network.groups, network.private, lake.bucket
        # the platforms' credentials: placeholders until the operator puts the real ones (docs/operations.md)
        self.platform_credentials = secretsmanager.Secret(
            self,
            "PlatformCredentials",
            description="Steam, Twitch and YouTube API credentials of the pollers",
            secret_object_value={
                variable(name): cdk.SecretValue.unsafe_plain_text("set-me")
                for source in SOURCES
                for name in SECRET_SETTINGS[source]
            },
        )
        self.cluster = ecs.Cluster(
            self, "Cluster", vpc=network.vpc, container_insights_v2=ecs.ContainerInsights.ENABLED
        )
        self.logs = logs.LogGroup(self, "ServiceLogs", retention=logs.RetentionDays.ONE_MONTH)
        # one image for every stage, built from the repository's Dockerfile when deployed
        self.image = ecs.ContainerImage.from_asset(
            str(ROOT), exclude=ASSET_EXCLUDE, platform=cdk.aws_ecr_assets.Platform.LINUX_AMD64
        )

        # Pollers: one service per platform, one task each (a poller owns its platform's poll grid,
        # so a deployment stops the old task before it starts the new one)
        self.pollers: dict[str, ecs.FargateService] = {}
        for source in SOURCES:
            task = ecs.FargateTaskDefinition(self, f"{source.title()}PollerTask", cpu=256, memory_limit_mib=512)
            self._container(task, ["gst", "produce", "--source", source], SECRET_SETTINGS[source])
            if stream.stream is not None:
                stream.stream.grant_write(task.task_role)
            if settings.raw_archive and source in ARCHIVING_POLLERS:  # its raw pages, and nothing else
                bucket.grant_put(task.task_role, f"{RAW_PREFIX}/{source}/*")
            self.pollers[source] = ecs.FargateService(
                self,
                f"{source.title()}Poller",
                cluster=self.cluster,
                task_definition=task,
                desired_count=1,
                min_healthy_percent=0,
                max_healthy_percent=100,
                vpc_subnets=private,
                security_groups=[groups["pollers"]],
                circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            )

        # The API behind the load balancer (REST, WebSocket, dashboard)
        api_task = ecs.FargateTaskDefinition(self, "ApiTask", cpu=512, memory_limit_mib=1024)
        self._container(api_task, ["gst", "api"], SECRET_SETTINGS["api"]).add_port_mappings(
            ecs.PortMapping(container_port=settings.api_port)
        )
        https: dict[str, Any] = {}
        if options.certificate_arn:  # HTTPS on 443 with TLS 1.2+, HTTP on 80 redirected to it
            https = {
                "certificate": acm.Certificate.from_certificate_arn(self, "ApiCertificate", options.certificate_arn),
                "protocol": elbv2.ApplicationProtocol.HTTPS,
                "redirect_http": True,
                "ssl_policy": elbv2.SslPolicy.RECOMMENDED_TLS,
            }
        self.api = ecs_patterns.ApplicationLoadBalancedFargateService(
            self,
            "Api",
            cluster=self.cluster,
            load_balancer=load_balancer,
            task_definition=api_task,
            desired_count=options.api_tasks,
            task_subnets=private,
            security_groups=[groups["api"]],
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            min_healthy_percent=50,
            **https,
        )
        self.api.target_group.configure_health_check(path="/healthz")
        # the pattern makes the service wait for its target group, which its Ref already does
        ignore_lint(self.api.service.node.default_child, "W3005")

        # Gold: `gst gold run` as a task on a schedule; it reads silver and writes COPY manifests
        self.gold_task = ecs.FargateTaskDefinition(self, "GoldTask", cpu=1024, memory_limit_mib=2048)
        self._container(self.gold_task, ["gst", "gold", "run"], SECRET_SETTINGS["gold"])
        bucket.grant_read(self.gold_task.task_role, f"{LAKE_PREFIX}/*")
        bucket.grant_put(self.gold_task.task_role, f"{GOLD_MANIFESTS}/*")
        self.gold_schedule = scheduler.Schedule(
            self,
            "GoldSchedule",
            description="gst gold run: load what silver gained into the warehouse",
            schedule=scheduler.ScheduleExpression.rate(cdk.Duration.minutes(options.gold_every_minutes)),
            target=scheduler_targets.EcsRunFargateTask(
                self.cluster,
                task_definition=self.gold_task,
                security_groups=[groups["gold"]],
                vpc_subnets=private,
                retry_attempts=0,  # the next run loads what this one missed
            ),
        )

        # Ops: one-off commands with `aws ecs run-task --overrides`; reads and writes the lake
        self.ops_task = ecs.FargateTaskDefinition(self, "OpsTask", cpu=2048, memory_limit_mib=8192)
        self._container(self.ops_task, ["gst", "--help"], SECRET_SETTINGS["gold"])
        bucket.grant_read_write(self.ops_task.task_role, f"{LAKE_PREFIX}/*")
        bucket.grant_delete(self.ops_task.task_role, f"{LAKE_PREFIX}/*")
        if options.seed_archive_bucket:
            archive = s3.Bucket.from_bucket_name(self, "SeedArchive", options.seed_archive_bucket)
            archive.grant_read(self.ops_task.task_role)

    def _container(
        self, task: ecs.FargateTaskDefinition, command: list[str], secret_names: tuple[str, ...] = ()
    ) -> ecs.ContainerDefinition:
        """The project's image with the shared environment, the part's secrets and its command."""
        secrets = {}
        for name in secret_names:
            source = self.warehouse.url if name == "warehouse_url" else self.platform_credentials
            secrets[variable(name)] = ecs.Secret.from_secrets_manager(source, variable(name))
        return task.add_container(
            "gst",
            image=self.image,
            command=command,
            environment=self.environment,
            secrets=secrets,
            logging=ecs.LogDrivers.aws_logs(stream_prefix="gst", log_group=self.logs),
        )
