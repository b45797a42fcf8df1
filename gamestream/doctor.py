"""`gst doctor`: checks what the configured system needs and says in plain words what is missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

import redis
from kafka import KafkaAdminClient

from gamestream.core.aws import aws_client
from gamestream.core.settings import Settings, redact_url
from gamestream.embedded.kafka_broker import KafkaMissing, kafka_jars
from gamestream.embedded.kinesalite import KINESALITE
from gamestream.embedded.ports import port_is_free
from producers.sinks.kafka import client_config
from realtime_api.app import DASHBOARD
from streaming_jobs.jars import MissingJars, spark_jars


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "missing"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str


def check_java() -> Check:
    java = shutil.which("java")
    if not java:
        return Check(
            "java", Status.FAIL, "Java is not installed; Spark needs Java 17 (apt-get install openjdk-17-jre-headless)."
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    match = re.search(r'version "(\d+)', out)
    major = int(match.group(1)) if match else 0
    if major < 17:
        return Check("java", Status.FAIL, f"Java {major or '?'} found at {java}; Spark 4 needs Java 17 or newer.")
    return Check("java", Status.OK, f"Java {major} at {java}")


def check_spark_jars(settings: Settings) -> Check:
    try:
        jars = spark_jars(settings.spark_jars_path)
    except MissingJars as exc:
        return Check("spark jars", Status.FAIL, str(exc))
    return Check("spark jars", Status.OK, f"{len(jars)} jars (Delta Lake, Kafka source) in {settings.spark_jars_path}")


# Debian packages the demo and the tests use beyond Java: (name, found?, what it is for, package)
INSTALL = "`make install` installs it as root (scripts/system-packages.sh)"


def check_system_packages() -> list[Check]:
    wanted = [
        (
            "redis-server",
            shutil.which("redis-server") is not None,
            "the embedded stack's Redis (without it the demo falls back to fakeredis)",
            "redis-server",
        ),
        (
            "postgresql",
            any(Path("/usr/lib/postgresql").glob("*/bin/initdb")),
            "the tests' throwaway PostgreSQL warehouse",
            "postgresql",
        ),
        ("chromium", Path("/usr/bin/chromium").is_file(), "the dashboard's browser tests", "chromium"),
        ("maven", shutil.which("mvn") is not None, "fetching Spark's jars from Maven Central", "maven"),
        ("npm", shutil.which("npm") is not None, "building the dashboard", "nodejs npm"),
    ]
    return [
        Check(name, Status.OK, f"installed ({purpose})")
        if found
        else Check(name, Status.WARN, f"not installed; needed for {purpose}: apt-get install {package}, or {INSTALL}")
        for name, found, purpose, package in wanted
    ]


def check_kinesalite() -> Check:
    if shutil.which("node") and (KINESALITE / "node_modules" / "kinesalite").is_dir():
        return Check("kinesalite", Status.OK, f"installed in {KINESALITE}")
    return Check(
        "kinesalite",
        Status.WARN,
        f"not installed in {KINESALITE}: the embedded stack (gst demo, gst stack) "
        "needs it as its Kinesis; `make install` installs it (Node with npm needed)",
    )


def check_kafka_jars(settings: Settings) -> Check:
    """The embedded broker's jars: needed with GST_SINK=kafka (a warning otherwise)."""
    try:
        jars = kafka_jars(settings.kafka_jars_path)
    except KafkaMissing as exc:
        return Check("kafka jars", Status.FAIL if settings.sink == "kafka" else Status.WARN, str(exc))
    broker = next(jars.glob("kafka_2.13-*.jar")).stem.removeprefix("kafka_2.13-")
    return Check("kafka jars", Status.OK, f"Apache Kafka {broker} ({len(list(jars.glob('*.jar')))} jars) in {jars}")


def check_kafka(settings: Settings, timeout_ms: int = 5_000) -> Check:
    """The configured brokers answer and the topic exists (GST_SINK=kafka only)."""
    where = settings.kafka_bootstrap_servers
    try:
        admin = KafkaAdminClient(
            **client_config(settings), request_timeout_ms=timeout_ms, bootstrap_timeout_ms=timeout_ms
        )
        try:
            (topic,) = admin.describe_topics([settings.stream_name])
            brokers = len(admin.describe_cluster()["brokers"])
        finally:
            admin.close()
    except Exception as exc:  # every failure is reported, in words
        return Check("kafka", Status.FAIL, f"cannot reach Kafka at {where}: {type(exc).__name__}: {str(exc)[:160]}")
    if topic.get("error_code") or not topic.get("partitions"):
        return Check(
            "kafka",
            Status.FAIL,
            f"Kafka at {where} answers but topic '{settings.stream_name}' does not exist; run `gst init`.",
        )
    return Check(
        "kafka",
        Status.OK,
        f"topic '{settings.stream_name}' with {len(topic['partitions'])} partitions on {brokers} broker(s) at {where}",
    )


def check_api_port(settings: Settings) -> Check:
    if port_is_free(settings.api_port, settings.api_host):
        return Check("api port", Status.OK, f"{settings.api_host}:{settings.api_port} is free")
    return Check(
        "api port",
        Status.FAIL,
        f"{settings.api_host}:{settings.api_port} is taken by another process; set GST_API_PORT to a free port.",
    )


