"""HTTP throughput: `mlte-store serve --workers 2` against MLTE 2.7.0's own backend, side by side.

    python -m benchmarks.http                    # N = 1,000, both backends; writes RESULTS.md
    python -m benchmarks.http --print-only       # prints the markdown instead
    python -m benchmarks.http --no-peer --sizes 50 --concurrency 1 --budget 1

For each backend (a SQLite file; a scratch PostgreSQL database) both servers
run on their own scratch database of the same server and get the same N
artifacts (ours one POST each; MLTE's through its store library, as its HTTP
write of a test suite scans the version), then every operation runs at each concurrency
(threads, each with its own keep-alive connection), our block and the peer's
block one after the other, the order alternating, so both see the same load.
A block stops by itself after `--max-requests` requests or `--budget` seconds
(requests in flight then finish). At concurrency 1 a direct library call
(`ArtifactRepository.read_artifact` on our server's database) alternates with
our HTTP read, for the ratio HTTP / direct.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks import http_report
from benchmarks.http_bodies import (
    PROPERTY_PATH,
    PROPERTY_VALUE,
    artifact_id,
    artifact_json,
    readable,
)
from benchmarks.http_servers import Target, fill_mlte_store, mlte_backend, our_server
from benchmarks.scratch import scratch_urls
from mlte_store import ArtifactRepository

MODEL, VERSION = "bench-model", "v1"
BASE = f"/model/{MODEL}/version/{VERSION}/artifact"
SCANS = ("page of 100", "search: Identifier", "search: Type", "search: Property")
OPS = ("write", "read", *SCANS, "delete")
JSON = {"Content-Type": "application/json"}

#: (method, path relative to the API, body).
Request = tuple[str, str, bytes | None]


@dataclass
class Cell:
    """One block: an operation at one concurrency on one server."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    wall: float = 0.0
    #: Artifacts in the first successful answer of a page or search.
    items: int | None = None
    #: Identifiers of the artifacts a write block wrote (for the deletes).
    written: list[str] = field(default_factory=list)

    @property
    def per_s(self) -> float:
        """Successful (200) answers per second of the block's wall time."""
        return self.statuses[200] / self.wall if self.wall else 0.0

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    @property
    def failures(self) -> int:
        return sum(count for status, count in self.statuses.items() if status != 200)


@dataclass
class Result:
    """What one backend measured: cells by (op, concurrency, server name)."""

    backend: str
    n: int
    cells: dict[tuple[str, int, str], Cell] = field(default_factory=dict)
    fill_per_s: dict[str, float] = field(default_factory=dict)
    #: Peer blocks not run, (op, concurrency) -> their estimated duration in seconds.
    skipped: dict[tuple[str, int], float] = field(default_factory=dict)
    http_read: list[float] = field(default_factory=list)
    direct_read: list[float] = field(default_factory=list)

    @property
    def http_over_direct(self) -> float | None:
        if not self.http_read or not self.direct_read:
            return None
        return statistics.median(self.http_read) / statistics.median(self.direct_read)


@dataclass
class Settings:
    n: int = 1_000
    backends: tuple[str, ...] = ("sqlite", "postgresql")
    concurrency: tuple[int, ...] = (1, 8, 32)
    budget_s: float = 3.0
    max_requests: int = 2_000
    peer: bool = True
    direct_calls: int = 300
    #: A peer block is skipped if concurrency x its mean latency at concurrency 1
    #: exceeds this (each client sends at least one request).
    peer_block_limit_s: float = 60.0


def run_block(target: Target, requests: list[Request], concurrency: int, budget_s: float) -> Cell:
    """`requests` sent by `concurrency` threads, each on its own connection, until they or
    `budget_s` run out; latencies, statuses and the wall time of the whole block."""
    cell = Cell()
    lock = threading.Lock()
    next_index = itertools.count()
    start = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def worker() -> None:
        with target.client() as client:
            client.get("/healthz")  # the connection is open before the clock starts
            start.wait()
            while time.perf_counter() < deadline[0]:
                k = next(next_index)
                if k >= len(requests):
                    return
                method, path, body = requests[k]
                t0 = time.perf_counter()
                try:
                    answer = client.request(
                        method, path, content=body, headers=JSON if body else None
                    )
                except httpx.TransportError:  # no answer in time (status 0), or refused
                    with lock:
                        cell.latencies.append(time.perf_counter() - t0)
                        cell.statuses[0] += 1
                    continue
                elapsed = time.perf_counter() - t0
                with lock:
                    cell.latencies.append(elapsed)
                    cell.statuses[answer.status_code] += 1
                    if answer.status_code != 200:
                        continue
                    if method == "POST" and path == BASE:
                        cell.written.append(answer.json()["artifact"]["header"]["identifier"])
                    elif cell.items is None and (path.endswith("/search") or "?" in path):
                        cell.items = _items(answer.content)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + 3600
    start.wait()
    began = time.perf_counter()
    deadline[0] = began + budget_s
    for thread in threads:
        thread.join()
    cell.wall = time.perf_counter() - began
    return cell


