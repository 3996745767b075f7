"""The benchmark's three sides (store, same-work raw driver, minimal store) give the same answers.

Runs every timed operation of benchmarks/operations.py once per argument at a
tiny N, so that a schema or API change cannot silently break a baseline.
Nothing is timed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.operations import BULK_VERSION, MODEL, VERSION, Settings, Sides, operations
from benchmarks.workload import make_artifact
from mlte_store import Artifact, migrate

N = 50
SETTINGS = Settings(
    sizes=[N],
    backends=[],
    single_calls=4,
    page_calls=1,
    search_calls=2,
    deletes=3,
    bulk=5,
    # Values that match a few of the first N artifacts (the benchmark's match at larger N).
    property_value="ACCURACY_1",
    tag_value="rELEASE",  # "Release": case folded on both sides
)


def _answer(value: Any) -> Any:
    """MLTE's JSON of what a side returned (the store returns entities, the baselines dicts)."""
    if isinstance(value, Artifact):
        return value.to_json()
    if isinstance(value, list):
        return [_answer(item) for item in value]
    return value


def _unstamped(artifacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The artifacts with the timestamps that `write_artifact_with_header` set left out."""
    return [
        {**a, "header": {**a["header"], "timestamp": None}}
        if a["header"]["creator"] == "bench"
        else a
        for a in artifacts
    ]


def test_store_and_baselines_agree(store_url: str, empty_url_factory: Callable[[], str]) -> None:
    raw_url = empty_url_factory()
    migrate.upgrade(raw_url)
    with Sides.open(store_url, raw_url, empty_url_factory()) as sides:
        for i in range(N):
            sides.store.write_artifact(MODEL, VERSION, make_artifact(i))
        sides.fill_baselines(N, batch=20)

        ops = operations(sides, N, SETTINGS)
        for operation in ops:
            for arg in operation.args:
                store, raw, minimal = (
                    _answer(side(arg))
                    for side in (operation.store, operation.raw, operation.minimal)
                )
                if operation.op.startswith(("read", "search", "delete")):
                    assert store, operation.op  # every read, search and delete finds something
                    assert raw == store, operation.op
                    assert minimal == store, operation.op

        # What the writes wrote (and the deletes left): the same on every side.
        for version in (VERSION, BULK_VERSION):
            store = _answer(sides.store.read_artifacts(MODEL, version, limit=1000))
            raw = sides.raw.page(MODEL, version, 1000, 0)
            minimal = sides.minimal.page(version, 1000, 0)
            assert len(store) == (N + 3 * 4 - 2 * 3 if version == VERSION else 5)
            assert _unstamped(raw) == _unstamped(store)
            assert _unstamped(minimal) == _unstamped(store)
            stamps = [
                [a["header"]["timestamp"] for a in side if a["header"]["creator"] == "bench"]
                for side in (store, raw, minimal)
            ]
            assert len(stamps[0]) == (4 if version == VERSION else 0)
            for times in zip(*stamps, strict=True):
                assert max(times) - min(times) <= 2  # stamped with now, seconds apart at most
    assert [op.op for op in ops] == [
        "read_artifact",
        "read_artifacts, offset 0",
        "read_artifacts, offset 0",
        "search: Type",
        "search: Property",
        "search: Tag",
        "search: Identifier",
        "write_artifact",
        "write_artifact_with_header",
        "delete_artifact",
        "write_artifact, history off",
        "delete_artifact, history off",
        "write_artifacts (5 in one call)",
    ]