def check_kinesis(settings: Settings) -> Check:
    where = settings.aws_endpoint_url or f"AWS {settings.aws_region}"
    try:
        summary = aws_client(
            settings, "kinesis", retries={"total_max_attempts": 1, "mode": "standard"}
        ).describe_stream_summary(StreamName=settings.stream_name)["StreamDescriptionSummary"]
    except Exception as exc:  # every failure is reported, in words
        reason = type(exc).__name__
        if reason == "ResourceNotFoundException":
            return Check(
                "kinesis",
                Status.FAIL,
                f"{where} answers but stream '{settings.stream_name}' does not exist; run `gst init`.",
            )
        if reason in ("NoCredentialsError", "PartialCredentialsError"):
            return Check(
                "kinesis",
                Status.FAIL,
                f"no AWS credentials for {where}; set GST_AWS_ACCESS_KEY_ID/GST_AWS_SECRET_ACCESS_KEY or an AWS profile, or GST_AWS_ENDPOINT_URL for a local emulator.",
            )
        return Check("kinesis", Status.FAIL, f"cannot reach Kinesis at {where}: {reason}: {str(exc)[:160]}")
    return Check(
        "kinesis",
        Status.OK,
        f"stream '{settings.stream_name}' {summary['StreamStatus']} with {summary['OpenShardCount']} open shards at {where}",
    )


def check_redis(settings: Settings) -> Check:
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        return Check("redis", Status.FAIL, f"cannot reach Redis at {redact_url(settings.redis_url)}: {exc}")
    finally:
        client.close()
    return Check("redis", Status.OK, f"Redis answers at {redact_url(settings.redis_url)}")


def check_warehouse(settings: Settings) -> Check:
    url = settings.warehouse
    shown = redact_url(url)
    try:
        if settings.warehouse_kind == "duckdb":
            path = Path(url.removeprefix("duckdb:///"))
            folder = path.parent if path.parent.exists() else None
            if folder is None:
                return Check(
                    "warehouse",
                    Status.WARN,
                    f"DuckDB file {path} does not exist yet; its folder will be created on first load.",
                )
            # lazy: only the configured warehouse's driver loads
            import duckdb

            duckdb.connect(str(path)).close()
        elif settings.warehouse_kind == "postgresql":
            # lazy: only the configured warehouse's driver loads
            import psycopg

            psycopg.connect(url, connect_timeout=3).close()
        else:
            # lazy: only the configured warehouse's driver loads
            import redshift_connector

            parts = urlsplit(url)
            redshift_connector.connect(
                host=parts.hostname,
                port=parts.port or 5439,
                database=parts.path.lstrip("/") or "dev",
                user=parts.username,
                password=parts.password,
                timeout=5,
            ).close()
    except Exception as exc:  # every failure is reported, in words
        return Check(
            "warehouse", Status.FAIL, f"cannot open the warehouse {shown}: {type(exc).__name__}: {str(exc)[:160]}"
        )
    return Check("warehouse", Status.OK, f"{settings.warehouse_kind} warehouse opens at {shown}")


def check_lake(settings: Settings) -> Check:
    root = settings.lake_path
    if root.startswith("s3://"):
        return Check("lake", Status.OK, f"lake on S3 at {root} (checked with the Kinesis credentials)")
    path = Path(root)
    probe = path if path.exists() else next((p for p in path.parents if p.exists()), Path("/"))
    if not probe.is_dir() or not _writable(probe):
        return Check("lake", Status.FAIL, f"cannot write the lake folder {root}")
    return Check("lake", Status.OK, f"lake folder {root} is writable")


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK)


def check_credentials(settings: Settings) -> list[Check]:
    wanted = {
        "steam": (["steam_api_key"], "Steam player counts need no key; set GST_STEAM_API_KEY for keyed calls."),
        "twitch": (
            ["twitch_client_id", "twitch_client_secret"],
            "the Twitch poller needs GST_TWITCH_CLIENT_ID and GST_TWITCH_CLIENT_SECRET.",
        ),
        "youtube": (["youtube_api_key"], "the YouTube poller needs GST_YOUTUBE_API_KEY."),
    }
    checks = []
    for platform, (names, missing) in wanted.items():
        if all(getattr(settings, n) is not None for n in names):
            checks.append(Check(f"{platform} credentials", Status.OK, "set"))
        else:
            checks.append(
                Check(f"{platform} credentials", Status.WARN, f"not set: {missing} The synthetic source needs none.")
            )
    return checks


def check_dashboard() -> Check:
    if (DASHBOARD / "index.html").is_file():
        return Check("dashboard", Status.OK, f"built at {DASHBOARD}")
    node = shutil.which("npm")
    how = "`make install` builds it" if node else "install Node 20.19+ (with npm), then `make install` builds it"
    return Check("dashboard", Status.WARN, f"not built ({DASHBOARD} is missing): {how}; the API works without it.")


def run_checks(settings: Settings) -> list[Check]:
    return [
        check_java(),
        check_spark_jars(settings),
        *check_system_packages(),
        check_kinesalite(),
        check_kafka_jars(settings),
        check_dashboard(),
        check_api_port(settings),
        check_kafka(settings) if settings.sink == "kafka" else check_kinesis(settings),
        check_redis(settings),
        check_warehouse(settings),
        check_lake(settings),
        *check_credentials(settings),
    ]
