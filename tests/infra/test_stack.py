"""The CDK app synthesized offline (no AWS account): each resource and the properties that matter,
least privilege, cfn-lint, and the GST_* settings every part gets. jsii starts a Node process per
test process, so both variants (Kinesis, Kafka) are synthesized once, in one app, for the module."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")  # Debian's Node 20

import aws_cdk as cdk  # noqa: E402
from aws_cdk.assertions import Match, Template  # noqa: E402
from cfnlint.api import ManualArgs, lint_file  # noqa: E402

from gamestream.core.settings import SECRET_FIELDS, Settings  # noqa: E402
from infra.app import build  # noqa: E402
from infra.layout import ASSET_EXCLUDE, ROOT  # noqa: E402
from infra.options import DeployOptions  # noqa: E402
from infra.parts.glue_jobs import GLUE_MODULES, GLUE_PACKAGES, GLUE_STATE_MEMORY_MB, glue_requirements  # noqa: E402
from infra.stack import GameStreamTrendsStack  # noqa: E402
from streaming_jobs.spark import BATCHES_RETAINED, CODEGEN_CACHE_ENTRIES, STATE_WRITE_BUFFER_MB  # noqa: E402

CONTEXT = json.loads((ROOT / "infra" / "cdk.json").read_text())["context"]
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789012"
DOMAIN = "trends.example.com"
DATA_SERVICES = ("s3", "kinesis", "kms", "secretsmanager", "kafka", "redshift-data", "elasticache")


class Synth:
    def __init__(self, outdir: Path):
        # cfn-lint checks the templates below: CDK's own validation at synth would take ten times longer
        app = cdk.App(
            builtin_cloud_formation_validation=False,
            stack_traces=False,
            outdir=str(outdir),
            context={**CONTEXT, "gst:glueStreamWorkers": "3", "gst:seedArchiveBucket": "seed-archive"},
        )
        settings = Settings(_env_file=None, stream_shards=4, twitch_poll_seconds=120, data_dir=Path("/somewhere"))
        kafka = Settings(
            _env_file=None, sink="kafka", kafka_bootstrap_servers="b-1.msk:9094", kafka_security_protocol="SSL"
        )
        self.kinesis_stack = build(app, settings)
        self.kafka_stack = build(app, kafka, "GameStreamTrendsKafka")  # more stacks, the same synth
        self.on_demand_stack = GameStreamTrendsStack(
            app,
            "GameStreamTrendsOnDemand",
            settings=Settings(_env_file=None),
            options=replace(DeployOptions.from_context(app.node.try_get_context), stream_mode="on-demand"),
            env=cdk.Environment(region="us-east-1"),
        )
        self.raw_kept_stack = GameStreamTrendsStack(
            app,
            "GameStreamTrendsRawKept",
            settings=Settings(_env_file=None, raw_retention_days=0),
            options=DeployOptions.from_context(app.node.try_get_context),
            env=cdk.Environment(region="us-east-1"),
        )
        self.https_stack = GameStreamTrendsStack(
            app,
            "GameStreamTrendsHttps",
            settings=Settings(_env_file=None),
            options=replace(
                DeployOptions.from_context(app.node.try_get_context), certificate_arn=CERTIFICATE, api_domain=DOMAIN
            ),
            env=cdk.Environment(region="us-east-1"),
        )
        self.assembly = app.synth()
        self.outdir = outdir
        self.template = Template.from_stack(self.kinesis_stack)
        self.kafka = Template.from_stack(self.kafka_stack)

    def path(self, stack: cdk.Stack) -> Path:
        return Path(self.assembly.get_stack_artifact(stack.artifact_id).template_full_path)

    def raw(self, stack: cdk.Stack) -> dict[str, Any]:
        return json.loads(self.path(stack).read_text())


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    yield Synth(tmp_path_factory.mktemp("cdk.out"))


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def test_the_stream_has_the_configured_shards_and_is_encrypted(synth):
    synth.template.has_resource_properties(
        "AWS::Kinesis::Stream",
        {
            "Name": "gst-snapshots",
            "ShardCount": 4,
            "StreamModeDetails": {"StreamMode": "PROVISIONED"},
            "StreamEncryption": {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"},
        },
    )
    synth.kafka.resource_count_is("AWS::Kinesis::Stream", 0)
    on_demand = Template.from_stack(synth.on_demand_stack)
    on_demand.has_resource_properties(
        "AWS::Kinesis::Stream", {"StreamModeDetails": {"StreamMode": "ON_DEMAND"}, "ShardCount": Match.absent()}
    )


def test_the_lake_bucket_is_encrypted_versioned_private_and_tls_only(synth):
    synth.template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": Match.any_value()}}
                ]
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "LifecycleConfiguration": {
                "Rules": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Prefix": "lake/bronze/",
                                "Status": "Enabled",
                                "Transitions": Match.array_with(
                                    [Match.object_like({"StorageClass": "STANDARD_IA", "TransitionInDays": 30})]
                                ),
                            }
                        )
                    ]
                )
            },
        },
    )
    synth.template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    policy = next(iter(resources(synth.raw(synth.kinesis_stack), "AWS::S3::BucketPolicy").values()))
    denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)
    # no bronze expiry: Delta references old files
    bucket = next(iter(resources(synth.raw(synth.kinesis_stack), "AWS::S3::Bucket").values()))
    bronze = [r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"] if r.get("Prefix") == "lake/bronze/"]
    assert bronze and all("ExpirationInDays" not in r for r in bronze)
    # the pollers' raw pages (LAKE_ROOT/raw) expire after GST_RAW_RETENTION_DAYS; 0 keeps them
    raw = [r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"] if r.get("Prefix") == "lake/raw/"]
    assert [(r["ExpirationInDays"], r["Status"]) for r in raw] == [(30, "Enabled")]
    Template.from_stack(synth.raw_kept_stack).has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LifecycleConfiguration": {
                "Rules": Match.not_(Match.array_with([Match.object_like({"Prefix": "lake/raw/"})]))
            }
        },
    )


def test_the_streaming_job_runs_the_projects_glue_entry_point_with_delta(synth):
    raw = synth.raw(synth.kinesis_stack)
    jobs = {r["Properties"]["Name"]: r["Properties"] for r in resources(raw, "AWS::Glue::Job").values()}
    stream, backfill = jobs["gst-stream"], jobs["gst-backfill"]
    assert stream["Command"]["Name"] == "gluestreaming" and backfill["Command"]["Name"] == "glueetl"
    assert stream["GlueVersion"] == backfill["GlueVersion"] == "5.0"
    assert stream["NumberOfWorkers"] == 3  # from context
    args = stream["DefaultArguments"]
    assert args["--datalake-formats"] == "delta"
    assert "DeltaSparkSessionExtension" in args["--conf"]
    assert "RocksDBStateStoreProvider" in args["--conf"] and "changelogCheckpointing.enabled=true" in args["--conf"]
    assert f"spark.sql.codegen.cache.maxEntries={CODEGEN_CACHE_ENTRIES}" in args["--conf"]  # as the local job
    assert "rocksdb.boundedMemoryUsage=true" in args["--conf"]
    assert f"rocksdb.maxMemoryUsageMB={GLUE_STATE_MEMORY_MB}" in args["--conf"]
    assert f"rocksdb.writeBufferSizeMB={STATE_WRITE_BUFFER_MB}" in args["--conf"]  # as the local job
    assert "rocksdb.trackTotalNumberOfRows=false" in args["--conf"]
    assert f"spark.sql.streaming.minBatchesToRetain={BATCHES_RETAINED}" in args["--conf"]  # as the local job
    assert "--STREAM_ARN" in args and "--extra-py-files" in args
    assert args["--python-modules-installer-option"] == "-r"
    # the checkpoints and the lake are on the bucket
    assert json.dumps(args["--GST_CHECKPOINT_ROOT"]).count("checkpoints") == 1
    assert "Fn::Join" in args["--GST_LAKE_ROOT"]
    assert backfill["DefaultArguments"]["--SOURCE"] == "all" and "--STREAM_ARN" not in backfill["DefaultArguments"]
    assert stream["Connections"]["Connections"] and backfill["ExecutionProperty"]["MaxConcurrentRuns"] == 1
    assert stream["SecurityConfiguration"] == backfill["SecurityConfiguration"]  # logs encrypted with KMS
    synth.template.has_resource_properties(
        "AWS::Glue::SecurityConfiguration",
        {
            "EncryptionConfiguration": Match.object_like(
                {"CloudWatchEncryption": Match.object_like({"CloudWatchEncryptionMode": "SSE-KMS"})}
            )
        },
    )
    # the scripts are the repository's own files, staged as assets
    scripts = {p.read_text() for p in synth.outdir.glob("asset.*.py")}
    assert (ROOT / "streaming_jobs" / "glue_job.py").read_text() in scripts
    assert (ROOT / "batch_jobs" / "glue_backfill.py").read_text() in scripts


def test_the_kafka_variant_reads_msk_without_a_stream(synth):
    raw = synth.raw(synth.kafka_stack)
    stream = next(
        r["Properties"] for r in resources(raw, "AWS::Glue::Job").values() if r["Properties"]["Name"] == "gst-stream"
    )
    args = stream["DefaultArguments"]
    assert "--STREAM_ARN" not in args
    assert args["--GST_SINK"] == "kafka" and args["--GST_KAFKA_BOOTSTRAP_SERVERS"] == "b-1.msk:9094"
    assert args["--GST_KAFKA_SECURITY_PROTOCOL"] == "SSL"
    assert not any(
        "kinesis" in json.dumps(p["Properties"]).lower() for p in resources(raw, "AWS::IAM::Policy").values()
    )


def test_glue_code_assets_hold_the_packages_and_nothing_local(synth):
    staged = [d for d in synth.outdir.glob("asset.*") if d.is_dir()]
    packages = next(d for d in staged if (d / "streaming_jobs").is_dir() and not (d / "Dockerfile").exists())
    assert sorted(p.name for p in packages.iterdir()) == sorted(GLUE_PACKAGES)
    image = next(d for d in staged if (d / "Dockerfile").exists())
    for folder in staged:
        names = {p.name for p in folder.rglob("*")}
        assert not names & {".venv", ".jars", "node_modules", ".gst", "__pycache__", ".git"}, folder
    assert (image / "pyproject.toml").exists() and (image / "frontend" / "package.json").exists()
    assert ".venv" in ASSET_EXCLUDE
    requirements = glue_requirements().splitlines()
    assert [r.split("~")[0].split(">")[0].split("=")[0] for r in requirements] == list(GLUE_MODULES)
    assert not any(r.startswith(("pyspark", "delta-spark", "pyarrow", "pandas")) for r in requirements)


def test_redshift_serverless_has_its_credentials_in_secrets_manager(synth):
    raw = synth.raw(synth.kinesis_stack)
    namespace = next(iter(resources(raw, "AWS::RedshiftServerless::Namespace").values()))["Properties"]
    assert "{{resolve:secretsmanager:" in json.dumps(namespace["AdminUserPassword"])
    synth.template.has_resource_properties(
        "AWS::RedshiftServerless::Workgroup",
        {"BaseCapacity": 8, "PubliclyAccessible": False, "EnhancedVpcRouting": True, "SubnetIds": Match.any_value()},
    )
    synth.template.has_resource_properties(
        "AWS::SecretsManager::Secret",
        {"GenerateSecretString": Match.object_like({"GenerateStringKey": "password", "ExcludePunctuation": True})},
    )


def test_redis_is_private_and_encrypted(synth):
    synth.template.has_resource_properties(
        "AWS::ElastiCache::ReplicationGroup",
        {
            "TransitEncryptionEnabled": True,
            "AtRestEncryptionEnabled": True,
            "CacheNodeType": "cache.t4g.small",
            "AutomaticFailoverEnabled": True,
            "CacheSubnetGroupName": Match.any_value(),
        },
    )
    raw = synth.raw(synth.kinesis_stack)
    group = next(iter(resources(raw, "AWS::ElastiCache::SubnetGroup").values()))["Properties"]
    private = {n for n, r in resources(raw, "AWS::EC2::Subnet").items() if "private" in n.lower()}
    assert {s["Ref"] for s in group["SubnetIds"]} == private and len(private) == 3


def test_the_network_has_private_subnets_and_the_lake_and_stream_endpoints(synth):
    raw = synth.raw(synth.kinesis_stack)
    subnets = resources(raw, "AWS::EC2::Subnet").values()
    assert sum(not s["Properties"]["MapPublicIpOnLaunch"] for s in subnets) == 3
    endpoints = [json.dumps(e["Properties"]["ServiceName"]) for e in resources(raw, "AWS::EC2::VPCEndpoint").values()]
    assert any(".s3" in e for e in endpoints) and any("kinesis-streams" in e for e in endpoints)
    synth.template.has_resource_properties("AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Gateway"})
    # only the load balancer is open to the internet; Redis admits the parts that use it, on its port
    groups = resources(raw, "AWS::EC2::SecurityGroup")
    open_groups = [
        n
        for n, g in groups.items()
        if any(r.get("CidrIp") == "0.0.0.0/0" for r in g["Properties"].get("SecurityGroupIngress", []))
    ]
    assert len(open_groups) == 1 and open_groups[0].startswith("ApiLoadBalancer")
    redis_group = next(n for n in groups if n.startswith("NetworkRedisGroup"))
    to_redis = [
        r["Properties"]
        for r in resources(raw, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [redis_group, "GroupId"]}
    ]
    assert {r["FromPort"] for r in to_redis} == {6379}
    assert sorted(r["SourceSecurityGroupId"]["Fn::GetAtt"][0][:-8].removeprefix("Network") for r in to_redis) == [
        "ApiGroup",
        "GlueGroup",
        "OpsGroup",
    ]


def containers(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each task definition's container, by its command."""
    out = {}
    for task in resources(raw, "AWS::ECS::TaskDefinition").values():
        (container,) = task["Properties"]["ContainerDefinitions"]
        out[" ".join(container["Command"])] = container
    return out


