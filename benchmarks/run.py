"""Run the workload of docs/contract.md section 7 on the store and on the raw driver, side by side.

    python -m benchmarks.run                      # N = 1,000, 10,000, 100,000; writes RESULTS.md
    python -m benchmarks.run --quick              # N = 1,000, fewer calls; prints only

For each backend and N: a scratch database for the store and one for the raw
driver (same server, same migrations), N artifacts written one call each,
then every operation timed, alternating store and raw calls.
"""

from __future__ import annotations

import argparse
import gc
import random
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
from benchmarks.raw import RawStore
from benchmarks.scratch import scratch_urls
from benchmarks.workload import (
    PROPERTY_PATH,
    PROPERTY_VALUE,
    TAG_PATH,
    TAG_VALUE,
    header_only,
    identifier,
    make_artifact,
)
from mlte_store import (
    ArtifactRepository,
    ArtifactType,
    IdentifierFilter,
    PropertyFilter,
    Query,
    TagFilter,
    TypeFilter,
)

MODEL, VERSION, BULK_VERSION = "bench-model", "v1", "bulk"


@dataclass
class Settings:
    sizes: list[int]
    backends: list[str]
    single_calls: int = 200  # reads and single writes
    page_calls: int = 20
    search_calls: int = 20
    deletes: int = 100
    bulk: int = 10_000
    budget_s: float = 20.0  # per operation and side, beyond the minimum of 3 calls
    stream_page: int = 500


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
        with scratch_urls(backend, 2) as (store_url, raw_url):
            store = ArtifactRepository(store_url)
            raw = RawStore(raw_url)
            try:
                return self._workload(backend, n, store, raw)
            finally:
                raw.close()
                store.close()

    def _workload(self, backend: str, n: int, store: ArtifactRepository, raw: RawStore) -> Result:
        s = self.settings
        rng = random.Random(n)
        result = Result(backend, n)
        counter = StatementCounter(store.engine)
        pair = Pair(counter, s.budget_s)
        label = f"{backend} N={n:,}"

        store.create_model(MODEL)
        store.create_version(MODEL, VERSION)
        _, raw_version = raw.create_parents(MODEL, VERSION)

        # Fill: the store one call per artifact (timed), the raw table in batches.
        with self._task(f"{label}: write {n:,} artifacts", n) as tick:
            started = time.perf_counter()
            for i in range(n):
                store.write_artifact(MODEL, VERSION, make_artifact(i))
                tick()
            result.fill_per_s = n / (time.perf_counter() - started)
            for start in range(0, n, 5_000):
                raw.write_many(
                    raw_version, [make_artifact(i) for i in range(start, min(n, start + 5_000))]
                )

        def timed(
            op: str,
            calls: int,
            store_fn: Callable[[object], object],
            raw_fn: Callable[[object], object] | None,
            args: list[object],
            items: int = 1,
        ) -> None:
            with self._task(f"{label}: {op}", min(calls, len(args))) as tick:
                timing = pair.run(
                    Timing(op, items=items), store_fn, raw_fn, args[:calls], tick=tick
                )
            result.timings.append(timing)

        ids = [identifier(i) for i in rng.sample(range(n), min(n, s.single_calls))]
        timed(
            "read_artifact",
            s.single_calls,
            lambda a: store.read_artifact(MODEL, VERSION, str(a)),
            lambda a: raw.read(MODEL, VERSION, str(a)),
            list(ids),
        )
        timed(
            "read_artifacts, offset 0",
            s.page_calls,
            lambda _: store.read_artifacts(MODEL, VERSION, limit=100, offset=0),
            lambda _: raw.page(MODEL, VERSION, 100, 0),
            [None] * s.page_calls,
        )
        deep = max(0, n - 100)
        timed(
            f"read_artifacts, offset {deep:,}",
            s.page_calls,
            lambda _: store.read_artifacts(MODEL, VERSION, limit=100, offset=deep),
            lambda _: raw.page(MODEL, VERSION, 100, deep),
            [None] * s.page_calls,
        )

        searches: list[tuple[str, Query, str, str]] = [
            (
                "search: Type",
                Query(filter=TypeFilter(item_type=ArtifactType.EVIDENCE)),
                "type",
                ArtifactType.EVIDENCE.value,
            ),
            (
                "search: Property",
                Query(filter=PropertyFilter(name=PROPERTY_PATH, property=PROPERTY_VALUE)),
                "property",
                f"{PROPERTY_PATH}={PROPERTY_VALUE}",
            ),
            (
                "search: Tag",
                Query(filter=TagFilter(name=TAG_PATH, tag=TAG_VALUE)),
                "tag",
                f"{TAG_PATH}={TAG_VALUE}",
            ),
        ]
        for op, query, kind, value in searches:
            timed(
                op,
                s.search_calls,
                lambda _, q=query: store.search_artifacts(MODEL, VERSION, q),
                lambda _, k=kind, v=value: raw.search(MODEL, VERSION, k, v),
                [None] * s.search_calls,
            )
        timed(
            "search: Identifier",
            s.search_calls,
            lambda a: store.search_artifacts(
                MODEL, VERSION, Query(filter=IdentifierFilter(id=str(a)))
            ),
            lambda a: raw.search(MODEL, VERSION, "identifier", str(a)),
            list(ids),
        )

        self._stream(store, result, label)

        singles = [make_artifact(n + i) for i in range(2 * s.single_calls)]
        timed(
            "write_artifact",
            s.single_calls,
            lambda a: store.write_artifact(MODEL, VERSION, a),  # type: ignore[arg-type]
            lambda a: raw.write(raw_version, header_only(a, "raw-" + a.header.identifier)),  # type: ignore[attr-defined]
            list(singles[: s.single_calls]),
        )
        timed(
            "write_artifact_with_header",
            s.single_calls,
            lambda a: store.write_artifact_with_header(MODEL, VERSION, a, user="bench"),  # type: ignore[arg-type]
            lambda a: raw.write(raw_version, header_only(a, "raw-" + a.header.identifier)),  # type: ignore[attr-defined]
            list(singles[s.single_calls :]),
        )
        victims = [identifier(i) for i in rng.sample(range(n), min(n, s.deletes))]
        timed(
            "delete_artifact",
            s.deletes,
            lambda a: store.delete_artifact(MODEL, VERSION, str(a)),
            lambda a: raw.delete(MODEL, VERSION, str(a)),
            list(victims),
        )

        self._history_cost(store, n, result, label)

        store.create_version(MODEL, BULK_VERSION)
        _, raw_bulk = raw.create_parents(MODEL, BULK_VERSION)
        batch = [make_artifact(i, "bulk-") for i in range(s.bulk)]
        timed(
            f"write_artifacts ({s.bulk:,} in one call)",
            1,
            lambda b: store.write_artifacts(MODEL, BULK_VERSION, b),  # type: ignore[arg-type]
            lambda b: raw.write_many(raw_bulk, b),  # type: ignore[arg-type]
            [batch],
            items=s.bulk,
        )
        store_db = RawStore(store.engine.url.render_as_string(hide_password=False))
        try:
            result.store_bytes, result.history_bytes = store_db.size()
        finally:
            store_db.close()
        return result

    def _history_cost(self, store: ArtifactRepository, n: int, result: Result, label: str) -> None:
        """write_artifact with history on and off on the same database, calls alternating."""
        plain = ArtifactRepository(store.engine, history=False)
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
                lambda p: store.write_artifact(MODEL, VERSION, p[0]),  # type: ignore[index]
                lambda p: off(p[1]),  # type: ignore[index]
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
