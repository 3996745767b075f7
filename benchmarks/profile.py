"""Profile the store's per-call overhead with pyinstrument: write, read and search.

    python -m benchmarks.profile [--backend sqlite|postgresql] [--n 1000]

Fills a scratch store with N artifacts, then profiles a few hundred calls of
each operation and prints pyinstrument's call tree (time in the library,
SQLAlchemy, pydantic and the driver).
"""

from __future__ import annotations

import argparse
import random

from pyinstrument import Profiler

from benchmarks.scratch import scratch_urls
from benchmarks.workload import PROPERTY_PATH, PROPERTY_VALUE, identifier, make_artifact
from mlte_store import ArtifactRepository, PropertyFilter, Query

MODEL, VERSION = "profile-model", "v1"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--n", type=int, default=1_000)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args(argv)
    rng = random.Random(0)
    with scratch_urls(args.backend, 1) as (url,), ArtifactRepository(url) as store:
        store.write_artifacts(
            MODEL, VERSION, (make_artifact(i) for i in range(args.n)), parents=True
        )
        writes = [make_artifact(args.n + i) for i in range(args.calls)]
        reads = [identifier(rng.randrange(args.n)) for _ in range(args.calls)]
        query = Query(filter=PropertyFilter(name=PROPERTY_PATH, property=PROPERTY_VALUE))
        operations = {
            "write_artifact": lambda i: store.write_artifact(MODEL, VERSION, writes[i]),
            "read_artifact": lambda i: store.read_artifact(MODEL, VERSION, reads[i]),
            "read_artifacts (page of 100)": lambda i: store.read_artifacts(MODEL, VERSION),
            "search_artifacts (Property)": lambda i: store.search_artifacts(MODEL, VERSION, query),
        }
        for name, operation in operations.items():
            calls = args.calls if "page" not in name and "search" not in name else args.calls // 10
            profiler = Profiler(interval=0.0002)
            with profiler:
                for i in range(calls):
                    operation(i)
            print(f"\n===== {name}: {calls} calls on {args.backend}, N={args.n:,} =====")
            print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
