"""Answers computed from gold alone, kept until gold's next load.

Gold changes only when a load commits (gold.load_state gets a new loaded_at once `dbt build` has
succeeded), so a question asked again (the same ranking, game page or month table, by the same user
paging back or by any other) has the same answer until then. Every public page asks the same few:
a trailing-window ranking took 12-15 ms to read from gold, a range ranking about 20 ms for a week of
5,000 games. The API keeps the last `api_answer_cache_entries` answers with the load each was
computed on; every request reads the latest load's time (one small read) and recomputes when it has
changed. Only answers of a bounded size are kept (a ranking, a page of a month table, a game's
months, an overview's gold half): series of thousands of points over any range would make the
entries' memory unbounded, and they are read by series key in one pass. What comes from Redis (the
live half of an overview) is never kept here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from realtime_api.queries.freshness import gold_loaded_at
from realtime_api.store import GoldStore

Answer = TypeVar("Answer")


class AnswerCache:
    def __init__(self, store: GoldStore, entries: int):
        self.store, self.entries = store, entries
        self._lock = threading.Lock()
        self._answers: OrderedDict[Hashable, tuple[Any, Any]] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], Answer]) -> Answer:
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
