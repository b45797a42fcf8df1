"""The package as a deployment gets it: a wheel built with `pip wheel`, installed non-editable into a
fresh venv, carries the dbt project and the built dashboard, finds them with importlib.resources and
runs `gst gold run` and `gst api` (the dashboard at /) from a folder outside the repository, writing
nothing into the installed project.

The wheel is built once per run into a wheelhouse; the fresh venv takes the project's dependencies
from this interpreter's site-packages (a .pth line) instead of installing them again, so the check
stays within seconds while the code under test is only the wheel's."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest

from gamestream.core.lake import Lake
from gamestream.embedded.ports import free_port
from tests.support.silver import seed_parity_totals

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("gamestream", "producers", "streaming_jobs", "batch_jobs", "realtime_api", "warehouse_sql")


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory) -> Path:
    """The project's wheel, built from a copy of its sources (a build leaves build/ behind), with the
    dashboard `make install` built into realtime_api/dashboard."""
    if not (REPO / "realtime_api" / "dashboard" / "index.html").is_file():
        pytest.fail("realtime_api/dashboard is not built: `make install` builds it (cd frontend && npm run build)")
    source, house = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheelhouse")
    for name in PACKAGES:
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("node_modules", "__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", house, source],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return house


@pytest.fixture(scope="session")
def installed(wheelhouse, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed (not editable); its bin folder."""
    venv = tmp_path_factory.mktemp("venv") / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=120)
    python = venv / "bin" / "python"
    wheel = next(wheelhouse.glob("game_stream_trends-*.whl"))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # after the wheel's own
    return venv / "bin"


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("GST_", "PYTHON"))}
    out.update(
        GST_LAKE_ROOT=str(tmp_path / "lake"),
        GST_WAREHOUSE_URL=f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
        GST_DATA_DIR=str(tmp_path / "data"),
        COLUMNS="200",
        **extra,
    )
    return out


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if "__pycache__" not in p.parts}


def test_an_installed_wheel_builds_gold_and_serves_it(installed, tmp_path):
    where = subprocess.run(
        [
            installed / "python",
            "-c",
            "import importlib.resources as r, batch_jobs.dbt as d, realtime_api.app as a;"
            "print(r.files('warehouse_sql')); print(d.project_dir()); print(a.DASHBOARD)",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env(tmp_path),
        timeout=60,
    )
    assert where.returncode == 0, where.stderr
    packaged, found, dashboard = (Path(line) for line in where.stdout.split())
    assert packaged == found and installed.parent in packaged.parents  # the wheel's copy, not the repository's
    assert installed.parent in dashboard.parents and (dashboard / "index.html").is_file()

    def project_files(folder: Path) -> set[str]:
        return {f for f in files_under(folder) if f.endswith((".sql", ".yml"))}

    assert project_files(packaged) == project_files(REPO / "warehouse_sql")  # every model, YAML and macro
    before = files_under(packaged)

    Lake(str(tmp_path / "lake")).append("silver/game_poll_totals", seed_parity_totals(hours=2), 0, ["poll_date"])
    run = subprocess.run(
        [installed / "gst", "gold", "run"], capture_output=True, text=True, cwd=tmp_path, env=env(tmp_path), timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Delta version None -> 0" in run.stdout
    assert files_under(packaged) == before  # the packaged project is only read
    assert (tmp_path / "data" / "dbt" / "duckdb" / "target" / "manifest.json").is_file()
    assert (tmp_path / "data" / "dbt" / "duckdb" / "logs" / "dbt.log").is_file()

    port = free_port()
    api = subprocess.Popen(
        [installed / "gst", "api"],
        cwd=tmp_path,
        env=env(tmp_path, GST_API_PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline, answer = time.monotonic() + 60, None
        while time.monotonic() < deadline and api.poll() is None:
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/api/games/top",
                    params={"platform": "twitch", "include_non_games": "true"},
                    timeout=5,
                )
                break
            except httpx.TransportError:
                time.sleep(0.3)
        assert answer is not None, api.stdout.read() if api.poll() is not None else "gst api never answered"
        assert answer.status_code == 200, answer.text
        assert [g["game_key"] for g in answer.json()["items"]] == ["just chatting", "dota 2"]  # by viewers

        index = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert index.status_code == 200 and index.text == (dashboard / "index.html").read_text()
        script = re.search(r'src="/(assets/[^"]+\.js)"', index.text)
        assert script is not None, index.text
        asset = httpx.get(f"http://127.0.0.1:{port}/{script[1]}", timeout=5)
        assert asset.status_code == 200 and asset.content == (dashboard / script[1]).read_bytes()
    finally:
        api.terminate()
        api.wait(timeout=30)
