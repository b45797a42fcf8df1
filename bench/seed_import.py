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
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from batch_jobs.imports.importer import run_import  # noqa: E402
from gamestream.core.catalog import categories, steam_apps  # noqa: E402
from gamestream.core.settings import Settings  # noqa: E402
from gamestream.core.warehouse import Warehouse  # noqa: E402
from streaming_jobs.games import identify  # noqa: E402
from tests.support.seed_archive import (  # noqa: E402
    KST,
    RUN_HOURS_KST,
    Month,
    RunTruth,
    helix_stream,
    players,
    write_helix_run,
    write_players_run,
)

STEAM_FAILED = 0.03  # the share of app requests that failed: the seed left those apps out of its file


def write_archive(root: Path, days: int, pages: int, per_page: int, seed: int = 7) -> tuple[int, Month]:
    """The seed's archive for the first `days` days of January 2025 (UTC): the files written, and
    what each run held (the writer's own account, for the independent figures)."""
    rng = random.Random(seed)
    games = [category.name for category in categories()][:200]
    apps = {app_id: name for app_id, name in sorted(steam_apps().values())[:200]}
    start = datetime(2025, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=days)
    runs: list[RunTruth] = []
    steam: list[tuple[datetime, dict[str, int]]] = []
    files = 0
    stream_id = 1
    fired = start.astimezone(KST).replace(hour=0)
    while fired < end:
        if fired.hour in RUN_HOURS_KST and fired >= start:
            at = fired + timedelta(seconds=rng.randint(1, 40))
            truth = RunTruth(at)
            listing = []
            for _ in range(pages):
                page = []
                for _ in range(per_page):
                    rank = min(int(rng.paretovariate(1.2)) - 1, len(games) - 1)
                    viewers = rng.randint(1, 20_000 // (rank + 1))
                    page.append(helix_stream(stream_id, games[rank], viewers))
                    truth.add(identify(games[rank]).key, viewers)  # gold's game: names may share a key
                    stream_id += 1
                listing.append(page)
            files += len(write_helix_run(root, "streams", at, listing, listing_goes_on=True))
            runs.append(truth)
            top = [
                [
                    {"id": str(i), "name": g, "box_art_url": "", "igdb_id": ""}
                    for i, g in enumerate(games[k : k + 100], start=k)
                ]
                for k in (0, 100)
            ]
            files += len(write_helix_run(root, "top_categories", at + timedelta(seconds=3), top, listing_goes_on=True))
            answered = {app: rng.randint(0, 500_000) for app in apps if rng.random() >= STEAM_FAILED}
            write_players_run(
                root, at + timedelta(seconds=30), {app: players(count) for app, count in answered.items()}
            )
            steam.append((at + timedelta(seconds=30), {identify(apps[app]).key: c for app, c in answered.items()}))
            files += 1
        fired += timedelta(hours=1)
    return files, Month(start, end, runs, steam, sum(sum(r.channels.values()) for r in runs), files)


def compare(settings: Settings, month: Month, shown: int = 3) -> dict[str, float]:
    """The largest relative difference, per figure, between gold's month and the writer's own account;
    prints both accounts of the `shown` games with the most viewers or players on each platform."""
    warehouse = Warehouse(settings.warehouse)
    worst: dict[str, float] = {}
    try:
        for platform, expected in (("twitch", month.twitch()), ("steam", month.steam())):
            names = list(next(iter(expected.values())))
            rows = warehouse.rows(
                f"SELECT game_key, {', '.join(names)} FROM gold.game_months WHERE platform = :p AND month_start = :m",
                {"p": platform, "m": month.start},
            )
            found = {row["game_key"]: row for row in rows}
            for game, figures in sorted(expected.items(), key=lambda item: -next(iter(item[1].values())))[:shown]:
                row = found.get(identify(game).key) or {}
                print(
                    f"  {platform} {game}: "
                    + ", ".join(
                        f"{name} {float(row.get(name, 'nan')):,.2f} (writer {want:,.2f})"
                        for name, want in figures.items()
                    )
                )
            for game, figures in expected.items():
                row = found.get(identify(game).key)
                for name, want in figures.items():
                    got = row[name] if row else None
                    error = abs(got - want) / abs(want) if got is not None and want else (0.0 if got == want else 1.0)
                    worst[f"{platform}_{name}"] = max(worst.get(f"{platform}_{name}", 0.0), error)
    finally:
        warehouse.close()
    return worst


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
        files, month = write_archive(archive, args.days, args.pages, args.per_page)
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
        kinds = Counter(run.kind for run in report.runs)
        print(
            f"  runs found {len(report.runs)} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}); "
            f"complete {report.complete_share:.1%}, lowest coverage {report.lowest_coverage}, "
            f"doubts {report.doubts or 'none'}"
        )
        worst = compare(settings, month) if not args.no_gold else {}
        for figure, error in worst.items():
            print(f"  {figure:<22} largest difference from the writer's own figures: {error:.6%}")
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
            + f" reimport_s={reimport_s:.1f} worst_relative_error={max(worst.values(), default=0.0):.2e}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
