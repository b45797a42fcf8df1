"""The one repeat loop of gold loads (`load_gold_every`): `gst gold run --every` runs it in the
foreground, `gst demo` in a thread (`scheduled_gold`). The loads are stand-ins: no lake, no dbt."""

import signal
import threading
import time

import pytest
from typer.testing import CliRunner

import batch_jobs.gold.loads
import batch_jobs.gold.schedule
import gamestream.cli.gold
from batch_jobs.dbt import DbtFailed
from batch_jobs.gold.loads import LoadReport
from batch_jobs.gold.schedule import load_gold_every, scheduled_gold
from gamestream.cli import app
from gamestream.core.settings import Settings
from tests.support.cli import start_gst

REPORT = LoadReport(from_version=None, to_version=3, rows=12, buckets=4)


class Loads:
    """Stands in for `run_gold`: each call takes the next outcome (an exception is raised, then REPORT
    when none is left); `done` is set once all are taken."""

    def __init__(self, *outcomes: object, done: threading.Event | None = None):
        self.outcomes = list(outcomes)
        self.calls = 0
        self.done = done or threading.Event()

    def __call__(self, settings: Settings) -> LoadReport:
        self.calls += 1
        outcome = self.outcomes.pop(0) if self.outcomes else REPORT
        if not self.outcomes:
            self.done.set()
        if isinstance(outcome, BaseException):
            raise outcome
        assert isinstance(outcome, LoadReport)
        return outcome


@pytest.fixture()
def settings(tmp_path):
    return Settings(_env_file=None, lake_root=str(tmp_path / "lake"), warehouse_url=f"duckdb:///{tmp_path / 'w.db'}")


def run_in_thread(target, *args, **kwargs) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True)
    thread.start()
    return thread


def test_a_failed_load_is_retried_at_the_next_one(monkeypatch, settings):
    stop, reports = threading.Event(), []
    # the third load stops the loop as it ends
    loads = Loads(RuntimeError("lake unreachable"), DbtFailed("model game_buckets failed"), REPORT, done=stop)
    monkeypatch.setattr(batch_jobs.gold.schedule, "run_gold", loads)
    thread = run_in_thread(load_gold_every, settings, 0.01, stop, on_load=reports.append)
    thread.join(10)
    assert not thread.is_alive()
    assert loads.calls == 3 and reports == [REPORT]  # only the load that succeeded is reported


def test_a_configuration_error_ends_the_loop(monkeypatch, settings):
    loads = Loads(ValueError("Redshift loads need GST_REDSHIFT_IAM_ROLE"))
    monkeypatch.setattr(batch_jobs.gold.schedule, "run_gold", loads)
    with pytest.raises(ValueError, match="GST_REDSHIFT_IAM_ROLE"):
        load_gold_every(settings, 0.01, threading.Event())
    assert loads.calls == 1


def test_stop_ends_the_wait_between_loads_at_once(monkeypatch, settings):
    loads = Loads(REPORT)
    monkeypatch.setattr(batch_jobs.gold.schedule, "run_gold", loads)
    stop = threading.Event()
    thread = run_in_thread(load_gold_every, settings, 3600, stop)
    assert loads.done.wait(10)  # the first load runs at once
    started = time.monotonic()
    stop.set()
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - started < 1
    assert loads.calls == 1


def test_the_demo_schedule_waits_before_its_first_load_and_stops_promptly(monkeypatch, settings):
    loads = Loads()
    monkeypatch.setattr(batch_jobs.gold.schedule, "run_gold", loads)
    started = time.monotonic()
    with scheduled_gold(settings, every=3600):
        time.sleep(0.1)
    assert time.monotonic() - started < 1
    assert loads.calls == 0  # the demo's first load comes after `every`: the streaming job has written by then


def test_the_demo_loads_its_history_at_once(monkeypatch, settings):
    loads = Loads()
    monkeypatch.setattr(batch_jobs.gold.schedule, "run_gold", loads)
    with scheduled_gold(settings, every=3600, at_once=True):
        deadline = time.monotonic() + 5
        while loads.calls == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert loads.calls == 1


def gst_gold_run(monkeypatch, settings, loads, *args):
    monkeypatch.setattr(batch_jobs.gold.loads, "run_gold", loads)  # what `gst gold run` calls once
    monkeypatch.setattr(batch_jobs.gold.schedule, "run_gold", loads)  # and what its --every loop calls
    monkeypatch.setattr(gamestream.cli.gold, "load_settings", lambda: settings)
    monkeypatch.setattr(gamestream.cli.gold, "stop_on_sigterm", lambda: None)
    return CliRunner().invoke(app, ["gold", "run", *args])


def test_gst_gold_run_exits_1_on_a_failed_build_when_not_repeating(monkeypatch, settings):
    loads = Loads(DbtFailed("model game_buckets failed"))
    result = gst_gold_run(monkeypatch, settings, loads)
    assert result.exit_code == 1 and "model game_buckets failed" in result.output
    assert loads.calls == 1


def test_gst_gold_run_every_retries_failures_and_stops_on_ctrl_c(monkeypatch, settings):
    loads = Loads(DbtFailed("model game_buckets failed"), REPORT, KeyboardInterrupt())
    result = gst_gold_run(monkeypatch, settings, loads, "--every", "1")
    assert result.exit_code == 0, result.output
    assert loads.calls == 3
    assert "gold: Delta version None -> 3, 12 rows loaded, 4 buckets rebuilt in duckdb" in result.output


def test_gst_gold_run_every_exits_2_at_once_on_a_configuration_error(monkeypatch, settings):
    loads = Loads(ValueError("Redshift loads need GST_REDSHIFT_IAM_ROLE"))
    result = gst_gold_run(monkeypatch, settings, loads, "--every", "1")
    assert result.exit_code == 2 and "GST_REDSHIFT_IAM_ROLE" in result.output
    assert loads.calls == 1


def test_gst_gold_run_every_stops_on_sigterm(tmp_path):
    env = {"GST_LAKE_ROOT": str(tmp_path / "lake"), "GST_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'w.duckdb'}"}
    proc = start_gst("gold", "run", "--every", "3600", env=env, cwd=tmp_path)
    watchdog = threading.Timer(60, proc.kill)  # a silent process fails the test rather than hanging it
    watchdog.start()
    try:
        assert proc.stdout is not None
        assert "no silver.game_poll_totals" in proc.stdout.readline()  # the first load ran; now it waits
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() - started < 5
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
