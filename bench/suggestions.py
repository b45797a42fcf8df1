"""Unknown-game suggestions benchmark (prints figures; not a test).

A 404 for an unknown game suggests the closest game keys (realtime_api/queries/games.py, close_keys).
This times close_keys over N game keys (default 50,000: words drawn like game names) for misspelt
queries, against difflib.get_close_matches (what it used before) in the same run, and how often both
put the same key first. Target: p95 at most 25 ms at 50,000 games.

Run: .venv/bin/python bench/suggestions.py [--games 50000] [--queries 200]
"""

from __future__ import annotations

import argparse
import difflib
import random
import statistics
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import percentile  # noqa: E402
from realtime_api.queries.games import close_keys  # noqa: E402

BASELINE_QUERIES = 20  # difflib takes about 0.1 s a query at 50,000 keys


def game_keys(count: int, rng: random.Random) -> list[str]:
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(5000)]
    keys: set[str] = set()
    while len(keys) < count:
        keys.add(" ".join(rng.choices(words, k=rng.randint(1, 4))))
    return sorted(keys)


def misspelt(key: str, rng: random.Random) -> str:
    """One edit: a letter dropped, doubled or replaced."""
    at = rng.randrange(len(key))
    edit = rng.choice(("drop", "double", "replace"))
    if edit == "drop":
        return key[:at] + key[at + 1 :]
    if edit == "double":
        return key[:at] + key[at] + key[at:]
    return key[:at] + rng.choice(string.ascii_lowercase) + key[at + 1 :]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--games", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    keys = tuple(game_keys(args.games, rng))
    queries = [misspelt(key, rng) for key in rng.sample(keys, args.queries)]
    ours, found = [], []
    for query in queries:
        started = time.perf_counter()
        found.append(close_keys(query, keys))
        ours.append((time.perf_counter() - started) * 1000)
    before, agreed = [], 0
    for query, mine in zip(queries[:BASELINE_QUERIES], found):
        started = time.perf_counter()
        theirs = difflib.get_close_matches(query, keys, n=5, cutoff=0.6)
        before.append((time.perf_counter() - started) * 1000)
        agreed += mine[:1] == theirs[:1]
    print(f"{len(keys):,} game keys, {len(queries)} misspelt queries (one edit each)")
    print(f"  close_keys (rapidfuzz): p50 {statistics.median(ours):.2f} ms, p95 {percentile(ours, 0.95):.2f} ms")
    print(
        f"  difflib (before), {len(before)} queries: p50 {statistics.median(before):.1f} ms, "
        f"p95 {percentile(before, 0.95):.1f} ms"
    )
    print(f"  same first suggestion in {agreed} of {len(before)} (target: p95 <= 25 ms)")
    print(
        f"suggest_p95_ms={percentile(ours, 0.95):.2f} difflib_p95_ms={percentile(before, 0.95):.1f} "
        f"speedup={statistics.median(before) / statistics.median(ours):.0f} first_agreement={agreed / len(before):.2f}"
    )


if __name__ == "__main__":
    main()
