"""Concurrent writers (threads and processes) on SQLite and PostgreSQL lose nothing.

Workloads per backend (the figures docs/guarantees.md quotes):
PostgreSQL 8 threads and 4 processes, a SQLite file 4 threads and 2 processes,
each writer with its own repository writing 200 artifacts with `parents=True`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from collections.abc import Callable
from typing import Any

import pytest

from mlte_store import ArtifactRepository, ErrorAlreadyExists, ErrorNotFound, Model, Version
from mlte_store.tables import ArtifactRow, ModelRow, VersionRow

from .helpers import count_rows, make_artifact

ARTIFACTS_PER_WRITER = 200
THREADS = {"postgresql": 8, "sqlite": 4}
PROCESSES = {"postgresql": 4, "sqlite": 2}
RACERS = 8
FORCE_ROUNDS = 50


def run_threads(count: int, target: Callable[[int, threading.Barrier], None]) -> list[str]:
    """Run `target(n, barrier)` in `count` threads started together; return their errors."""
    barrier = threading.Barrier(count)
    errors: list[str] = []

    def guarded(n: int) -> None:
        try:
            target(n, barrier)
        except BaseException as exc:
            errors.append(f"writer {n}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def write_many(url: str, writer: int, barrier: Any) -> list[str]:
    """One writer's workload: 200 distinct artifacts into m/v, creating the parents."""
    errors: list[str] = []
    with ArtifactRepository(url) as repo:
        barrier.wait()
        for i in range(ARTIFACTS_PER_WRITER):
            try:
                repo.write_artifact(
                    "m", "v", make_artifact(f"w{writer}-{i:03d}", n=i), parents=True
                )
            except Exception as exc:
                errors.append(f"writer {writer}, artifact {i}: {type(exc).__name__}: {exc}")
    return errors


def _process_writer(url: str, writer: int, barrier: Any, results: Any) -> None:
    """Entry point of a spawned writer process: report its errors through the queue."""
    try:
        results.put(write_many(url, writer, barrier))
    except BaseException as exc:
        results.put([f"writer {writer} crashed: {type(exc).__name__}: {exc}"])


def assert_everything_stored(url: str, writers: int) -> None:
    with ArtifactRepository(url) as repo:
        stored = [a.header.identifier for a in repo.iter_artifacts("m", "v")]
        expected = sorted(
            f"w{w}-{i:03d}" for w in range(writers) for i in range(ARTIFACTS_PER_WRITER)
        )
        assert stored == expected
        assert count_rows(repo, ModelRow) == 1
        assert count_rows(repo, VersionRow) == 1


def test_concurrent_thread_writers_with_parents_lose_nothing(store_url: str, backend: str) -> None:
    writers = THREADS[backend]

    def writer(n: int, barrier: threading.Barrier) -> None:
        errors = write_many(store_url, n, barrier)
        assert not errors, errors

    assert run_threads(writers, writer) == []
    assert_everything_stored(store_url, writers)


def test_concurrent_process_writers_with_parents_lose_nothing(store_url: str, backend: str) -> None:
    writers = PROCESSES[backend]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(writers)
    results = context.Queue()
    processes = [
        context.Process(target=_process_writer, args=(store_url, n, barrier, results))
        for n in range(writers)
    ]
    for process in processes:
        process.start()
    errors = [error for _ in processes for error in results.get(timeout=300)]
    for process in processes:
        process.join(timeout=60)
    assert errors == []
    assert [process.exitcode for process in processes] == [0] * writers
    assert_everything_stored(store_url, writers)


def test_racing_writers_of_one_new_identifier_one_wins(store_url: str) -> None:
    with ArtifactRepository(store_url) as repo:
        repo.create_model(Model(identifier="m", versions=[Version(identifier="v")]))
    outcomes: list[str] = []

    def writer(n: int, barrier: threading.Barrier) -> None:
        with ArtifactRepository(store_url) as own:
            barrier.wait()
            try:
                own.write_artifact("m", "v", make_artifact("same", note=str(n)))
                outcomes.append(str(n))
            except ErrorAlreadyExists as exc:
                assert "model 'm', version 'v', artifact 'same'" in str(exc)
                outcomes.append("exists")

    assert run_threads(RACERS, writer) == []
    assert outcomes.count("exists") == RACERS - 1
    (winner,) = [o for o in outcomes if o != "exists"]
    with ArtifactRepository(store_url) as repo:
        assert count_rows(repo, ArtifactRow) == 1
        assert repo.read_artifact("m", "v", "same").body["note"] == winner


