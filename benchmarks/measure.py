"""Timing, statement counting and memory sampling for the benchmark."""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event


@dataclass
class Timing:
    """Latencies (seconds) of one operation: store, same-work raw driver, minimal store."""

    op: str
    store: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    minimal: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    #: Artifacts handled per call (throughput is items per second).
    items: int = 1

    @property
    def store_median(self) -> float:
        return statistics.median(self.store)

    @property
    def raw_median(self) -> float | None:
        return statistics.median(self.raw) if self.raw else None

    @property
    def ratio(self) -> float | None:
        """The store's median over the same-work baseline's."""
        raw = self.raw_median
        return self.store_median / raw if raw else None

    @property
    def minimal_median(self) -> float | None:
        return statistics.median(self.minimal) if self.minimal else None

    @property
    def minimal_ratio(self) -> float | None:
        """The store's median over the minimal store's."""
        minimal = self.minimal_median
        return self.store_median / minimal if minimal else None

    @property
    def throughput(self) -> float:
        """Items per second at the median latency."""
        return self.items / self.store_median

    @property
    def statements_per_call(self) -> float | None:
        return statistics.median(self.statements) if self.statements else None


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


class StatementCounter:
    """Counts the SQL statements an engine sends (SQLAlchemy's before_cursor_execute)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, *_: Any) -> None:
        self.count += 1


class Pair:
    """Runs the store's, the raw driver's and the minimal store's version of an operation
    alternately.

    Alternating keeps every side under the same background load on a shared machine.
    """

    def __init__(self, counter: StatementCounter, budget_s: float) -> None:
        self.counter = counter
        self.budget_s = budget_s

    def run(
        self,
        timing: Timing,
        store: Callable[[Any], object],
        raw: Callable[[Any], object] | None,
        args: list[Any],
        min_calls: int = 3,
        tick: Callable[[], None] = lambda: None,
        minimal: Callable[[Any], object] | None = None,
    ) -> Timing:
        """Call every side once per argument, until the arguments or the time budget run out."""
        started = time.perf_counter()
        for done, arg in enumerate(args):
            for side, samples in ((raw, timing.raw), (minimal, timing.minimal)):
                if side is not None:
                    t0 = time.perf_counter()
                    side(arg)
                    samples.append(time.perf_counter() - t0)
            before = self.counter.count
            t0 = time.perf_counter()
            store(arg)
            timing.store.append(time.perf_counter() - t0)
            timing.statements.append(self.counter.count - before)
            tick()
            if done + 1 >= min_calls and time.perf_counter() - started > self.budget_s:
                break
        return timing


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def current_rss() -> int:
    """The process's resident memory now, in bytes (peak so far where /proc is missing)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
