"""`gst import`: past data into bronze and quarantine, then silver and gold by the backfill.

base.py         units, problems and the format interface
files.py        a local file or folder, or s3://bucket/prefix
seed_layout.py  the seed pipeline's raw archive as its scripts laid it out: fetch runs and pages
seed.py         the seed archive's runs as polls
jsonl.py        JSON-lines files of the project's own records
staging.py      units converted on every core (worker processes), as bronze rows
chunk_writer.py idempotent commits to bronze and quarantine, in chunks
report.py       what an import found, wrote and doubted, and its summary
importer.py     plan, convert, commit, the progress bar and the backfill
"""

from enum import StrEnum


class FormatName(StrEnum):
    seed = "seed"
    jsonl = "jsonl"
