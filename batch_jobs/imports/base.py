"""What every import format shares: the files it reads, the units it makes of them, and the bad
files, lines and entries it sets aside for quarantine.

A *unit* is what one idempotent commit per lake table covers: a JSON-lines file, or one fetch run
of the seed archive (all its pages). Its id is `import-<sha256>` of its bytes, so the same data
imported again, from anywhere, is recognised and skipped.
"""

from __future__ import annotations

import base64
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from gamestream.core.contracts import RecordBase
from producers.sinks.base import Sink

MAX_QUARANTINE_PAYLOAD = 1024 * 1024  # what the stream's quarantine holds at most (Kinesis' record limit)
PARTIAL_RUNS_ACCEPTED = 0.05  # more partial fetch runs than this (or any that does not chain) fails an import


@dataclass(frozen=True)
class SourceFile:
    """A file to import: `uri` as the user would name it (a path, or s3://bucket/key)."""

    uri: str
    size: int


@dataclass(frozen=True)
class Problem:
    """A bad file (position 0), line or entry (its 1-based number), with the reason and what it held."""

    file: str
    position: int
    reason: str
    payload: str
    source: str = "unknown"


def payload_text(data: bytes | str) -> str:
    """What a quarantine row keeps of bad input: its text, base64 when it is not UTF-8, cut at 1 MiB."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        text = raw[:MAX_QUARANTINE_PAYLOAD].decode()
    except UnicodeDecodeError:
        text = "base64:" + base64.b64encode(raw[: MAX_QUARANTINE_PAYLOAD * 3 // 4]).decode()
    return text


@dataclass(frozen=True)
class ImportedRecord:
    """A valid record and where it came from (bronze keeps the file and position)."""

    file: str
    position: int
    record: RecordBase


@dataclass
class Run:
    """One fetch run of a paged archive as its files were found: what the import reports before it
    writes (pages per run, runs that do not chain) and after (the poll's coverage)."""

    kind: str
    start: datetime
    files: list[str]
    pages: int
    missing: list[int] = field(default_factory=list)  # page numbers below the run's last that are not there
    stamped: bool = True  # False: its clock is a folder's, not the file names'
    coverage: float | None = None  # the poll's, once converted

    @property
    def chains(self) -> bool:
        """Pages 1..N with none missing."""
        return not self.missing


@dataclass
class Unit:
    name: str
    digest: str
    files: int
    records: list[ImportedRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    run: Run | None = None  # the fetch run this unit is (paged formats)

    @property
    def app_id(self) -> str:
        """Delta's txnAppId for this unit's commits."""
        return f"import-{self.digest}"

    @property
    def polls(self) -> int:
        return sum(r.record.kind == "poll_manifest" for r in self.records)


def digest(parts: Sequence[bytes]) -> str:
    """sha256 of the parts (a single file: of its bytes)."""
    if len(parts) == 1:
        return hashlib.sha256(parts[0]).hexdigest()
    outer = hashlib.sha256()
    for part in parts:
        outer.update(hashlib.sha256(part).digest())
    return outer.hexdigest()


class Collected(Sink):
    """A sink that keeps what a poll emits, with the file and entry each record came from (set
    `origin` before emitting), so a fetch run goes through the pollers' own PollRecorder. One
    thread fills it (a unit is converted in one); its stats are brought up to date by `flush`,
    as counting each record under the stats' lock cost a tenth of converting it."""

    def __init__(self) -> None:
        super().__init__()
        self.origin: tuple[str, int] = ("", 0)
        self.records: list[ImportedRecord] = []

    def send(self, record: RecordBase) -> None:
        self.records.append(ImportedRecord(self.origin[0], self.origin[1], record))

    def flush(self, timeout: float | None = None) -> bool:
        fresh = len(self.records) - self.stats.accepted
        self.stats.add(accepted=fresh, delivered=fresh)
        return True

    def close(self, timeout: float | None = None) -> None:
        """Nothing to release."""


Reader = Callable[[SourceFile], bytes]


@dataclass(frozen=True)
class Plan:
    """The files of an import grouped into units (in time order), those not in the format, the fetch
    runs the units are (paged formats), and files read for context only (the seed's app names)."""

    units: list[list[SourceFile]]
    ignored: list[SourceFile]
    runs: list[Run] = field(default_factory=list)
    used: list[SourceFile] = field(default_factory=list)


class ImportFormat(ABC):
    """One kind of past data: which files it takes, and the records (and problems) a unit holds."""

    name: str
    description: str

    @abstractmethod
    def plan(self, files: Sequence[SourceFile]) -> Plan: ...

    @abstractmethod
    def fingerprint(self, files: Sequence[SourceFile], contents: Sequence[bytes]) -> str:
        """The digest a unit of these files has (its app id's), from their bytes alone: an import
        finds what it already holds without converting it."""

    @abstractmethod
    def convert(self, files: Sequence[SourceFile], read: Reader) -> Unit:
        """The unit of `files` (as `plan` grouped them); `read` fetches a file's bytes."""

    def notes(self) -> list[str]:
        """What the user should know about the planned import that no count shows."""
        return []
