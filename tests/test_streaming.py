"""Keyset streaming, counting and sliced search, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from mlte_store import ArtifactRepository, ErrorInvalidInput, ErrorNotFound, Query, TypeFilter
from mlte_store.models import ArtifactLevel, ArtifactType

from .helpers import ids, make_artifact


@pytest.fixture
def filled(repo: ArtifactRepository) -> list[str]:
    """A version with 250 artifacts, some model-level, some sharing an identifier across levels."""
    names = [f"a{i:03d}" for i in range(230)]
    batch = [
        make_artifact(
            name, "card" if i % 3 == 0 else "report", level="model" if i % 10 == 0 else "version"
        )
        for i, name in enumerate(names)
    ]
    repo.write_artifacts("m", "v", batch, parents=True)
    shadowed = [f"a{i:03d}" for i in range(1, 230, 12)]
    repo.write_artifacts(
        "m", "other", [make_artifact(n, level="model") for n in shadowed], parents=True
    )
    # Every identifier in `shadowed` now has a version-level and a model-level artifact.
    return sorted(names + shadowed)


def test_iteration_yields_every_visible_artifact_once_in_order(
    repo: ArtifactRepository, filled: list[str]
) -> None:
    for page_size in (1, 7, 100, 10_000):
        streamed = list(repo.iter_artifacts("m", "v", page_size=page_size))
        assert ids(streamed) == filled
        levels = [(a.header.identifier, a.header.level.value) for a in streamed]
        assert len(set(levels)) == len(levels)
    assert ids(streamed) == ids(repo.read_artifacts("m", "v", limit=10_000))


def test_iteration_with_a_query_and_counting(repo: ArtifactRepository, filled: list[str]) -> None:
    cards = Query(filter=TypeFilter(item_type=ArtifactType.NEGOTIATION_CARD))
    expected = ids(repo.search_artifacts("m", "v", cards))
    assert ids(repo.iter_artifacts("m", "v", cards, page_size=9)) == expected
    assert repo.count_artifacts("m", "v", cards) == len(expected) > 0
    assert repo.count_artifacts("m", "v") == len(filled)
    # From "other": the 23 model-level artifacts of the batch and the 20 written through it.
    assert repo.count_artifacts("m", "other") == 43


def test_iteration_while_another_writer_inserts(
    repo: ArtifactRepository, filled: list[str]
) -> None:
    seen = []
    for i, artifact in enumerate(repo.iter_artifacts("m", "v", page_size=10)):
        seen.append(artifact.header.identifier)
        if i == 50:
            repo.write_artifact("m", "v", make_artifact("a000-late"))  # sorts before: not seen
            repo.write_artifact("m", "v", make_artifact("z-late"))  # sorts after: seen
    assert seen == [*filled, "z-late"]


def test_sliced_search_and_bad_arguments(repo: ArtifactRepository, filled: list[str]) -> None:
    assert ids(repo.search_artifacts("m", "v", limit=5, offset=3)) == filled[3:8]
    assert ids(repo.search_artifacts("m", "v", offset=240)) == filled[240:]
    with pytest.raises(ErrorInvalidInput):
        repo.search_artifacts("m", "v", limit=-1)
    with pytest.raises(ErrorInvalidInput):
        repo.search_artifacts("m", "v", offset=-1)
    with pytest.raises(ErrorInvalidInput):
        list(repo.iter_artifacts("m", "v", page_size=0))
    with pytest.raises(ErrorNotFound, match="version 'nope'"):
        list(repo.iter_artifacts("m", "nope"))
    with pytest.raises(ErrorNotFound, match="version 'nope'"):
        repo.count_artifacts("m", "nope")


def test_iteration_of_one_level(repo: ArtifactRepository, filled: list[str]) -> None:
    every = list(repo.iter_artifacts("m", "v", page_size=50))
    own = list(repo.iter_artifacts("m", "v", page_size=50, level="version"))
    model_level = list(repo.iter_artifacts("m", "v", page_size=7, level=ArtifactLevel.MODEL))
    assert {a.header.level.value for a in own} == {"version"}
    assert {a.header.level.value for a in model_level} == {"model"}
    assert len(own) + len(model_level) == len(every)
    assert ids(own) == [a.header.identifier for a in every if a.header.level.value == "version"]
    assert ids(model_level) == ids(repo.iter_artifacts("m", "other", level="model"))
    with pytest.raises(ErrorInvalidInput, match="level"):
        list(repo.iter_artifacts("m", "v", level="both"))
