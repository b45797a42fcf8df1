"""One settings object for every stage, read from GST_* environment variables and `.env`.

The embedded default and production differ only by these values (docs/operations.md lists them).
Platform credentials are SecretStr: their repr, str and JSON dump show only asterisks;
use :meth:`Settings.describe` to print settings safely.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Where a test may kill -9 the streaming job: a point in one of its two queries' batches
FaultPoint = Literal[
    "lake_after_bronze",
    "lake_after_silver",
    "lake_before_commit",
    "poll_after_redis",
    "poll_after_lake",
    "poll_before_commit",
]

PROJECT_ROOT = (
    Path(__file__).resolve().parents[2]
)  # the checkout (this file is gamestream/core/settings.py): .jars/ is there
WAREHOUSE_SCHEMES = ("duckdb", "postgresql", "redshift")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GST_", env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    data_dir: Path = Field(Path(".gst"), description="Embedded stack data directory (lake, warehouse, logs).")

    # Stream
    stream_name: str = Field(
        "gst-snapshots",
        min_length=1,
        max_length=128,
        pattern=r"^[a-zA-Z0-9_.-]+$",
        description="The Kinesis stream (or Kafka topic) the pollers write and the streaming job reads.",
    )
    stream_shards: int = Field(2, ge=1, le=500, description="Shards of the stream the stack or `gst init` creates.")
    stream_retention_hours: float = Field(
        24.0,
        gt=0,
        le=24,
        description="How long the embedded Kinesis (kinesalite) keeps records: a sweep every 5 minutes deletes "
        "older ones (`gst demo`: 1 unless set; at most the 24 h its stream is created with). Kinesis on AWS keeps "
        "them for the stream's own retention period.",
    )
    sink: Literal["kinesis", "kafka"] = Field("kinesis", description="Where the pollers send records (docs/kafka.md).")
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="host:port[,host:port...] of the Kafka brokers (the embedded stack sets its own)."
    )
    kafka_partitions: int = Field(
        2, ge=1, le=1000, description="Partitions of the topic the stack or `gst init` creates."
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_SSL"] = Field(
        "PLAINTEXT", description="PLAINTEXT for the embedded broker; SSL or SASL_SSL for Amazon MSK (docs/kafka.md)."
    )
    kafka_sasl_mechanism: Literal["AWS_MSK_IAM", "SCRAM-SHA-512"] | None = Field(
        None,
        description="SASL_SSL only: MSK IAM auth (AWS credential chain) or SCRAM with the username/password below.",
    )
    kafka_sasl_username: str | None = Field(None, description="SCRAM-SHA-512 only: the MSK user.")
    kafka_sasl_password: SecretStr | None = Field(None, description="SCRAM-SHA-512 only: the MSK user's password.")
    kafka_host: str = Field(
        "127.0.0.1", description="Interface the embedded broker listens on (loopback; 0.0.0.0 exposes it)."
    )
    kafka_heap_mb: int = Field(512, ge=128, le=32768, description="The embedded broker's JVM heap cap (-Xmx).")
    kafka_jars_dir: Path | None = Field(
        None, description="The embedded broker's jars. Default: .jars/kafka in the project, filled by `make`."
    )

    # AWS (endpoint unset = real AWS; set for kinesalite or LocalStack)
    aws_region: str = Field("us-east-1", description="Region of the Kinesis stream, the lake's bucket and Redshift.")
    aws_endpoint_url: str | None = Field(
        None, description="An AWS API stand-in (kinesalite, an S3 API); unset: AWS itself."
    )
    aws_access_key_id: SecretStr | None = Field(None, description="Unset: boto3's default credential chain.")
    aws_secret_access_key: SecretStr | None = Field(None, description="Unset: boto3's default credential chain.")
    s3_bucket: str = Field("gst-lake", description="The lake's bucket on AWS (infra/ creates it).")

    # Storage
    lake_root: str | None = Field(
        None, description="Delta lake root: a folder or s3://bucket/prefix. Default: DATA_DIR/lake."
    )
    raw_archive: bool = Field(
        True,
        description="The Twitch and Steam pollers keep every page they fetch (gzip of the body as received) under "
        "LAKE_ROOT/raw in the seed pipeline's layout, for `gst import --format seed LAKE_ROOT/raw`.",
    )
    raw_retention_days: int = Field(
        30, ge=0, description="Days of raw pages kept (`gst lake maintain` and an S3 lifecycle rule; 0: forever)."
    )
    import_workers: int = Field(
        0, ge=0, description="Processes `gst import` converts files in (0: one per core for an import over 64 MiB)."
    )
    checkpoint_root: str | None = Field(None, description="Spark checkpoints. Default: DATA_DIR/checkpoints.")
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0", description="The live state: redis://, rediss:// (TLS) or unix:// (a socket)."
    )
    warehouse_url: str | None = Field(
        None, description="duckdb:///path, postgresql://..., redshift://... Default: DuckDB file in DATA_DIR."
    )
    spark_jars_dir: Path | None = Field(
        None,
        description="Jars the local SparkSession loads (Delta Lake, Kafka source). Default: .jars/spark in the project, filled by `make`.",
    )
    redshift_iam_role: str | None = Field(
        None, description="IAM role ARN Redshift COPY assumes to read the lake's files on S3."
    )

    # API
    api_host: str = Field("127.0.0.1", description="Interface `gst api` listens on (loopback; 0.0.0.0 exposes it).")
    api_port: int = Field(8000, ge=1, le=65535, description="Port of `gst api` and the dashboard.")
    api_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://127.0.0.1:8000", "http://localhost:8000"],
        description="Origins allowed by CORS and on WebSocket connect (comma-separated).",
    )
    api_ws_max_clients: int = Field(2000, ge=1, description="WebSocket connections one API process accepts.")
    api_ws_max_per_address: int = Field(
        20, ge=1, description="WebSocket connections one client address may hold in one API process."
    )
    api_rate_per_second: float = Field(
        20.0, ge=0, description="REST requests per second one client address may make, sustained (0: no limit)."
    )
    api_rate_burst: int = Field(
        100, ge=1, description="REST requests one client address may make at once before the rate limit applies."
    )
    api_forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Addresses or networks (comma-separated) whose X-Forwarded-For names the client: the load balancer's.",
    )
    api_ws_queue_size: int = Field(
        1000, ge=1, description="Changes buffered per WebSocket client before it is dropped as too slow."
    )
    api_ws_compression: bool = Field(
        False,
        description="Compress live-feed messages (permessage-deflate) for clients that offer it. Off: each client's "
        "copy of a message is compressed apart, and at 2,000 clients it took the feed's p95 from 442 to 893 ms "
        "(messages of a few hundred bytes; REST answers are compressed either way).",
    )
    api_ws_heartbeat_seconds: float = Field(
        15.0, gt=0, description="Idle time after which a WebSocket client gets a heartbeat."
    )
    api_query_timeout_seconds: float = Field(10.0, gt=0, description="Longest a REST query may run in the warehouse.")
    api_game_directory_seconds: float = Field(
        30.0, gt=0, description="How often the API reads gold's game names, slugs and categories again."
    )
    api_answer_cache_entries: int = Field(
        1024,
        ge=0,
        description="Small answers read from gold alone (rankings, movers, game pages, months) the API keeps "
        "until gold's next load (0: none).",
    )
    api_prewarm_days: int = Field(
        31, ge=0, description="Days of per-game rows the API reads into DuckDB's cache at start (0: none)."
    )

    # Poll intervals (seconds); the budget planner may only lengthen them.
    steam_poll_seconds: float = Field(300.0, gt=0, description="Steam players are polled this often.")
    twitch_poll_seconds: float = Field(
        60.0, gt=0, description="Twitch's head (the most-watched streams) is polled this often."
    )
    twitch_sweep_seconds: float = Field(
        300.0, gt=0, description="Every stream on Twitch is read this often (at least the head's interval)."
    )
    youtube_poll_seconds: float = Field(
        300.0, gt=0, description="YouTube's live gaming broadcasts are polled this often."
    )
    synthetic_poll_seconds: float = Field(5.0, gt=0, description="The synthetic market (no keys) is polled this often.")

    # Platform endpoints (tests point these at local fixtures that speak the same HTTP)
    steam_api_url: str = Field("https://api.steampowered.com", description="Steam's Web API.")
    steam_store_url: str = Field("https://store.steampowered.com", description="Steam's store API (app details).")
    twitch_api_url: str = Field("https://api.twitch.tv", description="Twitch's Helix API.")
    twitch_auth_url: str = Field("https://id.twitch.tv", description="Twitch's OAuth server (app access tokens).")
    youtube_api_url: str = Field("https://www.googleapis.com", description="YouTube's Data API.")
    http_timeout_seconds: float = Field(10.0, gt=0, description="Longest the pollers wait for one platform answer.")

    # What to poll
    steam_app_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Always-tracked Steam apps."
    )
    steam_top_apps: int = Field(100, ge=0, le=100, description="Apps taken from Steam's most-played chart.")
    steam_concurrency: int = Field(8, ge=1, le=64, description="Steam requests one poll has in flight at once.")
    twitch_head_pages: int = Field(50, ge=1, le=700, description="Pages of 100 streams read every head poll.")
    twitch_max_pages: int = Field(1500, ge=1, description="Upper bound on pages of one full sweep.")
    youtube_discovery_seconds: float = Field(
        1800.0,
        gt=0,
        description="How often the YouTube poller searches for live broadcasts again (a search page costs 100 quota units).",
    )
    youtube_max_videos: int = Field(200, ge=1, le=5000, description="Live broadcasts the YouTube poller follows.")
    synthetic_seed: int = Field(7, description="Seed of the synthetic market: the same seed, the same market.")
    synthetic_scale: float = Field(0.01, gt=0, le=2.0, description="Share of the real market's channels and viewers.")

    # Streaming job
    stream_trigger_seconds: float = Field(
        10.0,
        gt=0,
        description="Lake query trigger: bronze, silver and quarantine are appended this often (`gst demo`: 30 unless set).",
    )
    stream_max_records_per_batch: int = Field(
        500_000,
        ge=1,
        description="Cap on one lake micro-batch (records), split evenly over the shards. It only binds while the "
        "job catches up, and each batch pays a fixed cost per Delta append: 500k caught up 1.5x faster than 200k.",
    )
    poll_trigger_seconds: float = Field(
        0.5, gt=0, description="Poll query trigger: how often complete polls reach Redis (not 0: timeouts need it)."
    )
    poll_max_records_per_batch: int = Field(100_000, ge=1, description="Cap on one poll-query micro-batch.")
    stream_starting_position: Literal["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"] = Field(
        "TRIM_HORIZON", description="Where a streaming job without a checkpoint starts reading the stream."
    )
    stream_dedup_seconds: float = Field(
        900.0,
        gt=0,
        description="Arrival-time window in which the stream drops duplicate event ids; a record observed longer "
        "ago than this when it arrives is late: kept in bronze, left to `gst backfill` for silver and totals.",
    )
    poll_grace_seconds: float = Field(
        60.0, ge=0, description="How long an incomplete poll waits for more records before closing as partial."
    )
    spark_driver_memory: str = Field(
        "3g",
        pattern=r"^\d+[mg]$",
        description="JVM heap of the local SparkSession (the streaming job's memory cap; `gst demo`: 512m unless set).",
    )
    spark_task_slots: int = Field(
        4,
        ge=2,
        description="Task slots of the streaming job's local Spark: more than the machine's cores on purpose, so the "
        "poll query keeps two while a lake batch runs (`gst demo`: 2 unless set, for its small load: fewer Python "
        "workers held).",
    )
    spark_fixed_heap: bool = Field(
        True,
        description="The streaming job takes its whole heap at start (-Xms = -Xmx, pages touched up front), so its "
        "memory is fixed from the first minute instead of rising and falling by a GB as the JVM resizes its heap "
        "(`gst demo`: off unless set, its heap grown into).",
    )
    spark_collector: Literal["g1", "serial"] = Field(
        "g1",
        description="The Spark JVM's garbage collector: G1 for the streaming job (a heap of gigabytes, collected beside "
        "the work), the serial collector for a heap of a few hundred MB (`gst demo`: serial unless set; G1's own "
        "structures and threads cost it more than its short pauses do).",
    )
    spark_jemalloc: bool = Field(
        True,
        description="The streaming job's JVM allocates native memory with jemalloc (Debian's libjemalloc2, which "
        "`make` installs), which returns freed memory to the system: with glibc's malloc the job's memory kept "
        "rising long after what it held had levelled.",
    )
    spark_state_memory_mb: int = Field(
        128,
        ge=16,
        description="Native memory shared by the streaming state stores (RocksDB memtables, block cache, indexes), "
        "outside the heap. Half holds memtables (each flushed at 16 MB), half caches blocks: a catching-up lake "
        "query looks up 500k keys a batch against millions. 128 MB caught up at 22,100 records/s (256 MB: 22,800; "
        "64 MB: 16,000, its filter and index blocks falling out of the cache), and its job held 130 MB less in a soak.",
    )
    gold_load_seconds: float = Field(120.0, gt=0, description="How often `gst demo` loads gold.")
    demo_history_days: float = Field(
        30.0, ge=0, le=400, description="Days of synthetic history `gst demo` writes on its first start (0: none)."
    )
    lake_maintain_seconds: float = Field(
        600.0, ge=0, description="How often `gst stream` compacts and vacuums the lake (0: never)."
    )
    lake_retention_hours: float = Field(168.0, ge=0, description="Vacuum removes unreferenced files older than this.")
    metrics_port: int | None = Field(None, ge=0, le=65535, description="Prometheus metrics port of the streaming job.")
    test_fault_point: FaultPoint | None = Field(
        None,
        description="Tests only: kill -9 the streaming job at this point of the first batch numbered test_fault_batch or later.",
    )
    test_fault_batch: int | None = Field(None, description="Tests only: see test_fault_point.")

    # Platform credentials
    steam_api_key: SecretStr | None = Field(
        None, description="Steam Web API key for keyed calls (player counts need none)."
    )
    twitch_client_id: SecretStr | None = Field(None, description="Twitch app's client id (unset: no Twitch poller).")
    twitch_client_secret: SecretStr | None = Field(None, description="Twitch app's client secret.")
    youtube_api_key: SecretStr | None = Field(None, description="YouTube Data API key (unset: no YouTube poller).")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Lowest level logged.")
    log_json: bool = Field(True, description="Logs as JSON lines (false: for a person at a terminal).")

    @field_validator("api_allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("steam_app_ids", mode="before")
    @classmethod
    def _split_app_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [int(v) for v in value.replace(" ", "").split(",") if v]
        return value

    @field_validator("warehouse_url")
    @classmethod
    def _known_warehouse(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in WAREHOUSE_SCHEMES:
            raise ValueError(f"warehouse_url must start with one of {', '.join(s + '://' for s in WAREHOUSE_SCHEMES)}")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("redis_url must start with redis://, rediss:// or unix://")
        return value

    @model_validator(mode="after")
    def _sweep_not_shorter_than_head(self) -> Settings:
        if self.twitch_sweep_seconds < self.twitch_poll_seconds:
            raise ValueError("twitch_sweep_seconds must be at least twitch_poll_seconds")
        return self

    @model_validator(mode="after")
    def _kafka_auth_is_complete(self) -> Settings:
        if (self.kafka_sasl_mechanism is None) != (self.kafka_security_protocol != "SASL_SSL"):
            raise ValueError("kafka_sasl_mechanism is needed with kafka_security_protocol SASL_SSL, and only there")
        if self.kafka_sasl_mechanism == "SCRAM-SHA-512" and not (self.kafka_sasl_username and self.kafka_sasl_password):
            raise ValueError("SCRAM-SHA-512 needs kafka_sasl_username and kafka_sasl_password")
        return self

    def __repr_args__(self) -> Any:
        """repr/str show URLs without their passwords (SecretStr already hides itself)."""
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if isinstance(value, str) and "://" in value else value

    @property
    def lake_path(self) -> str:
        return self.lake_root or str(self.data_dir / "lake")

    @property
    def spark_jars_path(self) -> Path:
        return self.spark_jars_dir or PROJECT_ROOT / ".jars" / "spark"

    @property
    def kafka_jars_path(self) -> Path:
        return self.kafka_jars_dir or PROJECT_ROOT / ".jars" / "kafka"

    @property
    def checkpoint_path(self) -> str:
        return self.checkpoint_root or str(self.data_dir / "checkpoints")

    @property
    def warehouse(self) -> str:
        return self.warehouse_url or f"duckdb:///{(self.data_dir / 'warehouse.duckdb').resolve()}"

    @property
    def warehouse_kind(self) -> str:
        return urlsplit(self.warehouse).scheme

    def secret(self, name: str) -> str | None:
        """The plain value of a credential, for the one call that sends it."""
        value = getattr(self, name)
        return value.get_secret_value() if isinstance(value, SecretStr) else value

    def describe(self) -> dict[str, str]:
        """Settings as printable strings: secrets only as set / not set, URLs without passwords."""
        shown: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) or (value is None and name in SECRET_FIELDS):
                shown[name] = "set" if value is not None else "not set"
            elif isinstance(value, str) and "://" in value:
                shown[name] = redact_url(value)
            elif isinstance(value, list):
                shown[name] = ",".join(map(str, value))
            else:
                shown[name] = str(value)
        shown["warehouse_url"] = redact_url(self.warehouse)
        shown["lake_root"] = self.lake_path
        shown["checkpoint_root"] = self.checkpoint_path
        return shown

    def env(self) -> dict[str, str]:
        """GST_* variables reproducing these settings in a child process (secrets included)."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            elif isinstance(value, list):
                value = ",".join(map(str, value))
            out[f"GST_{name.upper()}"] = str(value)
        return out


SECRET_FIELDS = frozenset(name for name, field in Settings.model_fields.items() if "SecretStr" in str(field.annotation))


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()
