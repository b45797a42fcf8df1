"""Answers of the range rankings and movers, kept until gold's next load.

A ranking over any from/to (and the movers over one) groups every game's buckets in the range and
the range before it: about 20 ms in DuckDB for a week of 5,000 games, most of such a request's time.
Gold changes only when a load commits (gold.load_state gets a new loaded_at once `dbt build` has
succeeded), so the same range asked again, by the same user paging back or by another, has the same
answer until then. The API keeps the last `api_range_cache_entries` answers with the load each was
computed on; every request reads the latest load's time (one small read) and recomputes when it
has changed. Trailing windows need none of this: gold.game_windows holds them precomputed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from realtime_api.queries.freshness import gold_loaded_at
from realtime_api.store import GoldStore


class RangeCache:
    def __init__(self, store: GoldStore, entries: int):
        self.store, self.entries = store, entries
        self._lock = threading.Lock()
        self._answers: OrderedDict[Hashable, tuple[Any, dict[str, Any]]] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """The answer kept for `key` if gold has not loaded since it was computed, else compute()'s
        (kept; the least recently used answer goes beyond `entries`). Callers must not change it."""
        if self.entries == 0:
            return compute()
        try:
            loaded = gold_loaded_at(self.store)
        except Exception:  # no load state yet (or the warehouse is down): compute() reports its own errors
            return compute()
        with self._lock:
            kept = self._answers.get(key)
            if kept is not None and kept[0] == loaded:
                self._answers.move_to_end(key)
                return kept[1]
        answer = compute()  # a load committing meanwhile changes loaded_at: the next request recomputes
        with self._lock:
            self._answers[key] = (loaded, answer)
            self._answers.move_to_end(key)
            while len(self._answers) > self.entries:
                self._answers.popitem(last=False)
        return answer
