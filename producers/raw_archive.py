"""Our own raw archive: every page the Twitch and Steam pollers fetch, kept as the platform sent it,
in the seed pipeline's layout, so that a parser bug found later is fixed by re-importing the pages
(`gst import --format seed LAKE/raw`) instead of being lost with the records it spoiled.

    raw/twitch/streams/{YYYY-MM-DD}/{HH}/fetch_streams_{page}_{YYYY-MM-DD_HH-MM-SS}.json.gz          Helix /streams
    raw/twitch/top_categories/{YYYY-MM-DD}/{HH}/fetch_top_categories_{page}_{stamp}.json.gz         Helix /games/top
    raw/steam/players/{YYYY-MM-DD}/{HH}/combined_players_{stamp}.json.gz   {"<appid>": GetNumberOfCurrentPlayers answer}
    {folder of page 1}/run_{poll_kind}_{stamp of page 1}.manifest.json       one per poll, plain JSON

As in the seed, a page's day and hour folders and its stamp are the moment it was fetched (the
poller's clock) in KST (UTC+9). A page is the gzip of the answer's body exactly as received; a Steam
players poll keeps one combined file holding the parsed answer of every app that answered. The
run's manifest, written when the poll closes, lists its pages in fetch order, what failed (a page,
or a Steam app), and the PollManifest record the poller sent. YouTube is not archived: the seed's
layout has no kind for it.

Writes run on a few background threads, so a slow S3 never slows a poll (at most MAX_PENDING
writes wait; past that a page waits for room); a page that cannot be written is logged and listed
as failed in its run's manifest; the poll itself never fails for the archive. Day folders older
than the retention are deleted by `prune` (run by the lake's upkeep); on AWS an S3 lifecycle rule
expires the same prefix (infra/stack.py).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import structlog

from gamestream.contracts import PollManifest
from gamestream.settings import Settings
from producers.poll_loop import PollRecorder

log = structlog.get_logger(__name__)
KST = timezone(timedelta(hours=9), "KST")
FORMAT = "gst-raw-archive/1"
WRITERS = 4
MAX_PENDING = 1000
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class RawKind:
    """One kind of page: its folder under raw/ and its file name (the seed's, plus .gz)."""

    folder: str
    name: str  # format string with {page} and {stamp}

    def file_name(self, page: int, stamp: str) -> str:
        return self.name.format(page=page, stamp=stamp)


STREAMS = RawKind("twitch/streams", "fetch_streams_{page}_{stamp}.json.gz")
TOP_CATEGORIES = RawKind("twitch/top_categories", "fetch_top_categories_{page}_{stamp}.json.gz")
PLAYERS = RawKind("steam/players", "combined_players_{stamp}.json.gz")


def kst_stamp(at: datetime) -> tuple[str, str, str]:
    """(day folder, hour folder, file stamp) of a fetch at `at`, in KST as the seed wrote them."""
    local = at.astimezone(KST)
    return f"{local:%Y-%m-%d}", f"{local:%H}", f"{local:%Y-%m-%d_%H-%M-%S}"


def utc_iso(at: datetime) -> str:
    """ISO-8601 in UTC with microseconds: 2026-11-26T03:00:00.050000Z."""
    return at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def raw_root(settings: Settings) -> str:
    """The lake's raw area: LAKE_ROOT/raw (a folder or s3://bucket/prefix/raw)."""
    return f"{settings.lake_path.rstrip('/')}/raw"


class Store(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def day_folders(self) -> list[str]: ...

    def delete_folder(self, folder: str) -> None: ...


class LocalStore:
    """Files under a folder; a file appears whole (written beside it, then renamed)."""

    def __init__(self, root: str):
        self.root = Path(root)

    def put(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
        partial.write_bytes(data)
        os.replace(partial, path)

    def day_folders(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            day.relative_to(self.root).as_posix()
            for day in self.root.glob("*/*/*")
            if day.is_dir() and DAY.match(day.name)
        )

    def delete_folder(self, folder: str) -> None:
        shutil.rmtree(self.root / folder, ignore_errors=True)


class S3Store:
    """Objects under s3://bucket/prefix, through the project's S3 client (endpoint and keys from settings)."""

    def __init__(self, root: str, client: Callable[[], Any]):
        parts = urlsplit(root)
        self.bucket, self.prefix = parts.netloc, parts.path.strip("/")
        self._factory, self._client = client, None
        self._lock = threading.Lock()

    @property
    def s3(self) -> Any:
        with self._lock:  # boto3 clients are thread-safe; creating one is not
            if self._client is None:
                self._client = self._factory()
            return self._client

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        kind = "application/json" if key.endswith(".json") else "application/gzip"
        self.s3.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=kind)

    def _folders(self, under: str) -> list[str]:
        found = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(under), Delimiter="/"
        ):
            found += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        return found

    def day_folders(self) -> list[str]:
        start = len(self._key(""))
        days = []
        for source in self._folders(""):
            for kind in self._folders(source[start:]):
                for day in self._folders(kind[start:]):
                    if DAY.match(day.rstrip("/").rsplit("/", 1)[-1]):
                        days.append(day[start:].rstrip("/"))
        return sorted(days)

    def delete_folder(self, folder: str) -> None:
        for page in self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(f"{folder}/")
        ):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:  # a listing page holds at most 1,000 keys: what one delete_objects takes
                self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})


