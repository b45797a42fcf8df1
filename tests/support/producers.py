"""What producer tests share: the clock's start, records to send, a sink that keeps what it is sent,
and the SIGTERM check every real sink passes."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from gamestream.core.contracts import PlayerCount, PollManifest, RecordBase, parse_record
from gamestream.core.settings import Settings
from producers.sinks.base import Sink
from tests.support.cli import start_gst

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def platform_settings(url: str, **overrides: object) -> Settings:
    """Settings of pollers that talk to a local platform fixture at `url` (every platform's API there),
    with fixture credentials and no raw archive in the working tree's lake. The answer timeout is generous:
    on a busy machine a fixture answer can take longer than a short one, and a retry would change which
    requests the fixture logged; a test of timeouts sets its own."""
    fields: dict[str, object] = {
        "twitch_api_url": url,
        "twitch_auth_url": url,
        "steam_api_url": url,
        "steam_store_url": url,
        "youtube_api_url": url,
        "twitch_client_id": "fixture-client",
        "twitch_client_secret": "fixture-secret",
        "youtube_api_key": "fixture-key",
        "http_timeout_seconds": 5.0,
        "twitch_head_pages": 3,
        "twitch_max_pages": 1200,
        "raw_archive": False,  # tests/producers/test_raw_archive.py turns it on, in a temporary lake
        **overrides,
    }
    return Settings(_env_file=None, **fields)  # type: ignore[arg-type]


def player_counts(count: int, poll: str = "p1") -> list[PlayerCount]:
    """`count` Steam player counts of one poll, apps 1..count."""
    return [
        PlayerCount.create(source="steam", observed_at=T0, poll_id=poll, app_id=i + 1, player_count=i)
        for i in range(count)
    ]


def assert_sigterm_flushes_everything(
    settings: Settings, cwd: Path, delivered: Callable[[], list[bytes]], scale: float, start_seconds: float
) -> None:
    """SIGTERM `gst produce --source synthetic` (at `scale`, polling every second) in the middle of a poll,
    once `delivered()` (the encoded records in the sink's stream or topic) shows its first records: it exits
    0, every record it counted as sent is delivered, each once, and every poll ends with its manifest."""
    env = {
        **settings.env(),
        "GST_SYNTHETIC_POLL_SECONDS": "1",
        "GST_SYNTHETIC_SCALE": str(scale),
        "GST_LOG_JSON": "true",
    }
    proc = start_gst("produce", "--source", "synthetic", env=env, cwd=cwd)
    deadline = time.monotonic() + start_seconds
    while time.monotonic() < deadline and proc.poll() is None and not delivered():
        time.sleep(0.2)
    assert proc.poll() is None, proc.communicate()[1][-2000:]
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr[-2000:]
    stopped = [json.loads(line) for line in stderr.splitlines() if '"producer_stopped"' in line]
    assert stopped and stopped[0]["delivered"] == stopped[0]["records_sent"] > 0
    found = [parse_record(data) for data in delivered()]
    assert len(found) == stopped[0]["records_sent"]
    assert len({r.event_id for r in found}) == len(found)  # exactly once: no record twice
    manifests = {r.poll_id: r for r in found if isinstance(r, PollManifest)}
    assert {r.poll_id for r in found} == set(manifests)
    counts = Counter(r.poll_id for r in found if r.kind != "poll_manifest")
    assert {poll: m.record_count for poll, m in manifests.items()} == {poll: counts[poll] for poll in manifests}


class ListSink(Sink):
    """Keeps what it is sent; the poller tests look at records, not at delivery."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[RecordBase] = []

    def send(self, record: RecordBase) -> None:
        self.records.append(record)
        self.stats.add(accepted=1, delivered=1)

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def close(self, timeout: float | None = None) -> None:
        pass

    def of_kind(self, kind: str) -> list:
        return [r for r in self.records if r.kind == kind]
