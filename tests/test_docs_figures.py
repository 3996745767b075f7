"""The workload figures the Guarantees page (docs/guarantees.md) states are the tests' own.

Outcome figures (faults injected, generated inputs stored and refused, calls that take
an identifier, the query grid) are asserted by the tests that produce them; this
module checks the workload the concurrency guarantees are stated for.
"""

from __future__ import annotations

from .docs_pages import figures
from .test_reliability_concurrency import (
    ARTIFACTS_PER_WRITER,
    FORCE_ROUNDS,
    PROCESSES,
    RACERS,
    THREADS,
)


def test_the_concurrency_table_is_the_tests_workload() -> None:
    assert figures("guarantees.md", r"writes (\d+) distinct artifacts with `parents=True`") == (
        ARTIFACTS_PER_WRITER,
    )
    rows = {
        ("postgresql", "threads"): r"\| PostgreSQL \| (\d+) \| \| ([\d,]+) of ([\d,]+) \| 0 \|",
        ("postgresql", "processes"): r"\| PostgreSQL \| \| (\d+) \| ([\d,]+) of ([\d,]+) \| 0 \|",
        ("sqlite", "threads"): r"\| SQLite file \| (\d+) \| \| ([\d,]+) of ([\d,]+) \| 0 ",
        ("sqlite", "processes"): r"\| SQLite file \| \| (\d+) \| ([\d,]+) of ([\d,]+) \| 0 \|",
    }
    for (backend, kind), pattern in rows.items():
        writers = (THREADS if kind == "threads" else PROCESSES)[backend]
        total = writers * ARTIFACTS_PER_WRITER
        assert figures("guarantees.md", pattern) == (writers, total, total), (backend, kind)


def test_the_racing_figures_are_the_tests_workload() -> None:
    assert figures(
        "guarantees.md",
        r"(\d+) threads racing to write one new identifier without `force`: exactly one"
        r" succeeds, (\d+) get `ErrorAlreadyExists`",
    ) == (RACERS, RACERS - 1)
    assert figures(
        "guarantees.md", r"(\d+) threads each overwriting one identifier (\d+) times"
    ) == (
        RACERS,
        FORCE_ROUNDS,
    )