class RawArchive:
    """Pages to the archive under `root` (a folder or s3://bucket/prefix): `run` per poll, `prune`
    for retention, `flush`/`close` to wait for the writes. Disabled: runs write nothing."""

    def __init__(
        self,
        root: str,
        *,
        enabled: bool = True,
        retention_days: int = 0,
        s3_client: Callable[[], Any] | None = None,
        writers: int = WRITERS,
        max_pending: int = MAX_PENDING,
    ):
        self.root, self.enabled, self.retention_days = root, enabled, retention_days
        if root.startswith("s3://"):
            if s3_client is None:
                raise ValueError(f"{root}: an S3 root needs an S3 client")
            self.store: Store = S3Store(root, s3_client)
        else:
            self.store = LocalStore(root)
        self.writers = writers
        self._executor: ThreadPoolExecutor | None = None
        self._room = threading.BoundedSemaphore(max_pending)
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> RawArchive:
        from gamestream.aws import aws_client

        return cls(
            raw_root(settings),
            enabled=settings.raw_archive,
            retention_days=settings.raw_retention_days,
            s3_client=lambda: aws_client(settings, "s3"),
        )

    def run(self, kind: RawKind, recorder: PollRecorder, poll_kind: str) -> RawRun:
        """The archive of one poll: its manifest is written when the poll loop closes the poll."""
        run = RawRun(self if self.enabled else None, kind, recorder, poll_kind)
        if self.enabled:
            recorder.on_close.append(run.close)
        return run

    def submit(self, action: Callable[[], None]) -> Future[None]:
        self._room.acquire()  # waits only when MAX_PENDING writes are behind
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.writers, thread_name_prefix="raw-archive")
            future = self._executor.submit(action)
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)
        self._room.release()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait for every write submitted so far; False if some were still running at `timeout`."""
        with self._lock:
            pending = set(self._pending)
        return not wait(pending, timeout).not_done if pending else True

    def close(self) -> None:
        """Finish the writes under way (a stopping producer keeps what it fetched)."""
        self.flush()
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)

    def prune(self, now: datetime | None = None) -> list[str]:
        """Delete the day folders whose whole KST day ended more than `retention_days` ago (0: keep
        everything); returns them, as paths relative to the root."""
        if self.retention_days <= 0:
            return []
        cutoff = ((now or datetime.now(UTC)) - timedelta(days=self.retention_days)).astimezone(KST).date().isoformat()
        removed = [day for day in self.store.day_folders() if day.rsplit("/", 1)[-1] < cutoff]
        for day in removed:
            self.store.delete_folder(day)
        if removed:
            log.info("raw_archive_pruned", root=self.root, days=len(removed), retention_days=self.retention_days)
        return removed


@dataclass
class _Page:
    page: int
    path: str
    fetched_at: datetime
    written: Future[None]


@dataclass
class RawRun:
    """The pages of one poll (one run, in the seed's words) as they are fetched, then its manifest."""

    archive: RawArchive | None  # None: the archive is off
    kind: RawKind
    recorder: PollRecorder
    poll_kind: str
    pages: list[_Page] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)

    def page(self, number: int, content: bytes, fetched_at: datetime) -> None:
        """Keep one answer body, exactly as received, gzipped."""
        archive = self.archive
        if archive is None:
            return
        day, hour, stamp = kst_stamp(fetched_at)
        key = f"{self.kind.folder}/{day}/{hour}/{self.kind.file_name(number, stamp)}"
        data = gzip.compress(content, compresslevel=6, mtime=0)
        written = archive.submit(lambda: archive.store.put(key, data))
        self.pages.append(_Page(number, key, fetched_at, written))

    def fail(self, error: str, *, page: int | None = None, app: int | None = None) -> None:
        """A page (or a Steam app) the poll counted as failed, with why."""
        if self.archive is None:
            return
        where: dict[str, Any] = {"app": app} if app is not None else {"page": page}
        self.failed.append({**where, "error": error[:300]})

    def close(self, manifest: PollManifest) -> None:
        """The poll's manifest was sent: write the run's manifest once its pages are written."""
        archive = self.archive
        if archive is None:
            return
        archive.submit(lambda: self._write_manifest(archive, manifest))

    def _write_manifest(self, archive: RawArchive, manifest: PollManifest) -> None:
        pages, failed = [], list(self.failed)
        for page in self.pages:
            error = page.written.exception()  # waits: pages were submitted before this
            if error is None:
                pages.append({"page": page.page, "path": page.path, "fetched_at": utc_iso(page.fetched_at)})
            else:
                log.warning("raw_page_not_archived", path=page.path, error=str(error))
                failed.append({"page": page.page, "error": f"not archived: {type(error).__name__}: {error}"[:300]})
        first = self.pages[0].fetched_at if self.pages else manifest.started_at
        day, hour, stamp = kst_stamp(first)
        key = f"{self.kind.folder}/{day}/{hour}/run_{self.poll_kind}_{stamp}.manifest.json"
        sent = json.loads(manifest.to_json())
        document = {
            "format": FORMAT,
            "poll_id": manifest.poll_id,
            "poll_kind": self.poll_kind,
            "source": sent["source"],
            "platform": sent["platform"],
            "record_kind": manifest.record_kind,
            "scheduled_at": utc_iso(manifest.scheduled_at),
            "started_at": utc_iso(manifest.started_at),
            "finished_at": utc_iso(manifest.finished_at),
            "interval_seconds": float(manifest.interval_seconds),
            "planned_pages": self.recorder.planned_pages,
            "pages": pages,
            "failed": failed,
            "manifest": sent,
        }
        try:
            archive.store.put(key, json.dumps(document, indent=2).encode())
        except Exception as exc:  # the pages stay; a reader can still import them by their names
            log.warning("raw_manifest_not_archived", path=key, error=str(exc))