def overwrite_body(writer: int, round_: int) -> dict[str, Any]:
    """A body only this writer and round produce, large enough that a mix would show."""
    return {
        "artifact_type": "evidence",
        "writer": writer,
        "round": round_,
        "payload": [f"{writer}:{round_}:{k}" for k in range(200)],
    }


def test_racing_forced_overwrites_leave_one_whole_artifact(store_url: str) -> None:
    """Even writers write at model level, odd ones at version level: force replaces both."""
    with ArtifactRepository(store_url) as repo:
        repo.create_model(Model(identifier="m", versions=[Version(identifier="v")]))

    def writer(n: int, barrier: threading.Barrier) -> None:
        level = "model" if n % 2 == 0 else "version"
        with ArtifactRepository(store_url) as own:
            barrier.wait()
            for round_ in range(FORCE_ROUNDS):
                artifact = make_artifact("same", level=level)
                artifact.body.update(overwrite_body(n, round_))
                own.write_artifact("m", "v", artifact, force=True)

    assert run_threads(RACERS, writer) == []
    with ArtifactRepository(store_url) as repo:
        assert count_rows(repo, ArtifactRow) == 1
        stored = repo.read_artifact("m", "v", "same")
        writer, round_ = stored.body["writer"], stored.body["round"]
        assert stored.body == overwrite_body(writer, round_)
        assert stored.header.level.value == ("model" if writer % 2 == 0 else "version")


@pytest.mark.parametrize("level", ["model", "version"])
def test_concurrent_writes_and_deletes_of_one_model_stay_consistent(
    store_url: str, level: str
) -> None:
    """Writers with `parents=True` race a deleter of their version: every write succeeds."""
    with ArtifactRepository(store_url) as repo:
        repo.create_model(Model(identifier="m", versions=[Version(identifier="v")]))

    def worker(n: int, barrier: threading.Barrier) -> None:
        with ArtifactRepository(store_url) as own:
            barrier.wait()
            for i in range(25):
                if n == 0:
                    own.write_artifact("m", "v", make_artifact(f"d{i}", level=level), parents=True)
                    own.delete_version("m", "v")
                else:
                    own.write_artifact(
                        "m", "v", make_artifact(f"w{n}-{i}", level=level), parents=True
                    )

    assert run_threads(4, worker) == []
    with ArtifactRepository(store_url) as repo:
        assert count_rows(repo, ModelRow) == 1
        assert repo.list_versions("m") in ([], ["v"])
        if level == "model":  # deleting a version keeps model-level artifacts
            assert count_rows(repo, ArtifactRow) == 4 * 25


def test_racing_overwrites_and_deletes_keep_each_history_gap_free(store_url: str) -> None:
    """Forced writers at both levels race deleters of the same identifier: each level's
    history is numbered 1, 2, 3... without a gap or a repeat."""
    with ArtifactRepository(store_url) as repo:
        repo.create_model(Model(identifier="m", versions=[Version(identifier="v")]))

    def worker(n: int, barrier: threading.Barrier) -> None:
        with ArtifactRepository(store_url) as own:
            barrier.wait()
            for round_ in range(FORCE_ROUNDS // 2):
                if n % 3 == 2:
                    with contextlib.suppress(ErrorNotFound):
                        own.delete_artifact("m", "v", "same")
                    continue
                artifact = make_artifact("same", level="model" if n % 3 == 0 else "version")
                artifact.body.update(overwrite_body(n, round_))
                own.write_artifact("m", "v", artifact, force=True)

    assert run_threads(6, worker) == []
    with ArtifactRepository(store_url) as repo:
        for level in ("model", "version"):
            history = repo.read_artifact_history("m", "v", "same", level=level)
            numbers = [entry.revision for entry in history]
            assert numbers == list(range(1, len(numbers) + 1)), level
