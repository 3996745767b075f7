"""Tables of the benchmark's results: on the console (rich) and as RESULTS.md (markdown)."""

from __future__ import annotations

import os
import platform
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg2
import sqlalchemy
from rich.table import Table

from benchmarks.measure import Timing, p95

if TYPE_CHECKING:
    from benchmarks.run import Result

#: Everything below this line in RESULTS.md is hand-written and kept by every run.
NOTES_MARKER = (
    "<!-- Hand-written notes below this line are kept when `make bench` rewrites the file. -->"
)

_HEADERS = (
    "operation",
    "median",
    "p95",
    "throughput",
    "SQL/call",
    "same-work",
    "÷ same-work",
    "minimal",
    "÷ minimal",
)


@dataclass
class Run:
    results: list[Result]
    started: float
    finished: float
    load_before: str
    load_after: str
    bulk: int


def load_average() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds * 1000:.2f} ms" if seconds < 10 else f"{seconds:.1f} s"


def _ratio(ratio: float | None, suffix: str = "") -> str:
    return "–" if ratio is None else f"{ratio:.2f}×{suffix}"


def _rows(result: Result) -> Iterator[tuple[str, ...]]:
    """One row per operation and per store-only figure, each as wide as `_HEADERS`."""
    for row in _cells(result):
        yield row + ("",) * (len(_HEADERS) - len(row))


def _cells(result: Result) -> Iterator[tuple[str, ...]]:
    for t in result.timings:
        unit = "artifacts/s" if t.items > 1 else "calls/s"
        statements = t.statements_per_call
        yield (
            t.op,
            _ms(t.store_median),
            _ms(p95(t.store)),
            f"{t.throughput:,.0f} {unit}",
            "–" if statements is None else f"{statements:g}",
            _ms(t.raw_median),
            _ratio(t.ratio),
            _ms(t.minimal_median),
            _ratio(t.minimal_ratio),
        )
    if result.history is not None:
        h = result.history
        yield (
            "write_artifact, history on (same-work: history off)",
            _ms(h.store_median),
            _ms(p95(h.store)),
            f"{h.throughput:,.0f} / {1 / (h.raw_median or 1):,.0f} calls/s on / off",
            f"{h.statements_per_call:g} / {result.history_off_statements:g}",
            _ms(h.raw_median),
            _ratio(h.ratio, " on / off"),
            "",
            "",
        )
    if result.store_bytes:
        mb = 2**20
        without = max(1, result.store_bytes - result.history_bytes)
        yield (
            "database size after the run, history on / off",
            f"{result.store_bytes / mb:,.1f} MB",
            f"{without / mb:,.1f} MB",
            "",
            "",
            f"history {result.history_bytes / mb:,.1f} MB",
            f"{result.store_bytes / without:.2f}× on / off",
            "",
            "",
        )
    yield ("fill: write_artifact, one call each", "", "", f"{result.fill_per_s:,.0f} calls/s")
    yield (
        f"iter_artifacts over {result.stream_count:,}",
        f"first page {_ms(result.stream_first_page_s)}",
        f"last page {_ms(result.stream_last_page_s)}",
        f"{result.stream_count / result.stream_total_s:,.0f} artifacts/s",
        "",
        f"RSS +{result.stream_rss_growth / 2**20:.1f} MB",
        f"last/first {result.stream_last_page_s / result.stream_first_page_s:.2f}×",
    )


def console_table(result: Result) -> Table:
    table = Table(title=f"{result.backend}, N = {result.n:,}")
    for header in _HEADERS:
        table.add_column(header, justify="left" if header == "operation" else "right")
    for row in _rows(result):
        table.add_row(*row)
    return table


# -- the figures -------------------------------------------------------------


def _timing(result: Result, prefix: str) -> Timing | None:
    return next((t for t in result.timings if t.op.startswith(prefix)), None)


#: Issue 11's limits on the store's median over the minimal store's, by operation
#: (pages: both offsets), and over the same-work baseline's (every operation).
_MINIMAL_LIMITS = {
    "read_artifact": 1.5,
    "read_artifacts": 1.3,
    "search: Identifier": 1.5,
    "search: Type": 1.5,
    "search: Property": 1.5,
    "search: Tag": 1.5,
    "write_artifact": 2.0,
    "write_artifact_with_header": 2.0,
    "delete_artifact": 2.0,
    "write_artifact, history off": 1.5,
    "delete_artifact, history off": 1.5,
}
_SAME_WORK_LIMIT = 1.2
#: Round one's SQL statements per call (issue 11: no more than these).
_MAX_STATEMENTS = {"write_artifact": 3, "write_artifact_with_header": 3, "read_artifact": 2}

Target = tuple[str, str, str, str, bool]


def _ratio_targets(backend: str, timing: Timing, at: str) -> Iterator[Target]:
    """The figures of one operation: vs same-work, vs minimal, statements per call."""
    if timing.ratio is not None:
        limit = _SAME_WORK_LIMIT
        measured = f"{timing.ratio:.2f}×"
        yield (
            backend,
            f"{timing.op} vs same-work, {at}",
            f"≤ {limit}×",
            measured,
            timing.ratio <= limit,
        )
    name = timing.op.split(" (")[0]
    minimal_limit = _MINIMAL_LIMITS.get(name) or _MINIMAL_LIMITS.get(name.split(",")[0])
    if timing.minimal_ratio is not None and minimal_limit is not None:
        ok = timing.minimal_ratio <= minimal_limit
        measured = f"{timing.minimal_ratio:.2f}×"
        yield backend, f"{timing.op} vs minimal, {at}", f"≤ {minimal_limit}×", measured, ok
    most = _MAX_STATEMENTS.get(timing.op)
    if most is not None and timing.statements_per_call is not None:
        count = timing.statements_per_call
        yield (
            backend,
            f"{timing.op} SQL statements per call",
            f"≤ {most}",
            f"{count:g}",
            count <= most,
        )


