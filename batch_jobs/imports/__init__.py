"""`gst import`: past data into bronze and quarantine, then silver and gold by the backfill.

base.py      units, problems and the format interface
files.py     a local file or folder, or s3://bucket/prefix
seed.py      the seed pipeline's raw archive
jsonl.py     JSON-lines files of the project's own records
staging.py   units converted on every core (worker processes), as bronze rows
importer.py  idempotent commits, the progress bar, the backfill and the summary
"""

from enum import StrEnum


class FormatName(StrEnum):
    seed = "seed"
    jsonl = "jsonl"
