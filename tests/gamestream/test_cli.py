"""The `gst` command line, run as a user runs it: a real process with GST_* settings."""

import json
import re
import signal
import time

from gamestream.core.aws import aws_client
from gamestream.embedded.ports import free_port, port_is_free
from tests.support.cli import run_gst, start_gst
from tests.support.kafka import read_topic


def test_help_lists_only_working_commands():
    out = run_gst("--help")
    assert out.returncode == 0
    for command in ("demo", "stack", "init", "doctor", "settings", "api", "backfill", "replay", "gold", "lake"):
        assert command in out.stdout


def test_demo_starts_prints_and_stops_cleanly(tmp_path):
    # no history here (the dashboard's demo has it): a first gold load would hold up the stop
    out = run_gst("demo", "--duration", "1", "--data-dir", str(tmp_path / "d"), env={"GST_DEMO_HISTORY_DAYS": "0"})
    assert out.returncode == 0, out.stderr
    assert "history: none written (GST_DEMO_HISTORY_DAYS is 0)" in out.stdout
    assert "Kinesis API (kinesalite) at http://127.0.0.1:" in out.stdout
    assert "Redis (" in out.stdout
    assert "Stopped cleanly." in out.stdout
    assert "synthetic producer" in out.stdout and "streaming job" in out.stdout
    assert "dashboard and API: http://127.0.0.1:" in out.stdout
    assert "GST_REDIS_URL=redis://127.0.0.1:" in (tmp_path / "d" / "stack.env").read_text()
    # a person gets the status, the log file the JSON lines (the stack's own and the demo's health)
    text = " ".join(out.stdout.split())
    assert re.search(r"running ✓ Kinesis ✓ Redis [✓✗] streaming job [✓✗] producer [✓✗] gold loads ✓ API", text), text
    assert '"event"' not in out.stdout + out.stderr
    logged = [json.loads(line) for line in (tmp_path / "d" / "logs" / "demo.jsonl").read_text().splitlines()]
    events = [e["event"] for e in logged]
    assert "embedded_stack_started" in events and "demo_health" in events
    # the demo's own sizes where the environment says nothing: a light Spark, the lake every 60 s
    [started] = [e for e in logged if e["event"] == "stream_started"]
    sizes = (
        started["slots"],
        started["heap"],
        started["heap_fixed"],
        started["collector"],
        started["lake_trigger_seconds"],
    )
    assert sizes == (2, "512m", False, "serial", 60.0)
    assert "synthetic producer: polls every 10s" in text
    # Spark's own console output goes to its file, not between the demo's lines
    spark_log = tmp_path / "d" / "logs" / "spark.log"
    assert "Spark's own output in" in text and "log4j" in spark_log.read_text()
    assert "log4j" not in out.stdout + out.stderr and "WARN" not in out.stdout + out.stderr
    assert (tmp_path / "d" / "warehouse.duckdb").exists()
    assert (tmp_path / "d" / "lake").is_dir()


def test_stack_stops_cleanly_on_sigterm_and_writes_env_file(tmp_path):
    env_file = tmp_path / "stack.env"
    proc = start_gst("stack", "--data-dir", str(tmp_path / "d"), "--env-file", str(env_file))
    deadline = time.monotonic() + 60
    while not env_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    redis_port = int(values["GST_REDIS_URL"].rsplit(":", 1)[1].split("/")[0])
    aws_port = int(values["GST_AWS_ENDPOINT_URL"].rsplit(":", 1)[1])
    assert not port_is_free(redis_port) and not port_is_free(aws_port)
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=30)
    assert "Stopped cleanly." in stdout
    assert port_is_free(redis_port) and port_is_free(aws_port)