def targets(run: Run) -> list[Target]:
    """(backend, figure, target, measured, reached) for every figure of the issues."""
    rows: list[Target] = []
    for backend in dict.fromkeys(r.backend for r in run.results):
        mine = sorted((r for r in run.results if r.backend == backend), key=lambda r: r.n)
        small, large = mine[0], mine[-1]
        at = f"N={large.n:,}"
        for timing in large.timings:
            rows += _ratio_targets(backend, timing, at)
        if large.n != small.n:
            for prefix in ("read_artifact", "search: Identifier", "write_artifact"):
                a, b = _timing(small, prefix), _timing(large, prefix)
                if a and b:
                    growth = b.store_median / a.store_median
                    rows.append(
                        (
                            backend,
                            f"{prefix}: N={large.n:,} vs N={small.n:,}",
                            "≤ 1.5×",
                            f"{growth:.2f}×",
                            growth <= 1.5,
                        )
                    )
        if large.history is not None and large.history.ratio is not None:
            rows.append(
                (
                    backend,
                    f"write_artifact history on vs off, {at}",
                    "≤ 1.3×",
                    f"{large.history.ratio:.2f}×",
                    large.history.ratio <= 1.3,
                )
            )
        growth = large.stream_last_page_s / large.stream_first_page_s
        rows.append(
            (
                backend,
                f"iter_artifacts last page vs first, {at}",
                "≤ 2×",
                f"{growth:.2f}×",
                growth <= 2,
            )
        )
        megabytes = large.stream_rss_growth / 2**20
        rows.append(
            (
                backend,
                f"iter_artifacts peak RSS growth, {at}",
                "< 100 MB",
                f"{megabytes:.1f} MB",
                megabytes < 100,
            )
        )
    return rows


def targets_table(run: Run) -> Table:
    table = Table(title="The issue's figures")
    for header in ("backend", "figure", "target", "measured", ""):
        table.add_column(header)
    for backend, figure, target, measured, ok in targets(run):
        table.add_row(backend, figure, target, measured, "reached" if ok else "[red]MISSED[/red]")
    return table


# -- RESULTS.md ----------------------------------------------------------------------


def machine() -> list[str]:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            names = [
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            ]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    memory = "unknown"
    try:
        with open("/proc/meminfo") as info:
            memory = f"{int(info.readline().split()[1]) / 2**20:.0f} GB"
    except OSError:
        pass
    from benchmarks.scratch import postgres_version

    try:
        server = postgres_version()
    except psycopg2.Error:
        server = "not reachable"
    return [
        f"- CPU: {cpu}, {os.cpu_count()} logical cores; memory {memory}",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, "
        f"psycopg2 {psycopg2.__version__.split()[0]}, SQLite {sqlite3.sqlite_version}, "
        f"PostgreSQL {server} (local, default settings)",
    ]


def _md_table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def markdown(run: Run, previous: str) -> str:
    """RESULTS.md: the figures of this run, then the hand-written notes kept from `previous`."""
    date = time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(run.started))
    minutes = (run.finished - run.started) / 60
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (`python -m benchmarks.run`) on {date}; the run took "
        f"{minutes:.0f} minutes. Load average (1, 5, 15 min) before: {run.load_before}; "
        f"after: {run.load_after}.",
        "",
        *machine(),
        "",
        "Latencies are per call. Two baselines written directly with the driver: "
        "*same-work* (`benchmarks/raw.py`: the store's schema and statements, revision rows, "
        "search document and digest) and *minimal* (`benchmarks/minimal.py`: one plain table, "
        "one statement per call, no history). *÷ same-work* and *÷ minimal* are the store's "
        "median over theirs (lower is better; below 1 the store is faster). *SQL/call* is the "
        "number of statements the store sent, counted with SQLAlchemy's `before_cursor_execute` "
        "event (on SQLite this includes the store's explicit `BEGIN`; `COMMIT` is not a "
        "cursor statement). The three sides' calls alternate, so all see the same load. "
        "The store runs with revision history on (its default) and the same-work baseline "
        "writes the same revision rows; the *history off* rows run a repository with "
        "`history=False` against the same-work baseline without revision rows and the "
        "minimal store; the *history on* row alternates `write_artifact` on one repository "
        "with history and one without on the same database (the latter in the same-work "
        "columns), and the size row gives the database with and without its revision table. "
        "The workload and the baselines are described in docs/performance.md.",
        "",
    ]
    for result in run.results:
        lines += [f"## {result.backend}, N = {result.n:,}", ""]
        lines += _md_table(_HEADERS, list(_rows(result)))
        lines.append("")
    lines += ["## The issue's figures", ""]
    lines += _md_table(
        ("backend", "figure", "target", "measured", "reached"),
        [(b, f, t, m, "yes" if ok else "**no**") for b, f, t, m, ok in targets(run)],
    )
    lines += ["", NOTES_MARKER, ""]
    _, marker, notes = previous.partition(NOTES_MARKER)
    return "\n".join(lines) + (notes.lstrip("\n") if marker else "")
