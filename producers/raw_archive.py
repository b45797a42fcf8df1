"""Our own raw archive: every page the Twitch and Steam pollers fetch, kept as the platform sent it,
in the seed pipeline's layout (gamestream/core/raw_area.py), so that a parser bug found later is fixed
by re-importing the pages (`gst import --format seed LAKE/raw`) instead of being lost with the records
it spoiled.

A page is the gzip of the answer's body exactly as received; a Steam players poll keeps one combined
file holding the parsed answer of every app that answered. The run's manifest, written when the poll
closes, lists its pages in fetch order, what failed (a page, or a Steam app), and the PollManifest
record the poller sent. YouTube is not archived: the seed's layout has no kind for it.

Writes run on a few background threads, so a slow S3 never slows a poll (at most MAX_PENDING
writes wait; past that a page waits for room); a page that cannot be written is logged and listed
as failed in its run's manifest; the poll itself never fails for the archive.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from gamestream.core.aws import aws_client
from gamestream.core.contracts import PollManifest
from gamestream.core.raw_area import FORMAT, RawKind, Store, kst_stamp, open_store, raw_root, utc_iso
from gamestream.core.settings import Settings
from producers.poll_loop import PollRecorder

log = structlog.get_logger(__name__)
WRITERS = 4
MAX_PENDING = 1000


class RawArchive:
    """Pages to the archive under `root` (a folder or s3://bucket/prefix): `run` per poll,
    `flush`/`close` to wait for the writes. Disabled: runs write nothing."""

    def __init__(
        self,
        root: str,
        *,
        enabled: bool = True,
        s3_client: Callable[[], Any] | None = None,
        writers: int = WRITERS,
        max_pending: int = MAX_PENDING,
    ):
        self.root, self.enabled = root, enabled
        self.store: Store = open_store(root, s3_client)
        self.writers = writers
        self._executor: ThreadPoolExecutor | None = None
        self._room = threading.BoundedSemaphore(max_pending)
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> RawArchive:
        return cls(raw_root(settings), enabled=settings.raw_archive, s3_client=lambda: aws_client(settings, "s3"))

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
