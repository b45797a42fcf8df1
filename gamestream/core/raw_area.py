"""The lake's raw area: where the Twitch and Steam pollers keep every page they fetch, in the seed
pipeline's layout and naming, and how old days are pruned. The pollers write it
(producers/raw_archive.py), lake upkeep prunes it, `gst import --format seed` reads it.

    raw/twitch/streams/{YYYY-MM-DD}/{HH}/fetch_streams_{page}_{YYYY-MM-DD_HH-MM-SS}.json.gz          Helix /streams
    raw/twitch/top_categories/{YYYY-MM-DD}/{HH}/fetch_top_categories_{page}_{stamp}.json.gz         Helix /games/top
    raw/steam/players/{YYYY-MM-DD}/{HH}/combined_players_{stamp}.json.gz   {"<appid>": GetNumberOfCurrentPlayers answer}
    {folder of page 1}/run_{poll_kind}_{stamp of page 1}.manifest.json       one per poll, plain JSON

As in the seed, a page's day and hour folders and its stamp are the moment it was fetched (the
poller's clock) in KST (UTC+9). Day folders older than the retention are deleted by `RawArea.prune`
(run by the lake's upkeep); on AWS an S3 lifecycle rule expires the same prefix (infra/).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import structlog

from gamestream.core.aws import aws_client
from gamestream.core.settings import Settings

log = structlog.get_logger(__name__)
KST = timezone(timedelta(hours=9), "KST")
FORMAT = "gst-raw-archive/1"
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


def open_store(root: str, s3_client: Callable[[], Any] | None = None) -> Store:
    """The store under `root`: a folder, or s3://bucket/prefix through `s3_client`."""
    if root.startswith("s3://"):
        if s3_client is None:
            raise ValueError(f"{root}: an S3 root needs an S3 client")
        return S3Store(root, s3_client)
    return LocalStore(root)


class RawArea:
    """The raw area under `root` as upkeep sees it: day folders, and `prune` for the retention."""

    def __init__(self, root: str, retention_days: int = 0, s3_client: Callable[[], Any] | None = None):
        self.root, self.retention_days = root, retention_days
        self.store = open_store(root, s3_client)

    @classmethod
    def from_settings(cls, settings: Settings) -> RawArea:
        return cls(raw_root(settings), settings.raw_retention_days, lambda: aws_client(settings, "s3"))

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
