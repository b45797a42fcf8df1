"""The dbt project a load builds, and which gold it builds: a warehouse built for another is rebuilt.

The load state records the project's tag, `gold-v<gold_version>` (var gold_version in
dbt_project.yml). A load whose state names another tag stages all of silver and builds with
`--full-refresh`; a reshaped project that builds the same rows keeps its version, so existing
warehouses load on incrementally and keep their slugs. Loaders from before gold_version recorded a
digest of the project's files instead; the digests of the projects that built version 1 are known
(LEGACY_DIGESTS), so warehouses they built load on too. `warehouse_sql/gold.lock` records the
digest of the project at the last decision about its version, and a test fails when the project
changes without one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from batch_jobs.dbt import project_dir
from gamestream.core.gold_vocabulary import GOLD_VERSION

# digests that loaders before gold_version recorded, with the tag of the gold their project built
LEGACY_DIGESTS = {"fd3e040b5c2a611d": "gold-v1"}


def project_digest(folder: Path) -> str:
    """A digest of a dbt project's SQL and YAML files (names and bytes)."""
    digest = hashlib.sha256()

    def walk(directory: Path, prefix: str) -> None:
        for item in sorted(directory.iterdir(), key=lambda i: i.name):
            if item.is_dir():
                walk(item, f"{prefix}{item.name}/")
            elif item.name.endswith((".sql", ".yml")):
                digest.update(f"{prefix}{item.name}\0".encode())
                digest.update(item.read_bytes())

    walk(folder, "")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class GoldProject:
    """A dbt project directory and the tag of the gold it builds, as the load state records it."""

    path: Path
    tag: str

    @classmethod
    def packaged(cls) -> GoldProject:
        """The project shipped in the `warehouse_sql` package."""
        return cls(project_dir(), f"gold-v{GOLD_VERSION}")

    def silver_tables(self) -> set[str]:
        """The silver tables the project reads (its `silver` source's tables, as staged): the
        loader stages only these, so a table a newer project reads first is staged from its start."""
        names: set[str] = set()
        for declared in (self.path / "models").rglob("*.yml"):
            for source in (yaml.safe_load(declared.read_text()) or {}).get("sources") or []:
                if source.get("name") == "silver":
                    names.update(table["name"] for table in source.get("tables") or [])
        return names

    def built(self, recorded: str | None) -> bool:
        """Whether gold whose load state records `recorded` is the gold this project builds."""
        return recorded is not None and self.tag in (recorded, LEGACY_DIGESTS.get(recorded))
