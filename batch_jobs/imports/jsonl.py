"""JSON-lines files of the project's own records (gamestream/core/contracts.py), one record a line:
what `gst replay` would send, exported or kept elsewhere. Each line is validated with the contract
and kept in its canonical form; a line the contract refuses goes to quarantine with its number."""

from __future__ import annotations

import json
from collections.abc import Sequence

from batch_jobs.imports.base import (
    ImportedRecord,
    ImportFormat,
    Plan,
    Problem,
    Reader,
    SourceFile,
    Unit,
    digest,
    payload_text,
)
from gamestream.core.contracts import ContractError, parse_record

SUFFIXES = (".jsonl", ".ndjson")


class JsonLines(ImportFormat):
    name = "jsonl"
    description = (
        "JSON-lines files of the project's records (*.jsonl, *.ndjson; a file named alone is read whatever its name)"
    )

    def __init__(self, single_file: bool = False):
        self.single_file = single_file

    def plan(self, files: Sequence[SourceFile]) -> Plan:
        taken = [f for f in files if self.single_file or f.uri.endswith(SUFFIXES)]
        return Plan([[f] for f in taken], [f for f in files if f not in taken])

    def fingerprint(self, files: Sequence[SourceFile], contents: Sequence[bytes]) -> str:
        return digest([contents[0]])

    def convert(self, files: Sequence[SourceFile], read: Reader) -> Unit:
        (file,) = files
        data = read(file)
        unit = Unit(file.uri, self.fingerprint(files, [data]), 1)
        for number, line in enumerate(data.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = parse_record(line)
            except ContractError as exc:
                unit.problems.append(Problem(file.uri, number, str(exc), payload_text(line), _source(line)))
                continue
            unit.records.append(ImportedRecord(file.uri, number, record))
        if not unit.records and not unit.problems:  # most likely a failed upload: say so
            unit.problems.append(Problem(file.uri, 0, "no records: the file is empty", ""))
        return unit


def _source(line: bytes) -> str:
    """The line's source when it names a known one, as bronze would file it."""
    try:
        found = json.loads(line).get("source")
    except (ValueError, AttributeError):
        return "unknown"
    return found if found in ("steam", "twitch", "youtube", "synthetic") else "unknown"
