import threading
from datetime import timedelta

from gamestream.core.clock import slot_floor
from gamestream.core.contracts import PlayerCount, Source
from producers.poll_loop import Poller, PollLoop


class ScriptedPoller(Poller):
    """Takes the scripted number of seconds per poll and emits one record."""

    source = Source.STEAM
    interval = 60.0

    def __init__(self, clock, durations, fail_at=()):
        self.clock, self.durations, self.fail_at, self.slots = clock, list(durations), set(fail_at), []

    def poll(self, session):
        self.slots.append(session.slot)
        recorder = session.open("steam", "player_count", "scripted", planned_pages=1)
        if len(self.slots) in self.fail_at:
            raise RuntimeError("poller bug")
        self.clock.advance(self.durations.pop(0))
        recorder.page_ok()
        recorder.emit(
            PlayerCount.create(
                source="steam",
                observed_at=self.clock.now(),
                poll_id=recorder.poll_id,
                app_id=730,
                player_count=len(self.slots),
            )
        )


def test_polls_stay_on_the_grid_and_an_overrun_skips_instead_of_stacking(clock, sink):
    clock.advance(17)  # start mid-slot
    poller = ScriptedPoller(clock, [5, 12, 130, 3, 59])
    PollLoop(poller, sink, clock).run(max_polls=5)
    start = slot_floor(clock.now() - timedelta(hours=1), 60)
    offsets = [(s - poller.slots[0]).total_seconds() for s in poller.slots]
    assert offsets == [0, 60, 120, 300, 360]  # the 130 s poll at 120 covered 180 and 240: skipped, not stacked
    assert all(s.timestamp() % 60 == 0 for s in poller.slots) and start < poller.slots[0]
    manifests = sink.of_kind("poll_manifest")
    assert [m.overran for m in manifests] == [False, False, True, False, False]
    assert len({m.poll_id for m in manifests}) == 5


def test_a_failing_poll_is_recorded_and_the_loop_goes_on(clock, sink):
    poller = ScriptedPoller(clock, [1, 1], fail_at={1})
    loop = PollLoop(poller, sink, clock)
    loop.run(max_polls=2)
    first, second = sink.of_kind("poll_manifest")
    assert "poll aborted: RuntimeError: poller bug" in first.errors
    assert first.coverage == 0.0 and second.coverage == 1.0
    assert loop.health.polls == 2 and loop.health.errors == 1


def test_stop_event_ends_the_loop(clock, sink):
    stop = threading.Event()

    class StopAfterOne(ScriptedPoller):
        def poll(self, session):
            super().poll(session)
            stop.set()

    PollLoop(StopAfterOne(clock, [1, 1, 1]), sink, clock, stop).run()
    assert len(sink.of_kind("poll_manifest")) == 1


def test_a_poller_failing_before_it_opens_a_poll_does_not_crash_the_loop(clock, sink):
    class Broken(ScriptedPoller):
        def poll(self, session):
            raise ConnectionError("catalog unavailable")

    loop = PollLoop(Broken(clock, []), sink, clock)
    loop.run(max_polls=2)
    assert loop.health.polls == 2 and loop.health.errors == 2
    assert sink.records == []
