import json
import os
import py_compile
import subprocess
import sys
from pathlib import Path

from prometheus_client import generate_latest

from streaming_jobs.job import BatchReport
from streaming_jobs.metrics import JobMetrics

ROOT = Path(__file__).resolve().parents[2]


def test_batch_figures_become_prometheus_metrics():
    metrics = JobMetrics()
    metrics.observe(BatchReport(3, 1000, 7, 0.5, 2000.0, 1500, 4, "applied", "2026-11-26T04:00:00+00:00"))
    metrics.observe(BatchReport(4, 500, 0, 0.25, 2000.0, 0, 2, "applied", "2026-11-26T04:00:01+00:00"))
    text = generate_latest(metrics.registry).decode()
    assert "gst_stream_input_rows_total 1500.0" in text
    assert "gst_stream_quarantined_rows_total 7.0" in text
    assert "gst_stream_batch_duration_seconds 0.25" in text
    assert "gst_stream_millis_behind_latest 0.0" in text
    assert "gst_stream_last_batch_id 4.0" in text


def test_gst_status_shows_the_last_batch(tmp_path):
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    (checkpoints / "status.json").write_text(json.dumps({"batch_id": 12, "input_rows": 345, "rows_per_s": 678.9}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GST_")}
    env.update(GST_CHECKPOINT_ROOT=str(checkpoints), GST_REDIS_URL="redis://127.0.0.1:1/0", COLUMNS="200")
    out = subprocess.run(
        [sys.executable, "-m", "gamestream", "status"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "345" in out.stdout and "678.9" in out.stdout and "redis last applied batch" in out.stdout
    (checkpoints / "status.json").unlink()
    missing = subprocess.run(
        [sys.executable, "-m", "gamestream", "status"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 1 and "no batch recorded yet" in missing.stdout


def test_glue_job_compiles_and_uses_the_shared_transformations():
    source = ROOT / "streaming_jobs" / "glue_job.py"
    py_compile.compile(str(source), doraise=True)
    text = source.read_text()
    for name in ("bronze_frame", "parse_records", "silver_frames", "quarantine_frame", "txnVersion"):
        assert name in text
