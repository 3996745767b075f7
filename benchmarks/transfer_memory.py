"""Peak memory of `dump`, `load` and `copy` at two store sizes: is it flat?

Each step runs in its own process and reports its peak resident set size
(ru_maxrss), so the figures do not mix. If memory is flat, the peak at the
larger N is close to the peak at the smaller one.

    .venv/bin/python benchmarks/transfer_memory.py [N ...]      (default 2000 20000)

Uses SQLite files in a temporary folder.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mlte_store import ArtifactRepository, migrate, transfer
from mlte_store.models import ArtifactType
from mlte_store.samples import sample_artifact

TYPES = list(ArtifactType)


def _fill(url: str, n: int) -> None:
    """N artifacts, each written twice (two revisions of history each)."""
    migrate.upgrade(url)
    with ArtifactRepository(url) as repo:
        for rewrite in (0, n):
            for start in range(0, n, 1000):
                batch = [
                    sample_artifact(TYPES[i % len(TYPES)], f"artifact-{i:07d}", index=i + rewrite)
                    for i in range(start, min(n, start + 1000))
                ]
                version = f"v{start // 5000}"
                repo.write_artifacts("model", version, batch, parents=True, force=True)


def _step(step: str, a: str, b: str) -> None:
    """One measured step in this process; prints JSON with its peak RSS."""
    started = time.perf_counter()
    history = step.endswith("history")
    if step.startswith("dump"):
        with ArtifactRepository(a) as repo:
            summary = transfer.dump(repo, Path(b), history=history)
    elif step.startswith("load"):
        migrate.upgrade(b)
        with ArtifactRepository(b) as repo:
            summary = transfer.load(repo, Path(a))
    else:
        migrate.upgrade(b)
        with ArtifactRepository(a) as source, ArtifactRepository(b) as target:
            summary = transfer.copy(source, target, history=history)
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "artifacts": summary.artifacts,
                "revisions": summary.revisions,
                "seconds": seconds,
                "peak_mib": peak_mib,
            }
        )
    )


def _measure(step: str, a: str, b: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--step", step, a, b], capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main(sizes: list[int]) -> None:
    print("| N | step | artifacts | revisions | seconds | peak RSS (MiB) |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    for n in sizes:
        with tempfile.TemporaryDirectory() as folder:
            source = f"sqlite:///{folder}/source.db"
            subprocess.run([sys.executable, __file__, "--fill", source, str(n)], check=True)
            dump_file, history_file = f"{folder}/store.jsonl", f"{folder}/history.jsonl"
            steps = [
                ("dump", source, dump_file),
                ("load", dump_file, f"sqlite:///{folder}/loaded.db"),
                ("copy", source, f"sqlite:///{folder}/copied.db"),
                ("dump with history", source, history_file),
                ("load with history", history_file, f"sqlite:///{folder}/loaded-h.db"),
                ("copy with history", source, f"sqlite:///{folder}/copied-h.db"),
            ]
            for step, a, b in steps:
                row = _measure(step, a, b)
                print(
                    f"| {n:,} | {step} (SQLite) | {int(row['artifacts']):,} | "
                    f"{int(row['revisions']):,} | {row['seconds']:.1f} | {row['peak_mib']:.0f} |",
                    flush=True,
                )
            for name, path in (("dump", dump_file), ("dump with history", history_file)):
                size = os.path.getsize(path) / 2**20
                print(f"| {n:,} | {name} file size | | | | {size:.0f} MiB on disk |", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--step"]:
        _step(*sys.argv[2:5])
    elif sys.argv[1:2] == ["--fill"]:
        _fill(sys.argv[2], int(sys.argv[3]))
    else:
        main([int(arg) for arg in sys.argv[1:]] or [2000, 20000])