def test_doctor_passes_against_a_running_stack(stack, tmp_path):
    env = {**stack.settings.env(), "GST_API_PORT": str(free_port())}
    out = run_gst("doctor", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stdout
    assert "Everything the configured system needs is there." in out.stdout
    assert "Java" in out.stdout


def test_doctor_says_what_is_missing(stack, tmp_path):
    env = {
        **stack.settings.env(),
        "GST_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "GST_STREAM_NAME": "no-such-stream",
        "GST_API_PORT": str(stack.redis_port),
    }
    out = run_gst("doctor", env=env, cwd=tmp_path)
    assert out.returncode == 1
    text = " ".join(out.stdout.split())
    assert "cannot reach Redis" in text
    assert "does not exist; run `gst init`" in text
    assert "taken by another process" in text
    assert "Missing: api port, kinesis, redis." in text


def gst_init(settings, tmp_path, **env):
    """`gst init` of the stream (or topic) 'made-by-init' and a lake of its own: it succeeds and makes both."""
    env = {**settings.env(), "GST_STREAM_NAME": "made-by-init", "GST_LAKE_ROOT": str(tmp_path / "lake"), **env}
    out = run_gst("init", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "lake").is_dir()
    return out


def test_init_creates_the_configured_stream(stack, tmp_path):
    gst_init(stack.settings, tmp_path, GST_STREAM_SHARDS="3")
    shards = aws_client(stack.settings, "kinesis").list_shards(StreamName="made-by-init")["Shards"]
    assert len(shards) == 3


def test_init_creates_the_kafka_topic_with_the_kafka_sink(kafka_stack, tmp_path):
    out = gst_init(kafka_stack.settings, tmp_path, GST_KAFKA_PARTITIONS="3")
    assert "Kafka topic 'made-by-init' (3 partitions)" in out.stdout
    assert len(read_topic(kafka_stack.settings, "made-by-init")) == 0  # there, and empty


def test_replay_names_an_unknown_target(tmp_path):
    out = run_gst("replay", "--from", "2026-11-26T08:00", "--to", "2026-11-26T09:00", "--target", "sqs", cwd=tmp_path)
    assert out.returncode == 2
    assert "unknown replay target 'sqs': choose one of kinesis, kafka" in out.stdout


def test_settings_hides_secrets_and_bad_settings_are_named(tmp_path):
    out = run_gst("settings", env={"GST_TWITCH_CLIENT_SECRET": "hunter2-secret"}, cwd=tmp_path)
    assert out.returncode == 0
    assert "hunter2-secret" not in out.stdout + out.stderr
    assert "GST_TWITCH_CLIENT_SECRET" in out.stdout
    bad = run_gst("settings", env={"GST_STREAM_SHARDS": "zero"}, cwd=tmp_path)
    assert bad.returncode == 2
    # one line naming the variable and what is wrong with it, no traceback
    assert " ".join(bad.stdout.split()).startswith("bad setting GST_STREAM_SHARDS: Input should be a valid integer")
    assert "Traceback" not in bad.stdout + bad.stderr


def test_produce_plan_prints_every_budget(tmp_path):
    out = run_gst("produce", "--plan", cwd=tmp_path)
    assert out.returncode == 0
    text = " ".join(out.stdout.split())
    assert "twitch: limit 800 points/min" in text
    assert "steam: limit 100000 calls/day" in text
    assert "youtube: limit 10000 units/day" in text


def test_produce_once_pushes_one_synthetic_poll(stack, tmp_path):
    from gamestream.core.aws import ensure_stream
    from gamestream.core.contracts import parse_record
    from tests.support.kinesis import read_stream

    kinesis = aws_client(stack.settings, "kinesis")
    ensure_stream(kinesis, "cli-once", 1)
    env = {**stack.settings.env(), "GST_STREAM_NAME": "cli-once"}
    out = run_gst("produce", "--source", "synthetic", "--once", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "synthetic: 1 polls" in out.stdout
    found = [parse_record(r["Data"]) for r in read_stream(kinesis, "cli-once")]
    manifests = [r for r in found if r.kind == "poll_manifest"]
    assert len(manifests) == 4
    assert len(found) == sum(m.record_count for m in manifests) + 4


def test_produce_says_which_credentials_are_missing(tmp_path):
    out = run_gst("produce", "--source", "twitch", "--once", cwd=tmp_path)
    assert out.returncode == 2
    assert "GST_TWITCH_CLIENT_ID" in out.stdout


def test_api_serves_until_sigterm(stack, tmp_path):
    port = free_port()
    env = {
        "GST_API_PORT": str(port),
        "GST_REDIS_URL": stack.settings.redis_url,
        "GST_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'w.duckdb'}",
    }
    proc = start_gst("api", env=env, cwd=tmp_path)
    import httpx

    deadline, health = time.monotonic() + 60, None
    while time.monotonic() < deadline and health is None:
        try:
            health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
    assert health is not None and health.json() == {"status": "ok"}
    ready = httpx.get(f"http://127.0.0.1:{port}/readyz").json()
    assert ready["checks"]["redis"] == "ok" and ready["checks"]["warehouse"].startswith("unavailable")  # no gold yet
    assert httpx.get(f"http://127.0.0.1:{port}/api/docs").status_code == 200
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=30)
    # uvicorn shuts down gracefully, then re-raises SIGTERM so supervisors see how it ended
    assert proc.returncode in (0, -signal.SIGTERM) and "Application shutdown complete." in stderr, stderr
    assert f"API on http://127.0.0.1:{port}/" in stdout


def test_backfill_refuses_a_bad_range_before_starting_spark(tmp_path):
    out = run_gst("backfill", "--from", "2026-11-26T10:00", "--to", "2026-11-26T09:00", cwd=tmp_path, timeout=60)
    assert out.returncode == 2 and "--to must be after --from" in out.stdout
    out = run_gst("backfill", "--from", "yesterday", "--to", "2026-11-26T09:00", cwd=tmp_path, timeout=60)
    assert out.returncode == 2 and "ISO-8601" in out.stdout


def test_doctor_names_missing_jars_and_packages(stack, tmp_path):
    env = {
        **stack.settings.env(),
        "GST_API_PORT": str(free_port()),
        "GST_SPARK_JARS_DIR": str(tmp_path),
        "PATH": "/nonexistent",
    }
    out = run_gst("doctor", env=env, cwd=tmp_path)
    assert out.returncode == 1
    text = " ".join(out.stdout.split())
    assert "make jars" in text
    assert "Missing: java, spark jars." in text
    for package in ("redis-server", "maven", "npm"):
        assert f"{package} │ warn │ not installed" in text
