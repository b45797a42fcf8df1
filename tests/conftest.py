"""Shared fixtures: one embedded stack per test session, the machine's services by settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gamestream.embedded import EmbeddedStack, embedded_stack
from gamestream.settings import Settings


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    with embedded_stack(tmp_path_factory.mktemp("gst"), Settings(_env_file=None)) as running:
        yield running


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No GST_* variables from the caller's shell and no .env in the working directory."""
    import os

    for name in list(os.environ):
        if name.startswith("GST_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path
