"""The benchmark's timed operations, each written for the store and both baselines.

`Sides` opens the store, the same-work raw driver (benchmarks/raw.py) and the
minimal driver store (benchmarks/minimal.py) on three scratch databases of one
server; `operations` lists every timed operation with the three callables and
their arguments. benchmarks/run.py times them; tests/test_benchmarks.py runs
them at a tiny N and checks that the three sides give the same answers.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from benchmarks.minimal import MinimalStore
from benchmarks.raw import RawStore
from benchmarks.workload import (
    PROPERTY_PATH,
    PROPERTY_VALUE,
    TAG_PATH,
    TAG_VALUE,
    identifier,
    make_artifact,
)
from mlte_store import (
    Artifact,
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
    #: The values the Property and Tag searches look for (substrings, any case).
    property_value: str = PROPERTY_VALUE
    tag_value: str = TAG_VALUE


@dataclass
class Operation:
    """One timed operation: a callable per side, called once per argument."""

    op: str
    store: Callable[[Any], object]
    raw: Callable[[Any], object]
    minimal: Callable[[Any], object]
    args: list[Any]
    items: int = 1


@dataclass
class Sides:
    """The store and both baselines, each on its own database; parents created."""

    store: ArtifactRepository
    #: The store without revision history, on the store's engine.
    plain: ArtifactRepository
    raw: RawStore
    #: The same-work baseline without revision rows, on the raw database.
    raw_plain: RawStore
    minimal: MinimalStore
    raw_version: int = 0
    raw_bulk: int = 0

    @classmethod
    @contextmanager
    def open(cls, store_url: str, raw_url: str, minimal_url: str) -> Iterator[Sides]:
        """The three sides on migrated databases (the minimal one makes its own table)."""
        store = ArtifactRepository(store_url)
        sides = cls(
            store,
            ArtifactRepository(store.engine, history=False),
            RawStore(raw_url),
            RawStore(raw_url, history=False),
            MinimalStore(minimal_url),
        )
        try:
            store.create_model(MODEL)
            for version in (VERSION, BULK_VERSION):
                store.create_version(MODEL, version)
            _, sides.raw_version = sides.raw.create_parents(MODEL, VERSION)
            _, sides.raw_bulk = sides.raw.create_parents(MODEL, BULK_VERSION)
            sides.minimal.create_table()
            yield sides
        finally:
            for side in (sides.minimal, sides.raw_plain, sides.raw, sides.store):
                side.close()

    def fill_baselines(self, n: int, batch: int = 5_000) -> None:
        """Artifacts 0..n-1 into both baselines, in batches (the store's fill is timed apart)."""
        for start in range(0, n, batch):
            artifacts = [make_artifact(i) for i in range(start, min(n, start + batch))]
            self.raw.write_many(self.raw_version, artifacts)
            self.minimal.write_many(VERSION, [a.to_json() for a in artifacts])


def _writes(first: int, count: int) -> list[tuple[Artifact, dict[str, Any]]]:
    """New artifacts with their JSON (made before timing: each side gets what it takes)."""
    return [(a, a.to_json()) for a in (make_artifact(first + i) for i in range(count))]


def operations(sides: Sides, n: int, settings: Settings) -> list[Operation]:
    """Every timed operation in order, on a version filled with artifacts 0..n-1."""
    s, store, raw, minimal, plain = settings, sides.store, sides.raw, sides.minimal, sides.plain
    rng = random.Random(n)
    ids = [identifier(i) for i in rng.sample(range(n), min(n, s.single_calls))]
    deep = max(0, n - 100)
    ops = [
        Operation(
            "read_artifact",
            lambda a: store.read_artifact(MODEL, VERSION, a),
            lambda a: raw.read(MODEL, VERSION, a),
            lambda a: minimal.read(VERSION, a),
            ids,
        )
    ]
    for offset in (0, deep):
        ops.append(
            Operation(
                f"read_artifacts, offset {offset:,}",
                lambda o: store.read_artifacts(MODEL, VERSION, limit=100, offset=o),
                lambda o: raw.page(MODEL, VERSION, 100, o),
                lambda o: minimal.page(VERSION, 100, o),
                [offset] * s.page_calls,
            )
        )
    searches: list[tuple[str, Query, str, str]] = [
        (
            "Type",
            Query(filter=TypeFilter(item_type=ArtifactType.EVIDENCE)),
            "type",
            ArtifactType.EVIDENCE.value,
        ),
        (
            "Property",
            Query(filter=PropertyFilter(name=PROPERTY_PATH, property=s.property_value)),
            "property",
            f"{PROPERTY_PATH}={s.property_value}",
        ),
        (
            "Tag",
            Query(filter=TagFilter(name=TAG_PATH, tag=s.tag_value)),
            "tag",
            f"{TAG_PATH}={s.tag_value}",
        ),
    ]
    for name, *search in searches:  # search: (query, kind, value)
        ops.append(
            Operation(
                f"search: {name}",
                lambda a: store.search_artifacts(MODEL, VERSION, a[0]),
                lambda a: raw.search(MODEL, VERSION, a[1], a[2]),
                lambda a: minimal.search(VERSION, a[1], a[2]),
                [search] * s.search_calls,
            )
        )
    ops.append(
        Operation(
            "search: Identifier",
            lambda a: store.search_artifacts(MODEL, VERSION, Query(filter=IdentifierFilter(id=a))),
            lambda a: raw.search(MODEL, VERSION, "identifier", a),
            lambda a: minimal.search(VERSION, "identifier", a),
            ids[: s.search_calls],
        )
    )
    calls, version_pk = s.single_calls, sides.raw_version
    ops += [
        Operation(
            "write_artifact",
            lambda a: store.write_artifact(MODEL, VERSION, a[0]),
            lambda a: raw.write(version_pk, a[0]),
            lambda a: minimal.write(VERSION, a[1]),
            _writes(n, calls),
        ),
        Operation(
            "write_artifact_with_header",
            lambda a: store.write_artifact_with_header(MODEL, VERSION, a[0], user="bench"),
            lambda a: raw.write_with_header(version_pk, a[0], "bench"),
            lambda a: minimal.write_with_header(VERSION, a[1], "bench"),
            _writes(n + calls, calls),
        ),
    ]
    victims = [identifier(i) for i in rng.sample(range(n), min(n, 2 * s.deletes))]
    ops.append(
        Operation(
            "delete_artifact",
            lambda a: store.delete_artifact(MODEL, VERSION, a),
            lambda a: raw.delete(MODEL, VERSION, a),
            lambda a: minimal.delete(VERSION, a),
            victims[: len(victims) // 2],
        )
    )
    raw_plain = sides.raw_plain
    ops += [
        Operation(
            "write_artifact, history off",
            lambda a: plain.write_artifact(MODEL, VERSION, a[0]),
            lambda a: raw_plain.write(version_pk, a[0]),
            lambda a: minimal.write(VERSION, a[1]),
            _writes(n + 2 * calls, calls),
        ),
        Operation(
            "delete_artifact, history off",
            lambda a: plain.delete_artifact(MODEL, VERSION, a),
            lambda a: raw_plain.delete(MODEL, VERSION, a),
            lambda a: minimal.delete(VERSION, a),
            victims[len(victims) // 2 :],
        ),
    ]
    bulk = [make_artifact(i, "bulk-") for i in range(s.bulk)]
    ops.append(
        Operation(
            f"write_artifacts ({s.bulk:,} in one call)",
            lambda b: store.write_artifacts(MODEL, BULK_VERSION, b[0]),
            lambda b: raw.write_many(sides.raw_bulk, b[0]),
            lambda b: minimal.write_many(BULK_VERSION, b[1]),
            [(bulk, [a.to_json() for a in bulk])],
            items=s.bulk,
        )
    )
    return ops
