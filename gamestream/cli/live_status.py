"""The demo's live status for a person: what runs, how fast, how far behind, how fresh, and where to look."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.table import Table

from gamestream.core.contracts import Platform
from gamestream.embedded.ports import port_is_free
from gamestream.embedded.stack import EmbeddedStack

# the demo's stages run in threads with these names (see the background() helpers they use)
STAGE_THREADS = {"producer": "producer-synthetic", "gold loads": "gold-loads", "API": "api"}


def collect(
    stack: EmbeddedStack, job: Any, url: str | None, api: httpx.Client | None, now: datetime | None = None
) -> dict[str, Any]:
    """The demo's health now, from what it can observe: ports, threads, the streaming job's queries
    and last batch reports, and the API's live snapshot (read with `api`, a client of `url` kept
    for the demo's life: a new client each second cost the demo a tenth of a core, most of it
    building its TLS context)."""
    now = now or datetime.now(UTC)
    threads = {t.name for t in threading.enumerate() if t.is_alive()}
    stages = {
        "Kinesis": not port_is_free(stack.aws_port),
        "Redis": not port_is_free(stack.redis_port),
        "streaming job": bool(job is not None and job.queries and all(q.isActive for q in job.queries)),
        **{name: thread in threads for name, thread in STAGE_THREADS.items()},
    }
    lake = job.queries[-1] if job is not None and job.queries else None
    progress = (lake.lastProgress if lake is not None else None) or {}
    report_file = Path(stack.settings.checkpoint_path) / "status.json"
    try:
        report = json.loads(report_file.read_text())
    except (OSError, ValueError):
        report = {}
    return {
        "stages": stages,
        "batch": progress.get("batchId"),
        "rows_per_s": progress.get("processedRowsPerSecond"),
        "lag_ms": report.get("lake", {}).get("lag_millis"),
        "data_age_s": _data_age(api, now),
        "url": url,
    }


def _data_age(api: httpx.Client | None, now: datetime) -> float | None:
    """Seconds since the newest observation the dashboard shows (None before the first poll lands)."""
    if api is None:
        return None
    newest = None
    for platform in Platform:
        try:
            answer = api.get(f"/api/live/{platform}", params={"limit": 1})
        except httpx.TransportError:
            return None
        observed = answer.json().get("observed_at") if answer.status_code == 200 else None
        if observed:
            moment = datetime.fromisoformat(observed)
            newest = moment if newest is None else max(newest, moment)
    return None if newest is None else max(0.0, (now - newest).total_seconds())


def render(health: dict[str, Any]) -> Table:
    """A few lines: the URL, each stage up or down, rows/s, lag and data age ('–' while unknown)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    if health.get("url"):
        grid.add_row("dashboard", f"[bold cyan]{health['url']}/[/]")
    grid.add_row(
        "running",
        "  ".join(f"[green]✓ {name}[/]" if up else f"[red]✗ {name}[/]" for name, up in health["stages"].items()),
    )
    rows = health.get("rows_per_s")
    batch = health.get("batch")
    grid.add_row(
        "stream",
        f"{_number(rows, '{:,.0f}')} rows/s"
        + (f" (batch {batch})" if batch is not None else "")
        + f"   lag {_seconds(health.get('lag_ms'), 1000)}"
        + f"   data age {_seconds(health.get('data_age_s'))}",
    )
    return grid


def _number(value: float | None, fmt: str) -> str:
    return "–" if value is None else fmt.format(value)


def _seconds(value: float | None, per_second: float = 1) -> str:
    return "–" if value is None else f"{value / per_second:,.1f} s"
