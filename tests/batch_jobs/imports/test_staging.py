"""Units converted in worker processes come back exactly as converted inline, in plan order; a
re-import that finds every unit in bronze converts nothing and starts no worker."""

import multiprocessing
from datetime import UTC, datetime

import pyarrow as pa
import pytest
from deltalake import CommitProperties, Transaction, write_deltalake

from batch_jobs.imports.base import SourceFile
from batch_jobs.imports.files import Files
from batch_jobs.imports.seed import SeedArchive
from batch_jobs.imports.staging import PARALLEL_FROM_BYTES, Skipped, Staged, UnitConverter, converted, workers_for
from gamestream.core import lake as L
from gamestream.core.settings import Settings
from tests.support.seed_archive import helix_stream, write_examples, write_helix_run


@pytest.fixture
def settings(tmp_path):
    return Settings(_env_file=None, data_dir=tmp_path / "data")


@pytest.fixture
def archive(tmp_path):
    root = tmp_path / "archive"
    write_examples(root)
    for run in range(3):
        at = datetime(2025, 1, 2, 3 + 4 * run, 0, 7, tzinfo=UTC)
        pages = [[helix_stream(run * 1000 + p * 100 + i, "Dota 2", 10 + i) for i in range(100)] for p in range(3)]
        write_helix_run(root, "streams", at, pages)
    return root


def outcomes(root, settings, workers):
    form = SeedArchive()
    plan = form.plan(Files(str(root), settings).find())
    return plan, [outcome for outcome, _ in converted(UnitConverter(form, str(root), settings), plan.units, workers)]


def test_workers_convert_exactly_what_one_process_does(archive, settings):
    plan, inline = outcomes(archive, settings, 1)
    _, pooled = outcomes(archive, settings, 2)
    assert len(inline) == len(pooled) == len(plan.units) > 4
    assert all(isinstance(o, Staged) for o in inline)
    for one, other in zip(inline, pooled, strict=True):
        assert (one.app_id, one.files, one.records, one.polls, one.observed) == (
            other.app_id,
            other.files,
            other.records,
            other.polls,
            other.observed,
        )
        assert one.rows.equals(other.rows) and one.problems == other.problems and one.run == other.run
    assert sum(o.records for o in pooled) > 900 and any(o.problems for o in pooled)


def test_a_reimport_skips_every_unit_unconverted_and_starts_no_worker(archive, settings):
    form = SeedArchive()
    plan = form.plan(Files(str(archive), settings).find())
    lake = L.Lake(settings.lake_path)
    converter = UnitConverter(form, str(archive), settings)
    # bronze holds every unit: its app ids, as the importer's commits record them
    staged = [converter(group) for group in plan.units]
    write_deltalake(
        lake.path(L.BRONZE),
        pa.table({"x": [1]}),
        commit_properties=CommitProperties(app_transactions=[Transaction(app_id=s.app_id, version=0) for s in staged]),
    )
    seen_children = []
    again = []
    for outcome, _ in converted(UnitConverter(form, str(archive), settings), plan.units, 2):
        seen_children.append(len(multiprocessing.active_children()))
        again.append(outcome)
    assert [type(o) for o in again] == [Skipped] * len(plan.units)
    assert sum(o.files for o in again) == sum(len(group) for group in plan.units)
    assert seen_children == [0] * len(plan.units)


def test_a_large_import_takes_a_worker_per_core_unless_told(settings, tmp_path):
    small = [[SourceFile(str(tmp_path / "a"), 1_000)]]
    large = [[SourceFile(str(tmp_path / "b"), PARALLEL_FROM_BYTES + 1)]]
    assert workers_for(settings.model_copy(update={"import_workers": 0}), small) == 1
    assert workers_for(settings.model_copy(update={"import_workers": 0}), large) == (multiprocessing.cpu_count() or 1)
    assert workers_for(settings.model_copy(update={"import_workers": 3}), small) == 3
