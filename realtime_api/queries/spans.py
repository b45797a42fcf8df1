"""Calendar arithmetic of requested ranges: months, the buckets a [from, to) is read from, the
resolution of a series and the bucket starts it has."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from gamestream.core.clock import as_utc
from gamestream.core.gold_vocabulary import BUCKET_SECONDS
from realtime_api.queries.vocabulary import MONTH, Resolution


@dataclass(frozen=True)
class Span:
    """A requested [start, end) read from whole buckets of one size (months from the month tables),
    beside the same number of buckets just before it (`previous_start`)."""

    start: datetime
    end: datetime
    previous_start: datetime
    bucket: str


def months_between(start: datetime, end: datetime) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def add_months(month: datetime, months: int) -> datetime:
    index = month.year * 12 + month.month - 1 + months
    return month.replace(year=index // 12, month=index % 12 + 1, day=1)


def month_floor(t: datetime) -> datetime:
    return as_utc(t).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


MAX_SPAN_DAYS = 366
MAX_SPAN_BUCKETS = 400


def end_aligned_with(start: datetime, now: datetime) -> datetime:
    """A range's end when only its start is given: now, rounded up to the largest unit the start falls
    on (a month, day, hour or 5 minutes), so `from=2026-11-01` reads months and `from=2026-11-20`
    days, not hundreds of 5-minute buckets."""
    if start == month_floor(start):
        floor = month_floor(now)
        return floor if floor == now else add_months(floor, 1)
    for seconds in (86_400, 3_600, 300):
        if int(start.timestamp()) % seconds == 0:
            return datetime.fromtimestamp(-(-int(now.timestamp()) // seconds) * seconds, UTC)
    return now


def plan_span(start: datetime, end: datetime) -> Span:
    """The buckets a requested [start, end) is read from: rounded out to whole 5 minutes, then the
    month tables when both ends are month starts, else the largest bucket both ends fall on. Raises
    ValueError (the API's 422) for a span longer than MAX_SPAN_DAYS or of more than
    MAX_SPAN_BUCKETS buckets."""
    first = datetime.fromtimestamp(int(as_utc(start).timestamp()) // 300 * 300, UTC)
    last = datetime.fromtimestamp(-(-int(as_utc(end).timestamp()) // 300) * 300, UTC)
    days = (last - first).total_seconds() / 86400
    if days > MAX_SPAN_DAYS:
        raise ValueError(f"from..to spans {days:.1f} days; at most {MAX_SPAN_DAYS}")
    if first == month_floor(first) and last == month_floor(last):
        return Span(first, last, add_months(first, -months_between(first, last)), MONTH)
    for bucket, coarser in (("1d", "months"), ("1h", "days"), ("5m", "hours")):
        seconds = BUCKET_SECONDS[bucket]
        if first.timestamp() % seconds == 0 and last.timestamp() % seconds == 0:
            count = (last - first).total_seconds() / seconds
            if count > MAX_SPAN_BUCKETS:
                raise ValueError(
                    f"from..to is {count:.0f} {bucket} buckets; at most {MAX_SPAN_BUCKETS}: "
                    f"align from and to to whole {coarser} for a longer range"
                )
            return Span(first, last, first - (last - first), bucket)
    raise AssertionError("every 5-minute boundary is a 5m bucket's")


def choose_resolution(resolution: Resolution, start: datetime, end: datetime) -> str:
    if resolution is not Resolution.auto:
        return resolution.value
    span = (end - start).total_seconds()
    return "5m" if span <= 36 * 3600 else "1h" if span <= 45 * 86400 else "1d"


def bucket_starts(first: datetime, end: datetime, bucket: str) -> dict[int, datetime]:
    """The starts of the buckets from `first` (a bucket start) up to `end`, by epoch second."""
    if bucket != MONTH:
        epochs = range(int(first.timestamp()), math.ceil(end.timestamp()), BUCKET_SECONDS[bucket])
        return {epoch: datetime.fromtimestamp(epoch, UTC) for epoch in epochs}
    starts, t = {}, first
    while t < end:
        starts[int(t.timestamp())] = t
        t = add_months(t, 1)
    return starts