def _items(content: bytes) -> int:
    """Artifacts in an answer: a list's length, else 1."""
    value = json.loads(content)
    return len(value) if isinstance(value, list) else 1


def write_request(i: int, prefix: str = "", parents: bool = False) -> Request:
    body = {"artifact": artifact_json(i, prefix), "force": False, "parents": parents}
    return ("POST", BASE, json.dumps(body).encode())


def search_request(filter_: dict[str, object]) -> Request:
    return ("POST", f"{BASE}/search", json.dumps({"filter": filter_}).encode())


class Runner:
    """The workload on one backend: fill both servers, then every (op, concurrency) block."""

    def __init__(self, settings: Settings, log: bool = True) -> None:
        self.settings = settings
        self.log = log

    def say(self, text: str) -> None:
        if self.log:
            print(text, flush=True)

    def run(self, backend: str) -> Result:
        s = self.settings
        result = Result(backend, s.n)
        with ExitStack() as stack:
            ours_url, peer_url = stack.enter_context(scratch_urls(backend, 2, upgrade=False))
            targets = [stack.enter_context(our_server(ours_url))]
            self._fill(targets[0], result, ours_url)
            if s.peer:
                peer_uri = _mlte_uri(peer_url)
                targets.append(stack.enter_context(mlte_backend(peer_uri)))
                self._fill(targets[1], result, peer_uri)
            self._operations(targets, result)
            with _repository(ours_url) as repository:
                self._direct(targets[0], repository, result)
        return result

    def _fill(self, target: Target, result: Result, store_uri: str) -> None:
        """N artifacts: the first alone over HTTP (creating model and version), then ours one
        POST each from 8 clients, the peer's through MLTE's store library (`fill_mlte_store`)."""
        s = self.settings
        first = run_block(target, [write_request(0, parents=True)], 1, 60)
        if first.statuses != Counter({200: 1}):
            raise RuntimeError(f"{target.name}: the first write failed: {dict(first.statuses)}")
        started = time.perf_counter()
        if target.name == "ours":
            cell = run_block(target, [write_request(i) for i in range(1, s.n)], 8, 24 * 3600)
            if cell.failures:
                raise RuntimeError(f"{target.name}: fill failed: {dict(cell.statuses)}")
        else:
            artifacts = (artifact_json(i) for i in range(1, s.n))
            fill_mlte_store(store_uri, MODEL, VERSION, artifacts)
        rate = s.n / (time.perf_counter() - started)
        result.fill_per_s[target.name] = rate
        self.say(f"{result.backend}: {target.name} filled with {s.n:,} at {rate:,.0f}/s")

    def _requests(self, op: str, rng: random.Random, count: int, block: int) -> list[Request]:
        n = self.settings.n
        if op == "write":
            prefix = f"w{block}-"
            return [write_request(n + i, prefix) for i in range(count)]
        ids = [i for i in range(n) if readable(i)]
        if op == "read":
            return [("GET", f"{BASE}/{artifact_id(rng.choice(ids))}", None) for _ in range(count)]
        if op == "page of 100":
            return [("GET", f"{BASE}?limit=100&offset=0", None)] * count
        if op == "search: Identifier":
            chosen = (artifact_id(rng.choice(ids)) for _ in range(count))
            return [search_request({"type": "identifier", "id": a}) for a in chosen]
        if op == "search: Type":
            return [search_request({"type": "type", "item_type": "evidence"})] * count
        if op == "search: Property":
            filter_ = {"type": "property", "name": PROPERTY_PATH, "property": PROPERTY_VALUE}
            return [search_request(filter_)] * count
        raise ValueError(op)

    def _operations(self, targets: list[Target], result: Result) -> None:
        s = self.settings
        rng = random.Random(s.n)
        written: dict[str, list[str]] = {t.name: [] for t in targets}
        levels = len(s.concurrency)
        for block, (op, level) in enumerate(itertools.product(OPS, s.concurrency)):
            shared = None if op == "delete" else self._requests(op, rng, s.max_requests, block)
            order = targets if block % 2 == 0 else targets[::-1]
            for target in order:
                if self._skip(op, level, target, result):
                    continue
                if shared is None:  # what this server's write blocks wrote, a share per level
                    victims = written[target.name][s.concurrency.index(level) :: levels]
                    requests: list[Request] = [("DELETE", f"{BASE}/{a}", None) for a in victims]
                else:
                    requests = shared
                cell = run_block(target, requests, level, s.budget_s)
                if op == "write":
                    written[target.name] += cell.written
                result.cells[op, level, target.name] = cell
                self.say(
                    f"{result.backend}: {op} x{level} {target.name}: {cell.per_s:,.1f}/s, "
                    f"p50 {cell.quantile(0.5) * 1000:.1f} ms, {dict(cell.statuses)}"
                )

    def _skip(self, op: str, level: int, target: Target, result: Result) -> bool:
        """Whether to skip a peer block that would take too long (noted in result): each
        client sends at least one request, so it takes about clients x the mean time of one
        at concurrency 1 (the peer is one process)."""
        single = result.cells.get((op, 1, target.name))
        if target.name == "ours" or level == 1 or single is None or not single.latencies:
            return False
        estimate = level * statistics.mean(single.latencies)
        if estimate <= self.settings.peer_block_limit_s:
            return False
        result.skipped[op, level] = estimate
        self.say(f"{result.backend}: {op} x{level} {target.name}: skipped (~{estimate:.0f} s)")
        return True

    def _direct(self, target: Target, repository: ArtifactRepository, result: Result) -> None:
        """Our HTTP read and the library's read_artifact alternating, one call at a time."""
        rng = random.Random(-self.settings.n)
        ids = [i for i in range(self.settings.n) if readable(i)]
        with target.client() as client:
            client.get("/healthz")
            for _ in range(self.settings.direct_calls):
                identifier = artifact_id(rng.choice(ids))
                t0 = time.perf_counter()
                answer = client.get(f"{BASE}/{identifier}")
                result.http_read.append(time.perf_counter() - t0)
                if answer.status_code != 200:
                    raise RuntimeError(f"read {identifier}: {answer.status_code}")
                t0 = time.perf_counter()
                repository.read_artifact(MODEL, VERSION, identifier)
                result.direct_read.append(time.perf_counter() - t0)


