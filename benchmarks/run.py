"""Run the workload of docs/contract.md section 7 on the store and on two driver baselines.

    python -m benchmarks.run                      # N = 1,000, 10,000, 100,000; writes RESULTS.md
    python -m benchmarks.run --quick              # N = 1,000, fewer calls; prints only
    python -m benchmarks.run --sizes 1000,10000   # only these N

For each backend and N: scratch databases for the store, the same-work raw
driver (benchmarks/raw.py, same migrations) and the minimal driver store
(benchmarks/minimal.py, its own plain table), all on the same server; N
artifacts written one call each into the store (timed) and in batches into
the baselines, then every operation of benchmarks/operations.py timed, the
three sides' calls alternating.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from benchmarks import report
from benchmarks.measure import Pair, StatementCounter, Timing, current_rss
from benchmarks.operations import MODEL, VERSION, Settings, Sides, operations
from benchmarks.raw import RawStore
from benchmarks.scratch import scratch_urls
from benchmarks.workload import make_artifact
from mlte_store import ArtifactRepository


@dataclass
class Result:
    """What one (backend, N) run measured."""

    backend: str
    n: int
    timings: list[Timing] = field(default_factory=list)
    fill_per_s: float = 0.0
    stream_first_page_s: float = 0.0
    stream_last_page_s: float = 0.0
    stream_total_s: float = 0.0
    stream_rss_growth: int = 0
    stream_count: int = 0
    #: write_artifact with history on (store side) against history off (raw side), interleaved.
    history: Timing | None = None
    history_off_statements: float = 0.0
    #: Bytes of the store's database after the run, and of its revision table.
    store_bytes: int = 0
    history_bytes: int = 0


class Runner:
    def __init__(self, settings: Settings, progress: Progress) -> None:
        self.settings = settings
        self.progress = progress

    @contextmanager
    def _task(self, description: str, total: int) -> Iterator[Callable[[], None]]:
        task = self.progress.add_task(description, total=total)
        try:
            yield lambda: self.progress.advance(task)
        finally:
            self.progress.remove_task(task)

    def run(self, backend: str, n: int) -> Result:
        with scratch_urls(backend, 3) as urls, Sides.open(*urls) as sides:
            return self._workload(backend, n, sides)

    def _workload(self, backend: str, n: int, sides: Sides) -> Result:
        s, store = self.settings, sides.store
        result = Result(backend, n)
        pair = Pair(StatementCounter(store.engine), s.budget_s)
        label = f"{backend} N={n:,}"

        # Fill: the store one call per artifact (timed), the baselines in batches.
        with self._task(f"{label}: write {n:,} artifacts", n) as tick:
            started = time.perf_counter()
            for i in range(n):
                store.write_artifact(MODEL, VERSION, make_artifact(i))
                tick()
            result.fill_per_s = n / (time.perf_counter() - started)
            sides.fill_baselines(n)

        self._stream(store, result, label)
        for operation in operations(sides, n, s):
            with self._task(f"{label}: {operation.op}", len(operation.args)) as tick:
                timing = pair.run(
                    Timing(operation.op, items=operation.items),
                    operation.store,
                    operation.raw,
                    operation.args,
                    tick=tick,
                    minimal=operation.minimal,
                )
            result.timings.append(timing)

        self._history_cost(store, sides.plain, n, result, label)
        store_db = RawStore(store.engine.url.render_as_string(hide_password=False))
        try:
            result.store_bytes, result.history_bytes = store_db.size()
        finally:
            store_db.close()
        return result

    def _history_cost(
        self,
        store: ArtifactRepository,
        plain: ArtifactRepository,
        n: int,
        result: Result,
        label: str,
    ) -> None:
        """write_artifact with history on and off on the same database, calls alternating."""
        counter = StatementCounter(store.engine)
        off_statements: list[int] = []

        def off(artifact: object) -> None:
            before = counter.count
            plain.write_artifact(MODEL, VERSION, artifact)  # type: ignore[arg-type]
            off_statements.append(counter.count - before)

        calls = self.settings.single_calls
        artifacts = [make_artifact(n + 10 * calls + i) for i in range(2 * calls)]
        pairs: list[object] = [(artifacts[2 * i], artifacts[2 * i + 1]) for i in range(calls)]
        with self._task(f"{label}: history on vs off", calls) as tick:
            result.history = Pair(counter, self.settings.budget_s).run(
                Timing("write_artifact: history on vs off"),
                lambda p: store.write_artifact(MODEL, VERSION, p[0]),
                lambda p: off(p[1]),
                pairs,
                tick=tick,
            )
        result.history_off_statements = statistics.median(off_statements)

    def _stream(self, store: ArtifactRepository, result: Result, label: str) -> None:
        """Iterate every visible artifact: page times at the start and the end, memory growth.

        At least ten pages, so that the first and the last three can be compared.
        """
        page = max(1, min(self.settings.stream_page, result.n // 10))
        gc.collect()
        baseline = peak = current_rss()
        boundaries: list[float] = []
        count = 0
        with self._task(f"{label}: iter_artifacts", result.n) as tick:
            started = time.perf_counter()
            for count, _artifact in enumerate(
                store.iter_artifacts(MODEL, VERSION, page_size=page), 1
            ):
                if count % page == 0:
                    boundaries.append(time.perf_counter())
                    peak = max(peak, current_rss())
                tick()
            result.stream_total_s = time.perf_counter() - started
        pages = [b - a for a, b in zip([started, *boundaries], boundaries, strict=False)]
        result.stream_first_page_s = statistics.median(pages[:3])
        result.stream_last_page_s = statistics.median(pages[-3:])
        result.stream_rss_growth = max(peak, current_rss()) - baseline
        result.stream_count = count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes", default=None, help="comma-separated N (default 1000,10000,100000)"
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--quick", action="store_true", help="N = 1,000, fewer calls")
    parser.add_argument("--output", default=None, help="write the results as markdown here")
    args = parser.parse_args(argv)
    if args.quick:
        settings = Settings(
            sizes=[1_000],
            backends=[],
            single_calls=50,
            page_calls=10,
            search_calls=5,
            deletes=50,
            bulk=1_000,
            budget_s=5.0,
        )
    else:
        settings = Settings(sizes=[1_000, 10_000, 100_000], backends=[])
    if args.sizes:
        settings.sizes = [int(size) for size in args.sizes.split(",")]
    settings.backends = [b.strip() for b in args.backends.split(",") if b.strip()]

    console = Console(width=None if sys.stdout.isatty() else 150)
    started = time.time()
    load_before = report.load_average()
    results: list[Result] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        runner = Runner(settings, progress)
        for backend in settings.backends:
            for n in settings.sizes:
                result = runner.run(backend, n)
                results.append(result)
                progress.console.print(report.console_table(result))
    run = report.Run(
        results, started, time.time(), load_before, report.load_average(), settings.bulk
    )
    console.print(report.targets_table(run))
    if args.output:
        path = Path(args.output)
        path.write_text(report.markdown(run, path.read_text() if path.exists() else ""))
        console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
