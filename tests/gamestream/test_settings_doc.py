"""docs/operations.md's settings table is the one `Settings` writes, and every GST_ variable the
docs name is a setting."""

import re
import subprocess
import sys
from pathlib import Path

from gamestream.core.settings import Settings
from gamestream.settings_doc import documented, settings_table

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_the_operations_doc_holds_the_table_the_settings_write():
    held = documented((ROOT / "docs" / "operations.md").read_text())
    assert held is not None, "docs/operations.md lost the settings table's markers"
    assert held == settings_table(), "the settings table is stale: paste the output of `gst settings --markdown`"
    assert all(f"`GST_{name.upper()}`" in held for name in Settings.model_fields)


def test_gst_settings_markdown_prints_the_table():
    out = subprocess.run(
        [sys.executable, "-m", "gamestream", "settings", "--markdown"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == settings_table()


VARIABLE = re.compile(r"\bGST_[A-Z0-9_]*[A-Z0-9]\b")


def test_every_variable_the_docs_name_is_a_setting_or_read_by_our_code():
    """Besides settings, the docs may name the variables dbt's profile and the test suite read."""
    known = {f"GST_{name.upper()}" for name in Settings.model_fields}
    code = [p for d in ("batch_jobs", "tests") for p in (ROOT / d).rglob("*.py")]
    read = {name for path in code for name in VARIABLE.findall(path.read_text())}
    for doc in DOCS:
        unknown = set(VARIABLE.findall(doc.read_text())) - known - read
        assert unknown == set(), f"{doc.name} names variables that no setting and no code knows"