@contextmanager
def _repository(url: str) -> Iterator[ArtifactRepository]:
    repository = ArtifactRepository(url)
    try:
        yield repository
    finally:
        repository.close()


def _mlte_uri(url: str) -> str:
    """MLTE's store URI for a scratch database: psycopg2, not SQLAlchemy's default psycopg 3."""
    return url.replace("postgresql://", "postgresql+psycopg2://", 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, default=1_000, help="N artifacts (default 1,000)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated client counts")
    parser.add_argument("--budget", type=float, default=3.0, help="seconds per block (3)")
    parser.add_argument("--max-requests", type=int, default=2_000, help="per block (2,000)")
    parser.add_argument("--no-peer", action="store_true", help="our server only")
    parser.add_argument("--print-only", action="store_true", help="print, do not write")
    parser.add_argument("--output", default="benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    settings = Settings(
        n=args.sizes,
        backends=tuple(b.strip() for b in args.backends.split(",") if b.strip()),
        concurrency=tuple(int(c) for c in args.concurrency.split(",")),
        budget_s=args.budget,
        max_requests=args.max_requests,
        peer=not args.no_peer,
    )
    started, load_before = time.time(), http_report.load_average()
    runner = Runner(settings)
    results = [runner.run(backend) for backend in settings.backends]
    section = http_report.markdown(
        results, settings, started, time.time(), load_before, http_report.load_average()
    )
    if args.print_only:
        print(section)
        return
    path = Path(args.output)
    path.write_text(http_report.replace_section(path.read_text() if path.exists() else "", section))
    print(section)
    print(f"wrote the HTTP section of {path}")


if __name__ == "__main__":
    main()
