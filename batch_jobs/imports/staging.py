"""Units converted on every core: each is read, fingerprinted, converted and turned into bronze's
own columns where it is converted, so a worker process hands the importer an Arrow table and a few
counts rather than a record object per entry (pickling those would cost about half of converting
them). Reading, parsing and validating each record with its contract is the import's Python half;
on two cores two workers about halve it.

An import converts in worker processes (`spawn`: the importer may run a JVM thread beside them)
when it has more than `PARALLEL_FROM_BYTES` to read and `GST_IMPORT_WORKERS` is not 1; a small
import converts inline, as starting a worker costs more than it saves. It checks units inline until
one needs converting, so a re-import that adds nothing starts no worker. Either way the same
`UnitConverter` does the work and the outcomes come back in plan order, so what is committed does
not depend on where it was converted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing import get_context
from typing import Any

import pyarrow as pa
import structlog
from botocore.exceptions import BotoCoreError, ClientError
from deltalake import DeltaTable

from batch_jobs.imports.base import ImportFormat, Problem, Run, SourceFile, Unit
from batch_jobs.imports.files import Files
from gamestream.core import lake as L
from gamestream.core.settings import Settings

log = structlog.get_logger(__name__)
PARALLEL_FROM_BYTES = 64 * 2**20  # about 4 s of converting on one core: more than two workers take to start
ROW_SCHEMA = pa.schema(  # bronze's columns that differ per record (the importer adds those set at commit)
    [
        ("shard_id", pa.string()),
        ("sequence_number", pa.string()),
        ("partition_key", pa.string()),
        ("data", pa.binary()),
        ("payload", pa.string()),
        ("source", pa.string()),
    ]
)


@dataclass
class Staged:
    """A converted unit as the importer commits it."""

    app_id: str
    files: int
    records: int
    polls: int
    rows: pa.Table  # ROW_SCHEMA, one row per record
    problems: list[Problem] = field(default_factory=list)
    run: Run | None = None  # the fetch run, with its coverage (paged formats)
    observed: tuple[datetime, datetime] | None = None  # the records' first and last observation


@dataclass(frozen=True)
class Skipped:
    """A unit bronze held before the import began: found by its bytes alone, not converted."""

    files: int


@dataclass(frozen=True)
class Failed:
    """A unit that could not be read (`unreadable`) or converted: left for the next import."""

    reason: str
    unreadable: bool


Outcome = Staged | Skipped | Failed


def stage(unit: Unit) -> Staged:
    """The unit with its records as bronze's per-record columns."""
    records = unit.records
    payload = pa.array([r.record.to_json() for r in records], pa.string())
    rows = pa.table(
        {
            "shard_id": pa.array([r.file for r in records], pa.string()),
            "sequence_number": pa.array([str(r.position) for r in records], pa.string()),
            "partition_key": pa.array([r.record.entity_id for r in records], pa.string()),
            "data": payload.cast(pa.binary()),  # the same UTF-8 bytes: no copy per record
            "payload": payload,
            "source": pa.array([str(r.record.source) for r in records], pa.string()),
        },
        schema=ROW_SCHEMA,
    )
    times = [r.record.observed_at for r in records]
    return Staged(
        unit.app_id,
        unit.files,
        len(records),
        unit.polls,
        rows,
        unit.problems,
        unit.run,
        (min(times), max(times)) if times else None,
    )


class UnitConverter:
    """Everything converting a unit needs, picklable for a worker: the planned format, where the
    files are, and the lake whose bronze app ids say what an earlier import already wrote."""

    def __init__(self, form: ImportFormat, location: str, settings: Settings):
        self.form, self.location, self.settings = form, location, settings
        self._files: Files | None = None
        self._held: DeltaTable | None | bool = False  # False: not opened yet

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_files": None, "_held": False}  # clients and tables are per process

    def __call__(self, group: Sequence[SourceFile]) -> Outcome:
        try:
            contents = {file.uri: self._read(file) for file in group}
            if self._imported(self.form.fingerprint(group, list(contents.values()))):
                return Skipped(len(group))
            unit = self.form.convert(
                group, lambda file: contents[file.uri] if file.uri in contents else self._read(file)
            )
            return stage(unit)
        except (OSError, ClientError, BotoCoreError) as exc:
            return Failed(str(exc), unreadable=True)
        except Exception as exc:  # a file this code cannot handle must not stop the import
            log.exception("import_unit_failed", file=group[0].uri)
            return Failed(f"{group[0].uri}: {type(exc).__name__}: {exc}", unreadable=False)

    def _read(self, file: SourceFile) -> bytes:
        if self._files is None:
            self._files = Files(self.location, self.settings)
        try:
            return self._files.read(file)
        except (OSError, ClientError, BotoCoreError) as exc:
            raise OSError(f"{file.uri}: {exc}") from None

    def _imported(self, fingerprint: str) -> bool:
        if self._held is False:  # as the import began: a unit it commits itself is caught at commit
            self._held = L.Lake(self.settings.lake_path).table(L.BRONZE)
        held = self._held
        return isinstance(held, DeltaTable) and held.transaction_version(f"import-{fingerprint}") is not None


def workers_for(settings: Settings, groups: Sequence[Sequence[SourceFile]]) -> int:
    """How many processes convert: `import_workers` when set, else one per core for a large import."""
    if settings.import_workers:
        return settings.import_workers
    size = sum(file.size for group in groups for file in group)
    return (os.cpu_count() or 1) if size > PARALLEL_FROM_BYTES else 1


def converted(
    converter: UnitConverter, groups: Sequence[Sequence[SourceFile]], workers: int
) -> Iterator[tuple[Outcome, float]]:
    """Each group's outcome in plan order, with the seconds the importer waited for it. Inline until
    a unit is converted, so a re-import that skips every unit starts no worker."""
    remaining = iter(groups)
    for group in remaining:
        began = time.perf_counter()
        outcome = converter(group)
        yield outcome, time.perf_counter() - began
        if isinstance(outcome, Staged) and workers > 1:
            break
    rest = list(remaining)
    if not rest:
        return
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_install, initargs=(converter,)
    ) as pool:
        results = pool.map(_convert, rest)
        while True:
            began = time.perf_counter()
            try:
                outcome = next(results)
            except StopIteration:
                return
            yield outcome, time.perf_counter() - began


_installed: UnitConverter | None = None  # a worker's converter, sent once (the plan can be large)


def _install(converter: UnitConverter) -> None:
    global _installed
    _installed = converter


def _convert(group: Sequence[SourceFile]) -> Outcome:
    assert _installed is not None, "the pool's initializer installs the converter"
    return _installed(group)
