"""One CloudFormation stack for the whole system on AWS.

Kinesis (or Amazon MSK with GST_SINK=kafka) -> the Glue 5.0 streaming job (streaming_jobs/glue_job.py)
-> the Delta lake on S3 and ElastiCache for Redis; `gst gold run` on a schedule (ECS task) -> Redshift
Serverless; pollers and the API (behind a load balancer) as ECS Fargate services; a Glue batch job
for backfills (batch_jobs/glue_backfill.py). Every part gets the same GST_* settings
(infra/environment.py) and only the permissions it uses.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_ecs_patterns as ecs_patterns
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_redshiftserverless as redshift
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct
from packaging.requirements import Requirement

from gamestream.settings import Settings
from infra.environment import SECRET_SETTINGS, service_environment, variable
from infra.options import DeployOptions

ROOT = Path(__file__).resolve().parents[1]
# What the Glue jobs import: the project's packages, zipped at the archive's root (--extra-py-files)
GLUE_PACKAGES = ("gamestream", "streaming_jobs", "batch_jobs", "producers", "warehouse_sql")
# Modules the Glue jobs install on top of Glue 5.0's own (Spark 3.5, Delta 3.3, pyarrow, pandas,
# numpy, boto3 stay Glue's), at the versions pyproject.toml pins
GLUE_MODULES = (
    "pydantic",
    "pydantic-settings",
    "deltalake",
    "redis",
    "structlog",
    "prometheus-client",
    "tenacity",
    "rich",
    "sqlalchemy",
    "duckdb",
    "kafka-python",
)
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
SOURCES = ("steam", "twitch", "youtube")
LAKE_PREFIX, CHECKPOINT_PREFIX = "lake", "checkpoints"
GOLD_MANIFESTS = f"{LAKE_PREFIX}/_gold_manifests"  # where `gst gold run` writes Redshift's COPY manifests
RAW_PREFIX = f"{LAKE_PREFIX}/raw"  # the pollers' raw archive (producers/raw_archive.py: LAKE_ROOT/raw)
ARCHIVING_POLLERS = ("steam", "twitch")  # YouTube's pages are not archived
# RocksDB's budget on a Glue worker (16 GB, a production-scale dedup state); locally it is a setting
GLUE_STATE_MEMORY_MB = 256
REDSHIFT_PORT, REDIS_PORT = 5439, 6379
WAREHOUSE_DB, WAREHOUSE_ADMIN = "gst", "gst_admin"


def ignore_lint(resource: object, rule: str) -> None:
    """Tell cfn-lint to skip one rule on one resource (the reason stands where this is called)."""
    assert isinstance(resource, cdk.CfnResource)
    resource.add_metadata("cfn-lint", {"config": {"ignore_checks": [rule]}})


def glue_requirements(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """A requirements file for GLUE_MODULES with pyproject.toml's pins (one place for versions)."""
    pins = {
        Requirement(line).name.lower(): line for line in tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    }
    missing = [name for name in GLUE_MODULES if name not in pins]
    if missing:
        raise ValueError(f"not a dependency in pyproject.toml: {', '.join(missing)}")
    return "".join(f"{pins[name]}\n" for name in GLUE_MODULES)


