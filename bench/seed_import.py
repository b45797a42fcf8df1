"""`gst import` of the seed pipeline's raw archive at the seed's real scale, written the way its
scripts write it (tests/support/seed_archive.py: pages named by the moment each was saved, KST):
every 4 hours a Twitch streams run of 100 pages of 100 streams, a top-categories run of 2 pages,
and a Steam players file of 200 apps, over a month.

Prints, in one invocation: the plain read of the same files (read + json.loads every page: the
floor any import pays), the import's records per second split by stage (read and convert, bronze
commits, the backfill into silver and gold), its ratio to the plain read, and the time a second
import of the same files takes to add nothing. Target: ≥ 10,000 records/s, re-import ≤ 10 s.

    .venv/bin/python bench/seed_import.py              # a month (31 days)
    .venv/bin/python bench/seed_import.py --days 3     # quicker
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from batch_jobs.imports.importer import run_import  # noqa: E402
from gamestream.settings import Settings  # noqa: E402
from producers.catalog import categories, steam_apps  # noqa: E402
from tests.support.seed_archive import (  # noqa: E402
    KST,
    RUN_HOURS_KST,
    helix_stream,
    players,
    write_helix_run,
    write_players_run,
)


def write_archive(root: Path, days: int, pages: int, per_page: int, seed: int = 7) -> int:
    """The seed's archive for `days` days from 2025-01-01 (KST); returns the files written."""
    rng = random.Random(seed)
    games = [category.name for category in categories()][:200]
    apps = sorted(app_id for app_id, _ in steam_apps().values())[:200]
    start = datetime(2025, 1, 1, tzinfo=KST)
    files = 0
    stream_id = 1
    for day in range(days):
        for hour in RUN_HOURS_KST:
            fired = (start + timedelta(days=day, hours=hour, seconds=rng.randint(1, 40))).astimezone(UTC)
            listing = []
            for _ in range(pages):
                page = []
                for _ in range(per_page):
                    rank = min(int(rng.paretovariate(1.2)) - 1, len(games) - 1)
                    page.append(helix_stream(stream_id, games[rank], rng.randint(1, 20_000 // (rank + 1))))
                    stream_id += 1
                listing.append(page)
            files += len(write_helix_run(root, "streams", fired, listing, listing_goes_on=True))
            top = [
                [{"id": str(i), "name": g, "box_art_url": "", "igdb_id": ""} for i, g in enumerate(games[k : k + 100])]
                for k in (0, 100)
            ]
            files += len(
                write_helix_run(root, "top_categories", fired + timedelta(seconds=3), top, listing_goes_on=True)
            )
            write_players_run(
                root, fired + timedelta(seconds=30), {app: players(rng.randint(0, 500_000)) for app in apps}
            )
            files += 1
    return files


def plain_read(root: Path) -> tuple[int, float]:
    """Read and parse every page: (entries, seconds)."""
    began = time.perf_counter()
    entries = 0
    for path in sorted(root.rglob("*.json")):
        body = json.loads(path.read_bytes())
        entries += len(body["data"]) if isinstance(body, dict) and "data" in body else len(body)
    return entries, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--no-gold", action="store_true", help="stop after silver")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gst-bench-seed-"))
    try:
        archive = work / "archive"
        began = time.perf_counter()
        files = write_archive(archive, args.days, args.pages, args.per_page)
        print(
            f"wrote {files} files ({sum(p.stat().st_size for p in archive.rglob('*')) / 1e6:.0f} MB) in {time.perf_counter() - began:.1f} s"
        )
        entries, read_s = plain_read(archive)
        print(f"plain read: {entries} entries in {read_s:.1f} s = {entries / read_s:,.0f} entries/s")

        from streaming_jobs.spark import local_spark

        settings = Settings(
            _env_file=None, data_dir=work / "data", warehouse_url=f"duckdb:///{work / 'warehouse.duckdb'}"
        )
        session = None

        def spark():
            nonlocal session
            session = session or local_spark("gst-bench-seed")
            return session

        began = time.perf_counter()
        report = run_import(settings, str(archive), "seed", spark, load_gold=not args.no_gold, show_progress=False)
        total_s = time.perf_counter() - began
        rate = report.records / total_s
        print(
            f"import: {report.records} records, {report.polls} polls, {report.quarantined} quarantined in {total_s:.1f} s = {rate:,.0f} records/s"
        )
        stages = dict(report.timings)
        if report.backfill is not None:  # the backfill's own split replaces its total
            stages.pop("backfill", None)
            stages.update({f"backfill_{stage}": seconds for stage, seconds in report.backfill.timings.items()})
        for stage, seconds in stages.items():
            print(
                f"  {stage:<10} {seconds:7.1f} s  {report.records / seconds if seconds else float('inf'):>12,.0f} records/s"
            )
        print(
            f"  runs complete {report.complete_share:.1%}, lowest coverage {report.lowest_coverage}, doubts {report.doubts or 'none'}"
        )
        began = time.perf_counter()
        again = run_import(settings, str(archive), "seed", spark, load_gold=not args.no_gold, show_progress=False)
        reimport_s = time.perf_counter() - began
        print(f"re-import: {again.records} records added, {again.skipped_files} files skipped in {reimport_s:.1f} s")
        if session is not None:
            session.stop()
        print(
            f"records={report.records} import_records_per_s={rate:.0f} plain_read_entries_per_s={entries / read_s:.0f} "
            f"ratio_to_plain_read={rate / (entries / read_s):.3f} "
            + " ".join(f"{stage}_s={seconds:.1f}" for stage, seconds in stages.items())
            + f" reimport_s={reimport_s:.1f}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
