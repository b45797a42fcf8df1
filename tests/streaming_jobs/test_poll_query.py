"""The poll query's driver-side tables: emitted polls collected as Arrow become the same
silver.game_poll_totals and silver.polls rows as the Spark route the backfill takes."""

import pandas as pd
import pyarrow as pa

from gamestream.core import lake as L
from streaming_jobs.poll_query import emitted_arrow, emitted_tables, poll_slot_date
from streaming_jobs.poll_state import OUTPUT_SCHEMA, close_poll
from tests.streaming_jobs.test_poll_state import POLL, batch, manifest, snap


def test_emitted_polls_as_arrow_are_the_rows_spark_writes(spark):
    complete = close_poll((POLL,), batch(snap(1, 10), snap(2, 30, game="Hades II"), manifest(2)))
    no_slot = close_poll(("no-slot-in-this-id",), batch(snap(3, 7)).assign(poll_id="no-slot-in-this-id"))
    emitted = spark.createDataFrame(pandas_rows := pd.concat([complete, no_slot], ignore_index=True), OUTPUT_SCHEMA)

    arrow = emitted_arrow(emitted.toArrow())
    spark_tables = {name: frame.toArrow() for name, frame in emitted_tables(emitted).items()}

    for name, schema in ((L.TOTALS, L.TOTALS_SCHEMA), (L.POLLS, L.POLLS_SCHEMA)):
        expected = spark_tables[name]
        got = arrow[name].sort_by([("poll_id", "ascending")])
        assert got.column_names == expected.column_names, name  # the table reads alike whoever created it
        assert got.schema == pa.schema([schema.field(c) for c in expected.column_names])
        assert got.to_pylist() == expected.cast(got.schema).sort_by([("poll_id", "ascending")]).to_pylist(), name
    assert len(pandas_rows) == arrow[L.TOTALS].num_rows + arrow[L.POLLS].num_rows
    assert arrow[L.POLLS].column("errors").to_pylist()[0] == ["page 2: 503"]


def test_a_polls_date_is_its_slots_utc_date_else_none():
    assert str(poll_slot_date(POLL)) == "2026-11-26"
    assert poll_slot_date("twitch:twitch_head:") is None and poll_slot_date(None) is None


def test_types_survive_a_batch_without_totals():
    only_poll = close_poll((POLL,), batch(manifest(0)))
    tables = emitted_arrow(pa.Table.from_pandas(only_poll, preserve_index=False))  # as Spark 3.5 collects
    assert tables[L.TOTALS].num_rows == 0 and set(tables[L.TOTALS].schema) == set(L.TOTALS_SCHEMA)
    assert tables[L.POLLS].num_rows == 1
