"""Garbage collection: pauses are measured, bursts are frozen, shrinks give cyclic garbage back."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from chatroom.collector import Collector


class Connections:
    def __init__(self) -> None:
        self.open = 0

    def __call__(self) -> int:
        return self.open


class Cycle:
    """Garbage the collector, not reference counting, must free."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def collector() -> Iterator[tuple[Collector, Connections]]:
    thresholds = gc.get_threshold()
    connections = Connections()
    control = Collector(connections, thresholds=(5000, 10, 10), burst=10)
    control.install()
    try:
        yield control, connections
    finally:
        control.uninstall()
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def pauses(generation: int) -> float:
    return REGISTRY.get_sample_value("chatroom_gc_pause_seconds_count", {"generation": str(generation)}) or 0.0


def test_every_collection_is_timed_by_generation(collector: tuple[Collector, Connections]) -> None:
    before = [pauses(g) for g in range(3)]
    gc.collect(0)
    gc.collect(2)
    assert pauses(0) == before[0] + 1
    assert pauses(1) == before[1]
    assert pauses(2) == before[2] + 1
    assert gc.get_threshold()[0] == 5000


def test_a_burst_of_connections_is_frozen_and_a_shrink_collects_what_it_left(
    collector: tuple[Collector, Connections],
) -> None:
    control, connections = collector
    control.freeze_after_start()
    assert control.check() is None

    # A connection's objects, and among them a cycle that outlives the connection.
    leftover = Cycle()
    gone = weakref.ref(leftover)
    connections.open = 20
    assert control.check() == "burst"

    # Frozen: the collector no longer reaches it. (The process-wide freeze count is no
    # witness: other threads of the test process free frozen objects meanwhile.)
    del leftover
    gc.collect()
    assert gone() is not None, "frozen objects are out of the collector's reach"

    connections.open = 11  # fewer than half gone: nothing happens
    assert control.check() is None
    connections.open = 10
    assert control.check() == "shrink"
    assert gone() is None
    assert control.check() is None