class GameStreamTrendsStack(cdk.Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, options: DeployOptions, **kwargs: object
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.settings, self.options = settings, options
        kafka = settings.sink == "kafka"

        # Network: private subnets for everything but the load balancer; the lake and the stream
        # are reached through VPC endpoints, the platforms' APIs through NAT
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.40.0.0/16"),
            availability_zones=list(options.availability_zones),
            nat_gateways=options.nat_gateways,
            restrict_default_security_group=False,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20),
            ],
            gateway_endpoints={"S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)},
        )
        private = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        for subnet in [*self.vpc.public_subnets, *self.vpc.private_subnets]:
            # the zones are a deployment option: Redshift Serverless needs three, and a synth that
            # knows no account cannot look them up
            ignore_lint(subnet.node.default_child, "W3010")
        groups = {
            part: ec2.SecurityGroup(self, f"{part.title()}Group", vpc=self.vpc, description=f"gst {part}")
            for part in ("pollers", "api", "gold", "ops", "glue", "redis", "warehouse")
        }
        glue_group = groups["glue"]
        glue_group.add_ingress_rule(glue_group, ec2.Port.all_tcp(), "Glue workers talk to each other")
        for part in ("glue", "api", "ops"):
            groups["redis"].add_ingress_rule(groups[part], ec2.Port.tcp(REDIS_PORT), f"live state from {part}")
        for part in ("api", "gold", "ops"):
            groups["warehouse"].add_ingress_rule(groups[part], ec2.Port.tcp(REDSHIFT_PORT), f"warehouse from {part}")

        # The lake: one bucket, KMS-encrypted, versioned, private, TLS only
        self.key = kms.Key(self, "LakeKey", enable_key_rotation=True, description="gst lake and checkpoints")
        # the pollers' raw pages are kept GST_RAW_RETENTION_DAYS (0: forever), as `gst lake maintain` prunes them
        raw_expiry = (
            [
                s3.LifecycleRule(
                    id="raw-pages", prefix=f"{RAW_PREFIX}/", expiration=cdk.Duration.days(settings.raw_retention_days)
                )
            ]
            if settings.raw_retention_days
            else []
        )
        self.bucket = s3.Bucket(
            self,
            "Lake",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            lifecycle_rules=[
                # bronze is read by backfills and replays only: cheaper storage as it ages, never deleted
                # (Delta references every file the log has not removed)
                s3.LifecycleRule(
                    id="bronze-ages",
                    prefix=f"{LAKE_PREFIX}/bronze/",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS, transition_after=cdk.Duration.days(30)
                        ),
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                            transition_after=cdk.Duration.days(90),
                        ),
                    ],
                ),
                s3.LifecycleRule(id="gold-manifests", prefix=f"{GOLD_MANIFESTS}/", expiration=cdk.Duration.days(7)),
                *raw_expiry,
                # vacuum and compaction remove files: their old versions go after a while
                s3.LifecycleRule(
                    id="removed-files",
                    noncurrent_version_expiration=cdk.Duration.days(30),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
                ),
            ],
        )

        # The stream: Kinesis, or an existing MSK cluster (GST_KAFKA_BOOTSTRAP_SERVERS) with GST_SINK=kafka
        self.stream: kinesis.Stream | None = None
        if not kafka:
            on_demand = options.stream_mode == "on-demand"
            self.stream = kinesis.Stream(
                self,
                "Stream",
                stream_name=settings.stream_name,
                stream_mode=kinesis.StreamMode.ON_DEMAND if on_demand else kinesis.StreamMode.PROVISIONED,
                shard_count=None if on_demand else settings.stream_shards,
                encryption=kinesis.StreamEncryption.MANAGED,
                retention_period=cdk.Duration.hours(24),
            )
            self.vpc.add_interface_endpoint(
                "KinesisEndpoint",
                service=ec2.InterfaceVpcEndpointAwsService.KINESIS_STREAMS,
                private_dns_enabled=True,
                subnets=private,
            )

        # Live state: ElastiCache for Redis, TLS in transit, encrypted at rest, private subnets only
        redis_subnets = elasticache.CfnSubnetGroup(
            self,
            "RedisSubnets",
            description="gst live state",
            subnet_ids=[subnet.subnet_id for subnet in self.vpc.private_subnets],
        )
        self.redis = elasticache.CfnReplicationGroup(
            self,
            "Redis",
            replication_group_description="gst live state",
            engine="redis",
            engine_version="7.1",
            cache_node_type=options.redis_node_type,
            num_cache_clusters=1 + options.redis_replicas,
            automatic_failover_enabled=options.redis_replicas > 0,
            multi_az_enabled=options.redis_replicas > 0,
            transit_encryption_enabled=True,
            at_rest_encryption_enabled=True,
            cache_subnet_group_name=redis_subnets.ref,
            security_group_ids=[groups["redis"].security_group_id],
            port=REDIS_PORT,
            snapshot_retention_limit=1,
        )

        # Warehouse: Redshift Serverless; the admin password is generated into Secrets Manager and
        # the services get GST_WAREHOUSE_URL from a second secret built from it
        self.warehouse_admin = secretsmanager.Secret(
            self,
            "WarehouseAdmin",
            description="gst Redshift Serverless admin",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({"username": WAREHOUSE_ADMIN}),
                generate_string_key="password",
                exclude_punctuation=True,  # the password goes into a URL
                password_length=32,
            ),
        )
        self.redshift_role = iam.Role(
            self,
            "RedshiftCopyRole",
            description="Redshift COPY reads the lake's files",
            assumed_by=iam.CompositePrincipal(
                iam.ServicePrincipal("redshift.amazonaws.com"),
                iam.ServicePrincipal("redshift-serverless.amazonaws.com"),
            ),
        )
        self.bucket.grant_read(self.redshift_role, f"{LAKE_PREFIX}/*")
        namespace = redshift.CfnNamespace(
            self,
            "WarehouseNamespace",
            namespace_name="gst",
            db_name=WAREHOUSE_DB,
            admin_username=WAREHOUSE_ADMIN,
            admin_user_password=self.warehouse_admin.secret_value_from_json("password").unsafe_unwrap(),
            iam_roles=[self.redshift_role.role_arn],
            default_iam_role_arn=self.redshift_role.role_arn,
        )
        self.workgroup = redshift.CfnWorkgroup(
            self,
            "Warehouse",
            workgroup_name="gst",
            namespace_name="gst",
            base_capacity=options.redshift_base_rpus,
            subnet_ids=[subnet.subnet_id for subnet in self.vpc.private_subnets],
            security_group_ids=[groups["warehouse"].security_group_id],
            publicly_accessible=False,
            enhanced_vpc_routing=True,  # COPY reads the lake through the VPC's S3 endpoint
            port=REDSHIFT_PORT,
        )
        self.workgroup.node.add_dependency(namespace)
        password = self.warehouse_admin.secret_value_from_json("password").unsafe_unwrap()
        self.warehouse_url = secretsmanager.Secret(
            self,
            "WarehouseUrl",
            description="GST_WAREHOUSE_URL of the services that read or load gold",
            secret_object_value={
                variable("warehouse_url"): cdk.SecretValue.unsafe_plain_text(
                    f"redshift://{WAREHOUSE_ADMIN}:{password}@{self.workgroup.attr_workgroup_endpoint_address}"
                    f":{REDSHIFT_PORT}/{WAREHOUSE_DB}"
                )
            },
        )
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

        # The load balancer comes first: its address is the API's allowed origin
        self.alb = elbv2.ApplicationLoadBalancer(
            self, "ApiLoadBalancer", vpc=self.vpc, internet_facing=True, drop_invalid_header_fields=True
        )
        deployed: dict[str, object] = {
            "aws_region": self.region,
            "s3_bucket": self.bucket.bucket_name,
            "lake_root": f"s3://{self.bucket.bucket_name}/{LAKE_PREFIX}",
            "checkpoint_root": f"s3://{self.bucket.bucket_name}/{CHECKPOINT_PREFIX}",
            "redis_url": f"rediss://{self.redis.attr_primary_end_point_address}:{self.redis.attr_primary_end_point_port}/0",
            "redshift_iam_role": self.redshift_role.role_arn,
            "api_host": "0.0.0.0",  # in a private subnet, reached through the load balancer only
            "api_allowed_origins": [f"http://{self.alb.load_balancer_dns_name}"],
            "log_json": True,
            "sink": settings.sink,
            "stream_name": settings.stream_name,
            "stream_shards": settings.stream_shards,
        }
        self.gst_environment = service_environment(settings, deployed)

        self._containers(groups, private)
        self._glue_jobs(glue_group, kafka)
        self._alarms()
        for name, value in {
            "ApiUrl": f"http://{self.alb.load_balancer_dns_name}",
            "LakeBucket": self.bucket.bucket_name,
            "WarehouseEndpoint": self.workgroup.attr_workgroup_endpoint_address,
            "StreamingJob": self.streaming_job.job_name,
            "BackfillJob": self.backfill_job.job_name,
            "OpsTaskDefinition": self.ops_task.task_definition_arn,
            "Cluster": self.cluster.cluster_name,
            "OpsSecurityGroup": groups["ops"].security_group_id,
            "PrivateSubnets": ",".join(subnet.subnet_id for subnet in self.vpc.private_subnets),
            "PlatformCredentialsSecret": self.platform_credentials.secret_arn,
            "WarehouseAdminSecret": self.warehouse_admin.secret_arn,
        }.items():
            cdk.CfnOutput(self, f"{name}Output", value=value)

    def _container(
        self, task: ecs.FargateTaskDefinition, command: list[str], secret_names: tuple[str, ...] = ()
    ) -> ecs.ContainerDefinition:
        """The project's image with the shared environment, the part's secrets and its command."""
        secrets = {}
        for name in secret_names:
            source = self.warehouse_url if name == "warehouse_url" else self.platform_credentials
            secrets[variable(name)] = ecs.Secret.from_secrets_manager(source, variable(name))
        return task.add_container(
            "gst",
            image=self.image,
            command=command,
            environment=self.gst_environment,
            secrets=secrets,
            logging=ecs.LogDrivers.aws_logs(stream_prefix="gst", log_group=self.logs),
        )

    def _containers(self, groups: dict[str, ec2.SecurityGroup], private: ec2.SubnetSelection) -> None:
        self.cluster = ecs.Cluster(self, "Cluster", vpc=self.vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
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
            if self.stream is not None:
                self.stream.grant_write(task.task_role)
            if self.settings.raw_archive and source in ARCHIVING_POLLERS:  # its raw pages, and nothing else
                self.bucket.grant_put(task.task_role, f"{RAW_PREFIX}/{source}/*")
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
            ecs.PortMapping(container_port=self.settings.api_port)
        )
        self.api = ecs_patterns.ApplicationLoadBalancedFargateService(
            self,
            "Api",
            cluster=self.cluster,
            load_balancer=self.alb,
            task_definition=api_task,
            desired_count=self.options.api_tasks,
            task_subnets=private,
            security_groups=[groups["api"]],
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            min_healthy_percent=50,
        )
        self.api.target_group.configure_health_check(path="/healthz")
        # the pattern makes the service wait for its target group, which its Ref already does
        ignore_lint(self.api.service.node.default_child, "W3005")

        # Gold: `gst gold run` as a task on a schedule; it reads silver and writes COPY manifests
        gold_task = ecs.FargateTaskDefinition(self, "GoldTask", cpu=1024, memory_limit_mib=2048)
        self._container(gold_task, ["gst", "gold", "run"], SECRET_SETTINGS["gold"])
        self.bucket.grant_read(gold_task.task_role, f"{LAKE_PREFIX}/*")
        self.bucket.grant_put(gold_task.task_role, f"{GOLD_MANIFESTS}/*")
        self.gold_schedule = scheduler.Schedule(
            self,
            "GoldSchedule",
            description="gst gold run: load what silver gained into the warehouse",
            schedule=scheduler.ScheduleExpression.rate(cdk.Duration.minutes(self.options.gold_every_minutes)),
            target=scheduler_targets.EcsRunFargateTask(
                self.cluster,
                task_definition=gold_task,
                security_groups=[groups["gold"]],
                vpc_subnets=private,
                retry_attempts=0,  # the next run loads what this one missed
            ),
        )
        self.gold_task = gold_task

        # Ops: one-off commands (`gst import`, `gst lake maintain`, `gst status`) with
        # `aws ecs run-task --overrides`; reads and writes the lake
        self.ops_task = ecs.FargateTaskDefinition(self, "OpsTask", cpu=2048, memory_limit_mib=8192)
        self._container(self.ops_task, ["gst", "--help"], SECRET_SETTINGS["gold"])
        self.bucket.grant_read_write(self.ops_task.task_role, f"{LAKE_PREFIX}/*")
        self.bucket.grant_delete(self.ops_task.task_role, f"{LAKE_PREFIX}/*")
        if self.options.seed_archive_bucket:
            archive = s3.Bucket.from_bucket_name(self, "SeedArchive", self.options.seed_archive_bucket)
            archive.grant_read(self.ops_task.task_role)

    def _glue_jobs(self, glue_group: ec2.SecurityGroup, kafka: bool) -> None:
        packages = s3_assets.Asset(
            self,
            "GluePackages",
            path=str(ROOT),
            exclude=[entry.name for entry in ROOT.iterdir() if entry.name not in GLUE_PACKAGES] + ASSET_EXCLUDE,
        )
        requirements_dir = Path(cdk.Stage.of(self).outdir) / "glue-requirements"  # type: ignore[union-attr]
        requirements_dir.mkdir(parents=True, exist_ok=True)
        (requirements_dir / "requirements.txt").write_text(glue_requirements())
        requirements = s3_assets.Asset(self, "GlueRequirements", path=str(requirements_dir / "requirements.txt"))

        self.glue_role = iam.Role(
            self,
            "GlueJobRole",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSGlueServiceRole")],
        )
        for prefix in (LAKE_PREFIX, CHECKPOINT_PREFIX):
            self.bucket.grant_read_write(self.glue_role, f"{prefix}/*")
            self.bucket.grant_delete(self.glue_role, f"{prefix}/*")  # compaction, vacuum, checkpoint cleanup
        if self.stream is not None:
            self.stream.grant_read(self.glue_role)
        requirements.grant_read(self.glue_role)
        packages.grant_read(self.glue_role)

        connection = glue.Connection(
            self,
            "GlueNetwork",
            type=glue.ConnectionType.NETWORK,
            description="private subnet: Redis, the stream's endpoint, the lake's endpoint",
            network=glue.ConnectionNetwork.subnet(self.vpc.private_subnets[0]),
            security_groups=[glue_group],
        )
        ignore_lint(connection.node.default_child, "W3010")  # the subnet's zone, as above
        # the jobs' continuous logs, encrypted with a key CloudWatch Logs may use
        logs_key = kms.Key(self, "GlueLogsKey", enable_key_rotation=True, description="gst Glue job logs")
        logs_key.grant_encrypt_decrypt(iam.ServicePrincipal(f"logs.{self.region}.amazonaws.com"))
        logs_key.grant_encrypt_decrypt(self.glue_role)
        security = glue.SecurityConfiguration(
            self, "GlueSecurity", cloud_watch_encryption=glue.CloudWatchEncryption.kms(kms_key=logs_key)
        )
        arguments = {
            "--datalake-formats": "delta",
            # Delta, and the streaming state as the local job keeps it: RocksDB, committed as changelogs;
            # a code cache that holds a lake batch's plans (streaming_jobs/spark.py says why)
            "--conf": "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension "
            "--conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog "
            "--conf spark.sql.streaming.stateStore.providerClass="
            "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider "
            "--conf spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled=true "
            "--conf spark.sql.streaming.stateStore.rocksdb.boundedMemoryUsage=true "
            f"--conf spark.sql.streaming.stateStore.rocksdb.maxMemoryUsageMB={GLUE_STATE_MEMORY_MB} "
            "--conf spark.sql.streaming.stateStore.rocksdb.writeBufferSizeMB=16 "
            "--conf spark.sql.streaming.stateStore.rocksdb.trackTotalNumberOfRows=false "
            "--conf spark.sql.codegen.cache.maxEntries=1000",
            "--additional-python-modules": requirements.s3_object_url,
            "--python-modules-installer-option": "-r",
            **{f"--{name}": value for name, value in self.gst_environment.items()},
        }
        common = {
            "role": self.glue_role,
            "glue_version": glue.GlueVersion.V5_0,
            "extra_python_files": [glue.Code.from_bucket(packages.bucket, packages.s3_object_key)],
            "connections": [connection],
            "continuous_logging": glue.ContinuousLoggingProps(enabled=True),
            "enable_metrics": True,
            "security_configuration": security,
        }
        self.streaming_job = glue.PySparkStreamingJob(
            self,
            "StreamingJob",
            job_name="gst-stream",
            description="the lake and poll queries (streaming_jobs/glue_job.py)",
            script=glue.Code.from_asset(str(ROOT / "streaming_jobs" / "glue_job.py")),
            worker_configuration=glue.WorkerConfiguration(
                worker_type=glue.WorkerType[self.options.glue_worker_type.replace(".", "_")],
                number_of_workers=self.options.glue_stream_workers,
            ),
            default_arguments={
                **arguments,
                **({} if kafka or self.stream is None else {"--STREAM_ARN": self.stream.stream_arn}),
            },
            max_retries=3,
            **common,  # type: ignore[arg-type]
        )
        self.backfill_job = glue.PySparkEtlJob(
            self,
            "BackfillJob",
            job_name="gst-backfill",
            description="gst backfill on Glue (batch_jobs/glue_backfill.py): --FROM, --TO, --SOURCE",
            script=glue.Code.from_asset(str(ROOT / "batch_jobs" / "glue_backfill.py")),
            worker_configuration=glue.WorkerConfiguration(
                worker_type=glue.WorkerType[self.options.glue_worker_type.replace(".", "_")],
                number_of_workers=self.options.glue_backfill_workers,
            ),
            default_arguments={**arguments, "--SOURCE": "all"},
            max_concurrent_runs=1,  # two backfills of one range would race on silver
            timeout=cdk.Duration.hours(12),
            **common,  # type: ignore[arg-type]
        )

    def _alarms(self) -> None:
        self.alarm_topic = sns.Topic(self, "Alarms", display_name="gst alarms")
        action = cloudwatch_actions.SnsAction(self.alarm_topic)
        alarms: list[cloudwatch.Alarm] = []
        if self.stream is not None:
            alarms.append(
                self.stream.metric_get_records_iterator_age_milliseconds(
                    statistic="Maximum", period=cdk.Duration.minutes(1)
                ).create_alarm(
                    self,
                    "IteratorAgeAlarm",
                    alarm_description="the streaming job falls behind the stream",
                    threshold=self.options.iterator_age_alarm_seconds * 1000,
                    evaluation_periods=5,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.BREACHING,  # no reads at all is worse
                )
            )
        for name, job in (("StreamingJob", self.streaming_job), ("BackfillJob", self.backfill_job)):
            alarms.append(
                job.metric_failure(period=cdk.Duration.minutes(5)).create_alarm(
                    self,
                    f"{name}FailedAlarm",
                    alarm_description=f"a run of {name} failed",
                    threshold=1,
                    evaluation_periods=1,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
            )
        for name, metric in (
            ("Api5xxAlarm", self.alb.metrics.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT)),
            ("LoadBalancer5xxAlarm", self.alb.metrics.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT)),
        ):
            alarms.append(
                metric.with_(statistic="Sum", period=cdk.Duration.minutes(5)).create_alarm(
                    self,
                    name,
                    alarm_description="the API answers 5xx",
                    threshold=self.options.api_errors_alarm_count,
                    evaluation_periods=1,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
            )
        for alarm in alarms:
            alarm.add_alarm_action(action)
