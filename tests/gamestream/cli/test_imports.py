"""`gst import` as a user runs it: clear errors before anything starts, a summary at the end, and
a second import of the same file that adds nothing (a file of bad lines only: no Spark needed)."""

from tests.support.cli import run_gst
from tests.support.seed_archive import page_time, write_examples


def test_a_missing_path_or_an_unknown_format_is_a_clear_error(tmp_path):
    env = {"GST_DATA_DIR": str(tmp_path / "d")}
    missing = run_gst("import", str(tmp_path / "nowhere"), "--format", "seed", env=env, cwd=tmp_path, timeout=60)
    assert missing.returncode == 2 and f"no such file or folder: {tmp_path / 'nowhere'}" in missing.stdout
    unknown = run_gst("import", str(tmp_path), "--format", "xml", env=env, cwd=tmp_path, timeout=60)
    assert unknown.returncode == 2 and "Invalid value for '--format'" in unknown.stderr
    assert "'xml' is not one of 'seed', 'jsonl'" in " ".join(unknown.stderr.split())
    (tmp_path / "notes.txt").write_text("hello")
    wrong = run_gst("import", str(tmp_path), "--format", "jsonl", env=env, cwd=tmp_path, timeout=60)
    assert wrong.returncode == 2 and "none of them JSON-lines files" in wrong.stdout
    assert not (tmp_path / "d" / "lake").exists()


def test_the_summary_and_a_second_import_that_adds_nothing(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "stream_snapshot"}\nnot json\n')
    env = {"GST_DATA_DIR": str(tmp_path / "d")}
    first = run_gst("import", str(bad), "--format", "jsonl", env=env, cwd=tmp_path, timeout=120)
    assert first.returncode == 0, first.stderr
    lines = [" ".join(line.replace("│", " ").split()) for line in first.stdout.splitlines()]
    assert "files 1" in lines and "records 0" in lines and "quarantined 2" in lines
    assert "skipped: already imported 0 files" in lines
    second = run_gst("import", str(bad), "--format", "jsonl", env=env, cwd=tmp_path, timeout=120)
    lines = [" ".join(line.replace("│", " ").split()) for line in second.stdout.splitlines()]
    assert second.returncode == 0 and "quarantined 0" in lines and "skipped: already imported 1 files" in lines


def test_a_dry_run_reports_the_runs_and_doubts_without_writing(tmp_path):
    """Pages that do not chain (a run without its page 1) fail the import unless accepted; a dry run
    reads everything, says what it found and writes nothing (no Spark needed)."""
    examples = write_examples(tmp_path / "archive")
    env = {"GST_DATA_DIR": str(tmp_path / "d")}
    dry = run_gst("import", str(examples.root), "--format", "seed", "--dry-run", env=env, cwd=tmp_path, timeout=120)
    out = " ".join(dry.stdout.replace("│", " ").split())
    assert dry.returncode == 3, dry.stdout + dry.stderr
    assert "found 13 files in the seed format, 1 not in the format (left alone)" in out
    assert "seed_streams 4" in out and "seed_top_categories 1" in out and "seed_players 1" in out
    assert "(dry run: nothing written)" in out and "polls 6" in out
    assert "runs complete 33.3% of 6 (lowest coverage 50.00%; 1 do not chain)" in out
    assert "doubtful: 1 runs do not chain" in out and "doubtful: 4 of 6 runs are partial" in out
    assert "pages missing: 1" in out and f"fetch_streams_2_{examples.kst(page_time(examples.orphan, 2))}.json" in out
    assert "Steam's coverage cannot be known" in out
    assert not (tmp_path / "d" / "lake").exists()
    accepted = run_gst(
        "import",
        str(examples.root),
        "--format",
        "seed",
        "--dry-run",
        "--accept-partial",
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert not (tmp_path / "d" / "lake").exists()
