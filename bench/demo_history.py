"""The demo's first minute (prints figures; not a test): how long `gst demo` takes on its first start
to write its history into silver and to load it into gold, the two steps before every chart and
ranking has data (the target: within about a minute). Runs both steps as the demo does, on a fresh
data directory with the embedded DuckDB warehouse; no stream, no Spark.

Run: .venv/bin/python bench/demo_history.py [--days 30]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from batch_jobs.demo_history import write_history  # noqa: E402
from batch_jobs.gold.loads import run_gold  # noqa: E402
from gamestream.core.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=30.0, help="days of history (the demo's default: 30)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gst-bench-history-") as data:
        settings = Settings(_env_file=None, data_dir=Path(data), demo_history_days=args.days)
        started = time.perf_counter()
        summary = write_history(settings, show_progress=False)
        written = time.perf_counter() - started
        started = time.perf_counter()
        report = run_gold(settings)
        loaded = time.perf_counter() - started
    print(f"history: {summary.days} days, {summary.polls} polls, {summary.totals} game totals in {written:.1f} s")
    print(f"gold: {report.rows} rows staged, {report.buckets} buckets built in {loaded:.1f} s")
    print(f"history_s={written:.1f} gold_s={loaded:.1f} first_data_s={written + loaded:.1f}")


if __name__ == "__main__":
    main()
