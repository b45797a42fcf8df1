import json
import threading
import time
import uuid
from collections import Counter

import pytest

from gamestream.core.aws import aws_client, ensure_stream
from gamestream.core.contracts import VideoSnapshot, parse_record
from producers.sinks import make_sink
from producers.sinks.base import encode
from producers.sinks.kafka import partition_for
from producers.sinks.kinesis import MAX_BATCH_BYTES, MAX_BATCH_RECORDS, KinesisSink
from tests.support.kinesis import KinesisFaultProxy, read_stream
from tests.support.load import busy_cores
from tests.support.producers import T0, assert_sigterm_flushes_everything, player_counts


@pytest.fixture()
def stream(stack):
    name = f"sink-{uuid.uuid4().hex[:8]}"
    ensure_stream(aws_client(stack.settings, "kinesis"), name, 2)
    return stack.settings.model_copy(update={"stream_name": name})


def proxied_sink(settings, proxy, read_timeout, **kwargs):
    """A sink through the fault proxy; a read timeout shorter than the proxy's late answers makes them ambiguous."""
    via_proxy = settings.model_copy(update={"aws_endpoint_url": proxy.url})
    client = aws_client(
        via_proxy,
        "kinesis",
        retries={"total_max_attempts": 1, "mode": "standard"},
        read_timeout=read_timeout,
        connect_timeout=1,
    )
    return KinesisSink(via_proxy, client=client, backoff_base=0.01, backoff_max=0.2, **kwargs)


def event_ids(settings):
    return [
        json.loads(r["Data"])["event_id"] for r in read_stream(aws_client(settings, "kinesis"), settings.stream_name)
    ]


def test_failed_entries_are_retried_until_every_record_is_in_the_stream(stream):
    sent = player_counts(1800)
    # the late answer comes after 10 s, the client gives up after 5 s: only that call is ambiguous, even when busy
    with KinesisFaultProxy(stream.aws_endpoint_url, fail_every=4, timeout_calls=(2,), late_by=10) as proxy:
        sink = proxied_sink(stream, proxy, read_timeout=5)
        for record in sent:
            sink.send(record)
        sink.close()
    found = Counter(event_ids(stream))
    assert set(found) == {r.event_id for r in sent}
    assert proxy.failed_entries > 0
    assert sink.stats.retried_entries >= proxy.failed_entries
    # the only duplicates: records of the call whose answer came too late (it had landed; it was re-sent)
    duplicates = sum(n - 1 for n in found.values())
    assert sink.stats.ambiguous_calls == 1
    assert 0 < duplicates <= proxy.ambiguous_records
    assert max(n for n, _ in proxy.calls) <= MAX_BATCH_RECORDS


def test_no_fault_means_no_duplicate(stream):
    sent = player_counts(700)
    with KinesisFaultProxy(stream.aws_endpoint_url, fail_every=3) as proxy:
        sink = proxied_sink(stream, proxy, read_timeout=30)  # no late answer here: a busy machine is not a fault
        for record in sent:
            sink.send(record)
        sink.close()
    found = event_ids(stream)
    assert sorted(found) == sorted(r.event_id for r in sent)
    assert sink.stats.ambiguous_calls == 0


def test_batches_stay_under_five_mebibytes(stream):
    big = [
        VideoSnapshot.create(
            source="youtube",
            observed_at=T0,
            poll_id="big",
            video_id=f"v{i}",
            channel_id="c",
            title="x" * 400_000,
            concurrent_viewers=i,
        )
        for i in range(30)
    ]
    with KinesisFaultProxy(stream.aws_endpoint_url) as proxy:
        # 5 MiB calls take seconds on a busy machine: no late answer is meant here, so no timeout either
        sink = proxied_sink(stream, proxy, read_timeout=60, linger_seconds=0.5)
        for record in big:
            sink.send(record)
        sink.close()
    assert max(size for _, size in proxy.calls) <= MAX_BATCH_BYTES
    assert len(proxy.calls) >= 3
    assert len(event_ids(stream)) == 30


def test_a_full_buffer_blocks_the_producer_until_the_stream_takes_player_counts(stream):
    with KinesisFaultProxy(stream.aws_endpoint_url) as proxy:
        proxy.paused.set()
        sink = proxied_sink(stream, proxy, read_timeout=30, buffer_records=100)
        sent = player_counts(1000)
        thread = threading.Thread(target=lambda: [sink.send(r) for r in sent])
        thread.start()
        time.sleep(1.0)
        assert thread.is_alive()
        assert sink.stats.accepted <= 100 + MAX_BATCH_RECORDS + 1
        proxy.paused.clear()
        thread.join(30)
        sink.close()
    assert sink.stats.accepted == sink.stats.delivered == 1000


def test_records_larger_than_a_kinesis_record_are_refused_clearly():
    huge = VideoSnapshot.create(
        source="youtube",
        observed_at=T0,
        poll_id="p",
        video_id="v",
        channel_id="c",
        title="x" * (1024 * 1024),
        concurrent_viewers=1,
    )
    with pytest.raises(ValueError, match="at most 1048576"):
        encode(huge)


def test_kafka_serialises_and_partitions_by_entity_id():
    record = player_counts(1)[0]
    key, value = encode(record)
    assert key == b"1"
    assert parse_record(value) == record
    assert partition_for(b"730", 12) == partition_for(b"730", 12)
    spread = Counter(partition_for(str(app).encode(), 8) for app in range(10_000))
    assert len(spread) == 8 and min(spread.values()) > 10_000 / 8 * 0.8


def test_kinesis_is_the_default_sink(stack):
    assert isinstance(make_sink(stack.settings), KinesisSink)


def test_sigterm_flushes_everything_the_producer_accepted(stream, tmp_path):
    """With both cores busy, SIGTERM lands in the middle of a poll."""
    kinesis = aws_client(stream, "kinesis")
    with busy_cores():
        assert_sigterm_flushes_everything(
            stream,
            tmp_path,
            lambda: [r["Data"] for r in read_stream(kinesis, stream.stream_name)],
            scale=0.2,
            start_seconds=120,
        )
