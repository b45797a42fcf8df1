"""What an import found, wrote and doubted, and the summary and exit status it gives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from batch_jobs.backfill import BackfillReport
from batch_jobs.imports.base import PARTIAL_RUNS_ACCEPTED, Run

WORST_RUNS_SHOWN = 5


@dataclass
class ImportReport:
    run_id: str
    location: str
    format: str
    files: int = 0  # files of the format
    ignored: int = 0  # files under the location that are not in the format
    units: int = 0  # units committed (to bronze, quarantine or both)
    polls: int = 0
    records: int = 0
    quarantined: int = 0
    skipped_files: int = 0  # already imported
    failed: list[str] = field(default_factory=list)  # files not read or not converted: left for the next import
    observed: tuple[datetime, datetime] | None = None  # the imported records' observation times
    backfill: BackfillReport | None = None
    dry_run: bool = False
    runs: list[Run] = field(default_factory=list)  # fetch runs found (paged formats), with coverage once converted
    notes: list[str] = field(default_factory=list)
    used: int = 0  # files read for context (the seed's app names)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage: plan, convert, write, backfill
    workers: int = 1  # processes that converted the files

    @property
    def converted_runs(self) -> list[Run]:
        return [run for run in self.runs if run.coverage is not None]

    @property
    def partial_runs(self) -> list[Run]:
        return [run for run in self.converted_runs if run.coverage is not None and run.coverage < 1]

    @property
    def unchained_runs(self) -> list[Run]:
        """Runs converted by this import whose pages do not chain."""
        return [run for run in self.converted_runs if not run.chains]

    @property
    def complete_share(self) -> float | None:
        """The share of converted runs (polls) whose coverage is whole."""
        done = self.converted_runs
        return 1 - len(self.partial_runs) / len(done) if done else None

    @property
    def lowest_coverage(self) -> float | None:
        return min((run.coverage for run in self.converted_runs if run.coverage is not None), default=None)

    @property
    def doubts(self) -> list[str]:
        """Why the import should not be trusted as is (empty: nothing to doubt)."""
        found = []
        runs = self.converted_runs
        if runs and len(self.partial_runs) > PARTIAL_RUNS_ACCEPTED * len(runs):
            found.append(
                f"{len(self.partial_runs)} of {len(runs)} runs are partial "
                f"(more than {PARTIAL_RUNS_ACCEPTED:.0%}): their polls cover less than the whole listing"
            )
        if self.unchained_runs:
            found.append(
                f"{len(self.unchained_runs)} runs do not chain (a page 1 or a middle page is not in the archive)"
            )
        return found

    def worst_runs(self, count: int = WORST_RUNS_SHOWN) -> list[Run]:
        """The runs to look at first: those that do not chain, then the lowest coverage."""
        doubtful = [run for run in self.runs if not run.chains or (run.coverage is not None and run.coverage < 1)]
        return sorted(doubtful, key=lambda run: (run.chains, run.coverage or 0.0, run.start))[:count]


def add_time(report: ImportReport, stage: str, seconds: float) -> None:
    report.timings[stage] = report.timings.get(stage, 0.0) + seconds
