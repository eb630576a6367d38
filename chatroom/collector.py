"""Garbage collection for a long-lived server process.

CPython's cyclic collector pauses the whole process, and a full collection walks every
tracked object: about 185,000 after start-up and some 160 more per open connection, which
made pauses of 90-200 ms, enough to decide a benchmark step or a user's p99 by themselves.
Most of those objects live as long as the process (modules, the app, the ORM's mappers) or
as long as their connection. So:

- after start-up, and after each burst of new connections, everything alive is frozen
  (`gc.freeze`): it leaves the collector's generations, and later collections walk only what
  arrived since;
- cyclic garbage that was frozen with the live objects (a closed connection's cycles) is not
  collected while frozen. When the connections have fallen to half of what they were at the
  last freeze, the permanent generation is thawed, collected once and frozen again, so what
  a churn of connections leaves behind is bounded;
- the first generation is collected every `threshold0` allocations instead of CPython's 700:
  a young collection then runs less often, and each still walks only young objects;
- every collection's pause is observed in `chatroom_gc_pause_seconds`, by generation, next to
  the size of the permanent generation (`chatroom_gc_frozen_objects`) and why it was frozen
  (`chatroom_gc_freezes_total`).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

GC_PAUSE_SECONDS = Histogram(
    "chatroom_gc_pause_seconds",
    "Time the process stood still for one garbage collection, by the oldest generation collected",
    ["generation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0),
)
GC_FROZEN_OBJECTS = Gauge(
    "chatroom_gc_frozen_objects", "Objects in the permanent generation, which collections do not walk"
)
GC_FREEZES = Counter(
    "chatroom_gc_freezes",
    "Times live objects were frozen: at start-up, after a burst of connections, after a shrink",
    ["reason"],
)
GC_FROZEN_OBJECTS.set_function(gc.get_freeze_count)

# How often the connection count is looked at.
CHECK_INTERVAL_SECONDS = 5.0


class Collector:
    """Freezes after start-up and connection bursts, thaws after shrinks, times every pause.

    `open_connections` counts the process's connections; `install` must run once, before
    `freeze_after_start`, in the process that serves.
    """

    def __init__(self, open_connections: Callable[[], int], *, thresholds: tuple[int, int, int], burst: int) -> None:
        self.open_connections = open_connections
        self.thresholds = thresholds
        self.burst = burst
        self.frozen_at = 0  # connections open at the last freeze
        self._started: float | None = None

    def install(self) -> None:
        gc.set_threshold(*self.thresholds)
        if self._time_pause not in gc.callbacks:
            gc.callbacks.append(self._time_pause)

    def uninstall(self) -> None:
        if self._time_pause in gc.callbacks:
            gc.callbacks.remove(self._time_pause)

    def _time_pause(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None:
            GC_PAUSE_SECONDS.labels(generation=str(info["generation"])).observe(time.perf_counter() - self._started)
            self._started = None

    def freeze_after_start(self) -> None:
        """Collect everything once, then freeze what is left: it lives as long as the process."""
        gc.collect()
        gc.freeze()
        self.frozen_at = self.open_connections()
        GC_FREEZES.labels(reason="start").inc()

    def check(self) -> str | None:
        """Freeze or thaw if the connections moved enough since the last time; what was done."""
        now = self.open_connections()
        if now - self.frozen_at >= self.burst:
            # The young generations hold the burst's short-lived garbage: collect them (a few
            # ms) so that it is not frozen; the burst's connections themselves are kept.
            gc.collect(1)
            gc.freeze()
            self.frozen_at = now
            GC_FREEZES.labels(reason="burst").inc()
            return "burst"
        if self.frozen_at - now >= self.burst and now * 2 <= self.frozen_at:
            # Half the connections frozen at the last freeze are gone, and their cycles with
            # them. One full collection (the pause this module otherwise avoids) frees them.
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self.frozen_at = now
            GC_FREEZES.labels(reason="shrink").inc()
            return "shrink"
        return None

    def run(self, sleep: Callable[[float], Any]) -> None:
        """Check every few seconds, for the life of the process (a background task)."""
        while True:
            sleep(CHECK_INTERVAL_SECONDS)
            self.check()
