"""The Glue 5.0 jobs: the streaming job (streaming_jobs/glue_job.py) and the backfill
(batch_jobs/glue_backfill.py), with the project's packages zipped as an asset, the modules Glue
lacks installed at pyproject.toml's pins, the streaming state kept as the local job keeps it, and
continuous logs encrypted with a key of their own."""

from __future__ import annotations

import tomllib
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct
from packaging.requirements import Requirement

from infra.layout import ASSET_EXCLUDE, CHECKPOINT_PREFIX, LAKE_PREFIX, ROOT, ignore_lint
from infra.options import DeployOptions
from infra.parts.lake import Lake
from infra.parts.network import Network
from infra.parts.stream import Stream

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
# RocksDB's budget on a Glue worker (16 GB, a production-scale dedup state); locally it is a setting
GLUE_STATE_MEMORY_MB = 256


def glue_requirements(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """A requirements file for GLUE_MODULES with pyproject.toml's pins (one place for versions)."""
    pins = {
        Requirement(line).name.lower(): line for line in tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    }
    missing = [name for name in GLUE_MODULES if name not in pins]
    if missing:
        raise ValueError(f"not a dependency in pyproject.toml: {', '.join(missing)}")
    return "".join(f"{pins[name]}\n" for name in GLUE_MODULES)


class GlueJobs(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        options: DeployOptions,
        network: Network,
        lake: Lake,
        stream: Stream,
        environment: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
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

        self.role = iam.Role(
            self,
            "GlueJobRole",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSGlueServiceRole")],
        )
        for prefix in (LAKE_PREFIX, CHECKPOINT_PREFIX):
            lake.bucket.grant_read_write(self.role, f"{prefix}/*")
            lake.bucket.grant_delete(self.role, f"{prefix}/*")  # compaction, vacuum, checkpoint cleanup
        if stream.stream is not None:
            stream.stream.grant_read(self.role)
        requirements.grant_read(self.role)
        packages.grant_read(self.role)

        connection = glue.Connection(
            self,
            "GlueNetwork",
            type=glue.ConnectionType.NETWORK,
            description="private subnet: Redis, the stream's endpoint, the lake's endpoint",
            network=glue.ConnectionNetwork.subnet(network.vpc.private_subnets[0]),
            security_groups=[network.groups["glue"]],
        )
        ignore_lint(connection.node.default_child, "W3010")  # the subnet's zone, as the network's are
        # the jobs' continuous logs, encrypted with a key CloudWatch Logs may use
        logs_key = kms.Key(self, "GlueLogsKey", enable_key_rotation=True, description="gst Glue job logs")
        logs_key.grant_encrypt_decrypt(iam.ServicePrincipal(f"logs.{cdk.Stack.of(self).region}.amazonaws.com"))
        logs_key.grant_encrypt_decrypt(self.role)
        security = glue.SecurityConfiguration(
            self, "GlueSecurity", cloud_watch_encryption=glue.CloudWatchEncryption.kms(kms_key=logs_key)
        )
        arguments = {
            "--datalake-formats": "delta",
            # Delta, and the streaming state as the local job keeps it: RocksDB, committed as changelogs,
            # 20 batches of checkpoint history; a code cache that holds a lake batch's plans
            # (streaming_jobs/spark.py says why)
            "--conf": "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension "
            "--conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog "
            "--conf spark.sql.streaming.stateStore.providerClass="
            "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider "
            "--conf spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled=true "
            "--conf spark.sql.streaming.stateStore.rocksdb.boundedMemoryUsage=true "
            f"--conf spark.sql.streaming.stateStore.rocksdb.maxMemoryUsageMB={GLUE_STATE_MEMORY_MB} "
            "--conf spark.sql.streaming.stateStore.rocksdb.writeBufferSizeMB=16 "
            "--conf spark.sql.streaming.stateStore.rocksdb.trackTotalNumberOfRows=false "
            "--conf spark.sql.streaming.minBatchesToRetain=20 "
            "--conf spark.sql.codegen.cache.maxEntries=1000",
            "--additional-python-modules": requirements.s3_object_url,
            "--python-modules-installer-option": "-r",
            **{f"--{name}": value for name, value in environment.items()},
        }
        common = {
            "role": self.role,
            "glue_version": glue.GlueVersion.V5_0,
            "extra_python_files": [glue.Code.from_bucket(packages.bucket, packages.s3_object_key)],
            "connections": [connection],
            "continuous_logging": glue.ContinuousLoggingProps(enabled=True),
            "enable_metrics": True,
            "security_configuration": security,
        }
        workers = glue.WorkerType[options.glue_worker_type.replace(".", "_")]
        self.streaming_job = glue.PySparkStreamingJob(
            self,
            "StreamingJob",
            job_name="gst-stream",
            description="the lake and poll queries (streaming_jobs/glue_job.py)",
            script=glue.Code.from_asset(str(ROOT / "streaming_jobs" / "glue_job.py")),
            worker_configuration=glue.WorkerConfiguration(
                worker_type=workers, number_of_workers=options.glue_stream_workers
            ),
            default_arguments={
                **arguments,
                **({} if stream.stream is None else {"--STREAM_ARN": stream.stream.stream_arn}),
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
                worker_type=workers, number_of_workers=options.glue_backfill_workers
            ),
            default_arguments={**arguments, "--SOURCE": "all"},
            max_concurrent_runs=1,  # two backfills of one range would race on silver
            timeout=cdk.Duration.hours(12),
            **common,  # type: ignore[arg-type]
        )