def test_pollers_api_and_gold_run_the_repositorys_image_as_fargate_tasks(synth):
    raw = synth.raw(synth.kinesis_stack)
    commands = set(containers(raw))
    assert {f"gst produce --source {s}" for s in ("steam", "twitch", "youtube")} | {
        "gst api",
        "gst gold run",
    } <= commands
    services = resources(raw, "AWS::ECS::Service").values()
    assert len(services) == 4 and all(s["Properties"]["LaunchType"] == "FARGATE" for s in services)
    for service in services:
        network = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert network["AssignPublicIp"] == "DISABLED"
    synth.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer", {"Scheme": "internet-facing", "Type": "application"}
    )
    synth.template.has_resource_properties("AWS::ElasticLoadBalancingV2::TargetGroup", {"HealthCheckPath": "/healthz"})
    # the image is the repository's Dockerfile, staged (not built) by synth
    manifest = json.loads((synth.outdir / "GameStreamTrends.assets.json").read_text())
    (image,) = manifest["dockerImages"].values()
    assert (synth.outdir / image["source"]["directory"] / "Dockerfile").read_text() == (ROOT / "Dockerfile").read_text()


def test_gold_runs_on_a_schedule_as_an_ecs_task(synth):
    synth.template.has_resource_properties(
        "AWS::Scheduler::Schedule",
        {
            "ScheduleExpression": "rate(15 minutes)",
            "Target": Match.object_like(
                {"EcsParameters": Match.object_like({"LaunchType": "FARGATE", "TaskDefinitionArn": Match.any_value()})}
            ),
        },
    )


