"""Cached statements: one statement per filter shape, reused with each call's own values."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from mlte_store import (
    AndFilter,
    ArtifactRepository,
    ErrorAlreadyExists,
    IdentifierFilter,
    PropertyFilter,
    Query,
    TagFilter,
    TypeFilter,
)
from mlte_store.db.filters import Parameters, compile_filter, filter_shape
from mlte_store.models import ArtifactType
from mlte_store.tables import ArtifactRow

from .helpers import ids, make_artifact


def test_repeated_calls_with_other_values_get_their_own_results(repo: ArtifactRepository) -> None:
    repo.write_artifacts(
        "m",
        "v",
        [
            make_artifact("a", "card", tags=["Red"], note="Alpha"),
            make_artifact("b", "report", tags=["Blue"], note="Beta"),
            make_artifact("c", "card", tags=["Blue"], note="Gamma", level="model"),
        ],
        parents=True,
    )
    for identifier in ("a", "b", "c", "zz"):
        found = repo.search_artifacts("m", "v", Query(filter=IdentifierFilter(id=identifier)))
        assert ids(found) == ([identifier] if identifier != "zz" else [])
        assert repo.count_artifacts("m", "v", Query(filter=IdentifierFilter(id=identifier))) == (
            len(found)
        )
    for tag, expected in (("RED", ["a"]), ("blue", ["b", "c"]), ("green", [])):
        query = Query(
            filter=AndFilter(
                filters=[
                    TagFilter(name="body.tags", tag=tag),
                    PropertyFilter(name="body.note", property="a"),
                ]
            )
        )
        assert ids(repo.search_artifacts("m", "v", query)) == expected
        assert ids(repo.iter_artifacts("m", "v", query, page_size=1)) == expected
    cards = Query(filter=TypeFilter(item_type=ArtifactType.NEGOTIATION_CARD))
    assert ids(repo.search_artifacts("m", "v", cards, limit=1, offset=1)) == ["c"]
    assert ids(repo.read_artifacts("m", "v", limit=2, offset=1)) == ["b", "c"]
    assert ids(repo.read_artifacts("m", "v", limit=2, offset=0)) == ["a", "b"]


def test_cached_writes_keep_the_conflict_and_replace_rules(repo: ArtifactRepository) -> None:
    repo.write_artifact("m", "v", make_artifact("x", note="one"), parents=True)
    repo.write_artifact("m", "v", make_artifact("y", note="two"))
    with pytest.raises(ErrorAlreadyExists, match="'x'"):
        repo.write_artifact("m", "v", make_artifact("x"))
    repo.write_artifact("m", "v", make_artifact("x", note="three", level="model"), force=True)
    repo.write_artifact("m", "v", make_artifact("y", note="four"), force=True)
    assert repo.read_artifact("m", "v", "x").body["note"] == "three"
    assert repo.read_artifact("m", "v", "y").body["note"] == "four"
    assert [a.header.level.value for a in repo.read_artifacts("m", "v")] == ["model", "version"]
    assert repo.delete_artifact("m", "v", "y").body["note"] == "four"
    assert ids(repo.read_artifacts("m", "v")) == ["x"]


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()])
def test_filters_of_one_shape_compile_to_one_statement(dialect: object) -> None:
    def compiled(name: str, value: str) -> tuple[str, dict[str, object]]:
        filter = AndFilter(
            filters=[PropertyFilter(name=name, property=value), IdentifierFilter(id=value)]
        )
        params = Parameters()
        condition = compile_filter(filter, dialect.name, params)  # type: ignore[attr-defined]
        sql = str(select(ArtifactRow.id).where(condition).compile(dialect=dialect))  # type: ignore[arg-type]
        return sql, params.values

    first, first_values = compiled("body.a", "x")
    second, second_values = compiled("body.b.c", "Ü%")
    assert first == second
    assert first_values != second_values
    assert "ü%" in second_values.values() and "Ü%" in second_values.values()
    other = AndFilter(filters=[IdentifierFilter(id="x"), PropertyFilter(name="a", property="x")])
    assert filter_shape(other) != filter_shape(
        AndFilter(filters=[PropertyFilter(name="a", property="x"), IdentifierFilter(id="x")])
    )
