"""The packaged dbt project and its digest (gold built by other SQL is rebuilt from all of silver)."""

from __future__ import annotations

import hashlib
from importlib.resources import files
from importlib.resources.abc import Traversable


def project() -> Traversable:
    """The packaged dbt project directory."""
    return files("warehouse_sql")


def project_digest() -> str:
    """A digest of the dbt project's SQL and YAML: gold built by other SQL is rebuilt."""
    digest = hashlib.sha256()

    def walk(folder: Traversable, prefix: str) -> None:
        for item in sorted(folder.iterdir(), key=lambda i: i.name):
            if item.is_dir():
                walk(item, f"{prefix}{item.name}/")
            elif item.name.endswith((".sql", ".yml")):
                digest.update(f"{prefix}{item.name}\0".encode())
                digest.update(item.read_bytes())

    walk(project(), "")
    return digest.hexdigest()[:16]