def test_alarms_watch_iterator_age_job_failures_and_api_errors(synth):
    raw = synth.raw(synth.kinesis_stack)
    alarms = [a["Properties"] for a in resources(raw, "AWS::CloudWatch::Alarm").values()]
    metrics = {a.get("MetricName") for a in alarms}
    assert {"GetRecords.IteratorAgeMilliseconds", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count"} <= metrics
    assert sum(a.get("Namespace") == "AWS/Events" for a in alarms) == 2  # both Glue jobs' FAILED runs
    assert all(a["AlarmActions"] for a in alarms)


def statements(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        s for p in resources(raw, "AWS::IAM::Policy").values() for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


@pytest.mark.parametrize("variant", ["kinesis_stack", "kafka_stack"])
def test_no_wildcard_actions_and_no_data_grants_on_every_resource(synth, variant):
    raw = synth.raw(getattr(synth, variant))
    found = statements(raw)
    assert found
    for statement in found:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            assert action != "*" and not action.endswith(":*"), statement
        if any(a.split(":")[0] in DATA_SERVICES for a in actions):
            assert statement["Resource"] != "*", statement


def test_each_part_gets_only_its_own_data_permissions(synth):
    raw = synth.raw(synth.kinesis_stack)
    roles = {name: r for name, r in resources(raw, "AWS::IAM::Role").items()}
    by_role: dict[str, set[str]] = {}
    for policy in resources(raw, "AWS::IAM::Policy").values():
        actions = {
            a
            for s in policy["Properties"]["PolicyDocument"]["Statement"]
            for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        }
        for role in policy["Properties"]["Roles"]:
            by_role.setdefault(role["Ref"], set()).update(actions)
    poller_roles = [n for n in roles if "PollerTaskTaskRole" in n]
    assert len(poller_roles) == 3
    for role in poller_roles:
        s3_actions = {a for a in by_role[role] if a.startswith("s3:")}
        assert "kinesis:PutRecords" in by_role[role]
        if role.startswith("ServicesYoutubePoller"):
            assert not s3_actions
        else:  # the raw archive: put its own pages, never read or delete
            assert "s3:PutObject" in s3_actions and not any(
                a.startswith(("s3:Get", "s3:List", "s3:Delete")) for a in s3_actions
            )
    raw_grants = {
        role["Ref"].split("PollerTask")[0].removeprefix("Services"): statement["Resource"]
        for policy in resources(raw, "AWS::IAM::Policy").values()
        for role in policy["Properties"]["Roles"]
        if "PollerTaskTaskRole" in role["Ref"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "s3:PutObject" in statement["Action"]
    }
    assert set(raw_grants) == {"Steam", "Twitch"}
    for source, resource in raw_grants.items():
        assert f"/lake/raw/{source.lower()}/*" in json.dumps(resource)
    api_role = next(n for n in roles if n.startswith("ServicesApiTaskTaskRole"))
    assert not any(a.startswith(("s3:", "kinesis:")) for a in by_role.get(api_role, set()))
    gold_role = next(n for n in roles if n.startswith("ServicesGoldTaskTaskRole"))
    assert "s3:PutObject" in by_role[gold_role] and "s3:DeleteObject*" not in by_role[gold_role]
    glue_role = next(n for n in roles if n.startswith("GlueJobsGlueJobRole"))
    assert {"kinesis:GetRecords", "s3:DeleteObject*"} <= by_role[glue_role]
    assert not any(a.startswith("kinesis:Put") for a in by_role[glue_role])
    ops_role = next(n for n in roles if n.startswith("ServicesOpsTaskTaskRole"))
    ops = [
        s
        for p in resources(raw, "AWS::IAM::Policy").values()
        if {"Ref": ops_role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert "seed-archive" in json.dumps(ops)  # the import reads the seed's archive (context gst:seedArchiveBucket)


def test_cfn_lint_finds_nothing(synth):
    """Both variants in one run (cfn-lint's start-up is most of its time)."""
    matches = [
        m
        for stack in (synth.kinesis_stack, synth.kafka_stack)
        for m in lint_file(synth.path(stack), config=ManualArgs(regions=["us-east-1"]))
    ]
    assert [str(m) for m in matches] == []


def gst_variables(raw: dict[str, Any]) -> dict[str, set[str]]:
    """GST_* names set on each container (environment and secrets) and Glue job (arguments)."""
    found: dict[str, set[str]] = {}
    for command, container in containers(raw).items():
        names = {e["Name"] for e in container.get("Environment", [])} | {
            s["Name"] for s in container.get("Secrets", [])
        }
        found[command] = {n for n in names if n.startswith("GST_")}
    for job in resources(raw, "AWS::Glue::Job").values():
        args = job["Properties"]["DefaultArguments"]
        found[job["Properties"]["Name"]] = {a[2:] for a in args if a.startswith("--GST_")}
    return found


@pytest.mark.parametrize("variant", ["kinesis_stack", "kafka_stack"])
def test_every_gst_variable_set_anywhere_is_a_real_setting(synth, variant):
    fields = {f"GST_{name.upper()}" for name in Settings.model_fields}
    found = gst_variables(synth.raw(getattr(synth, variant)))
    assert len(found) == 8  # 6 task definitions, 2 Glue jobs
    for part, names in found.items():
        assert names and names <= fields, (part, names - fields)


def test_every_part_gets_the_same_plain_settings_and_secrets_only_as_secrets(synth):
    raw = synth.raw(synth.kinesis_stack)
    secret_names = {f"GST_{n.upper()}" for n in SECRET_FIELDS | {"warehouse_url"}}
    plain = []
    for command, container in containers(raw).items():
        env = {e["Name"]: e["Value"] for e in container["Environment"]}
        assert not set(env) & secret_names, command
        plain.append(json.dumps(env, sort_keys=True))
        secrets = {s["Name"] for s in container.get("Secrets", [])}
        assert secrets <= secret_names
        if command.startswith("gst produce --source twitch"):
            assert secrets == {"GST_TWITCH_CLIENT_ID", "GST_TWITCH_CLIENT_SECRET"}
        if command in ("gst api", "gst gold run"):
            assert secrets == {"GST_WAREHOUSE_URL"}
    assert len(set(plain)) == 1  # one environment for every container
    env = json.loads(plain[0])
    assert env["GST_STREAM_SHARDS"] == "4" and env["GST_TWITCH_POLL_SECONDS"] == "120.0"  # the deployer's settings
    assert env["GST_API_HOST"] == "0.0.0.0" and env["GST_LOG_JSON"] == "True"
    # the client's address is the load balancer's X-Forwarded-For only from its public subnets
    public = {
        s["Properties"]["CidrBlock"]
        for s in resources(raw, "AWS::EC2::Subnet").values()
        if s["Properties"].get("MapPublicIpOnLaunch")
    }
    assert len(public) >= 2 and set(env["GST_API_FORWARDED_ALLOW_IPS"].split(",")) == public
    assert "GST_DATA_DIR" not in env  # local-only settings stay local
    for job in resources(raw, "AWS::Glue::Job").values():
        args = job["Properties"]["DefaultArguments"]
        assert {a[2:]: v for a, v in args.items() if a.startswith("--GST_")} == env


def listeners(raw: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {
        r["Properties"]["Port"]: r["Properties"]
        for r in resources(raw, "AWS::ElasticLoadBalancingV2::Listener").values()
    }


def test_with_a_certificate_the_api_answers_https_and_redirects_http(synth):
    plain = listeners(synth.raw(synth.kinesis_stack))
    assert set(plain) == {80} and plain[80]["Protocol"] == "HTTP"  # no certificate: HTTP only
    https = listeners(synth.raw(synth.https_stack))
    assert https[443]["Protocol"] == "HTTPS" and https[443]["Certificates"] == [{"CertificateArn": CERTIFICATE}]
    assert https[443]["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    [redirect] = https[80]["DefaultActions"]
    assert redirect["Type"] == "redirect" and redirect["RedirectConfig"]["Protocol"] == "HTTPS"
    env = {e["Name"]: e["Value"] for c in containers(synth.raw(synth.https_stack)).values() for e in c["Environment"]}
    assert env["GST_API_ALLOWED_ORIGINS"] == f"https://{DOMAIN}"


def test_a_certificate_needs_the_host_name_it_is_for():
    with pytest.raises(ValueError, match="gst:certificateArn and gst:apiDomain go together"):
        DeployOptions.from_context({"gst:certificateArn": CERTIFICATE}.get)
