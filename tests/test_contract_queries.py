"""Queries of one shape asked again with other values, and empty And/Or, on both backends.

docs/queries.md: every filter runs in SQL and in Python (`match()`) with the same
result. A repository reuses one SQL statement per filter shape, so the values of one
search must never leak into the next search of the same shape, at any nesting.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mlte_store import (
    AndFilter,
    Artifact,
    ArtifactRepository,
    IdentifierFilter,
    OrFilter,
    PropertyFilter,
    Query,
    TagFilter,
    TypeFilter,
)
from mlte_store.query import Filter

from .helpers import ids, make_artifact

ARTIFACTS = [
    make_artifact("a", "card", note="Alpha", tags=["Red"], meta={"owner": "Ana"}),
    make_artifact("b", "report", note="Beta", tags=["Blue"], meta={"owner": "Bo"}),
    make_artifact(
        "c", "card", note="Gamma", tags=["Blue", "Red"], level="model", meta={"owner": "Cy"}
    ),
    make_artifact("d", "evidence", note=42, tags="Red", meta="Ana"),
]

#: Filters of one kind with different values (and, for Property/Tag, different paths).
FAMILIES: dict[str, list[Filter]] = {
    "identifier": [IdentifierFilter(id=i) for i in ("a", "b", "zz")],
    "type": [TypeFilter(item_type=t) for t in ("card", "report", "suite")],  # type: ignore[arg-type]
    "property": [
        PropertyFilter(name="body.note", property="alp"),
        PropertyFilter(name="body.note", property="ETA"),
        PropertyFilter(name="body.meta.owner", property="an"),
        PropertyFilter(name="body.meta", property="an"),
    ],
    "tag": [
        TagFilter(name="body.tags", tag="red"),
        TagFilter(name="body.tags", tag="BLU"),
        TagFilter(name="body.meta.owner", tag="a"),
    ],
}

WRAPPERS: dict[str, Callable[[Filter], Filter]] = {
    "bare": lambda f: f,
    "and": lambda f: AndFilter(filters=[f]),
    "or": lambda f: OrFilter(filters=[f]),
    "and-or": lambda f: AndFilter(filters=[OrFilter(filters=[f]), TypeFilter(item_type="card")]),  # type: ignore[arg-type]
    "or-and": lambda f: OrFilter(filters=[IdentifierFilter(id="zz"), AndFilter(filters=[f])]),
}


def expected(query: Query, visible: list[Artifact]) -> list[str]:
    return [a.header.identifier for a in visible if query.match(a)]


@pytest.mark.parametrize("wrapper", list(WRAPPERS))
@pytest.mark.parametrize("family", list(FAMILIES))
def test_searches_of_one_shape_get_their_own_values(
    repo: ArtifactRepository, family: str, wrapper: str
) -> None:
    repo.write_artifacts("m", "v", ARTIFACTS, parents=True)
    visible = repo.read_artifacts("m", "v")
    answers = []
    for filter in FAMILIES[family] * 2:  # and once more, in the same order
        query = Query(filter=WRAPPERS[wrapper](filter))
        want = expected(query, visible)
        assert ids(repo.search_artifacts("m", "v", query)) == want, query
        assert repo.count_artifacts("m", "v", query) == len(want), query
        assert [a.header.identifier for a in repo.iter_artifacts("m", "v", query)] == want
        answers.append(tuple(want))
    assert len(set(answers)) > 1, "the family must tell its values apart"


def test_empty_and_matches_everything_and_empty_or_nothing(repo: ArtifactRepository) -> None:
    repo.write_artifacts("m", "v", ARTIFACTS, parents=True)
    visible = repo.read_artifacts("m", "v")
    everything = Query(filter=AndFilter(filters=[]))
    nothing = Query(filter=OrFilter(filters=[]))
    assert expected(everything, visible) == ["a", "b", "c", "d"]
    assert expected(nothing, visible) == []
    assert ids(repo.search_artifacts("m", "v", everything)) == ["a", "b", "c", "d"]
    assert ids(repo.search_artifacts("m", "v", nothing)) == []
    assert repo.count_artifacts("m", "v", everything) == 4
    assert repo.count_artifacts("m", "v", nothing) == 0
    nested = Query(filter=AndFilter(filters=[OrFilter(filters=[]), AndFilter(filters=[])]))
    assert ids(repo.search_artifacts("m", "v", nested)) == expected(nested, visible) == []
