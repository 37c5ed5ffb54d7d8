"""When each step of a region's scan ran, so its critical path can be measured (bench/ prints it).

Steps run in parallel (the listings) or overlap (describes start while metrics are read); the
timeline only records each step's start and end since the region's scan began. Thread-safe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from cost_watcher.model import ScanPhase

T = TypeVar("T")


class Timeline:
    def __init__(self, region: str, clock: Callable[[], float] = time.perf_counter) -> None:
        self.region = region
        self._clock = clock
        self._origin = clock()
        self._lock = threading.Lock()
        self.phases: list[ScanPhase] = []

    @contextmanager
    def phase(self, name: str, after: tuple[str, ...] = ()) -> Iterator[None]:
        start = self._clock() - self._origin
        try:
            yield
        finally:
            end = self._clock() - self._origin
            with self._lock:
                self.phases.append(ScanPhase(self.region, name, round(start, 4), round(end, 4), after))

    def timed(self, name: str, work: Callable[[], T], after: tuple[str, ...] = ()) -> Callable[[], T]:
        """`work` wrapped so that running it (in any thread) records the phase `name`."""

        def run() -> T:
            with self.phase(name, after):
                return work()

        return run
