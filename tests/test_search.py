"""Queries evaluated in SQL agree with Filter.match() in Python, on both backends."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from mlte_store import (
    AllFilter,
    AndFilter,
    Artifact,
    ArtifactRepository,
    ErrorInvalidInput,
    IdentifierFilter,
    NoneFilter,
    OrFilter,
    PropertyFilter,
    Query,
    TagFilter,
    TypeFilter,
)
from mlte_store.db.filters import compile_filter
from mlte_store.models import ArtifactType
from mlte_store.tables import ArtifactRow

from .helpers import ids, make_artifact

# Text that trips up SQL lower()/LIKE: non-ASCII case pairs, case folding that
# changes length, LIKE wildcards and escapes, quotes, combining marks.
TRICKY = "aAzZ%_\\'\"ßẞİıiIΣσςﬁÉéЖжǅ\u0301\u200f 0.[]$*"
tricky_text = st.text(alphabet=TRICKY, max_size=6)
KEYS = ["name", "Name", "tags", "a.b", "0", "x", "ß", 'q"k', "sp ace", ""]
PATHS = [
    "body.name",
    "body.Name",
    "body.tags",
    "body.x",
    "body.x.name",
    "body.x.tags",
    "body.0",
    "body.ß",
    'body.q"k',
    "body.sp ace",
    "body.",
    "body..name",
    "header.identifier",
    "header.creator",
    "header.type",
    "body",
    "body.tags.0",
    "nothing.at.all",
    "",
]


def json_values(depth: int = 2) -> st.SearchStrategy[Any]:
    leaves = st.one_of(tricky_text, st.integers(-5, 5), st.booleans(), st.none())
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
        ),
        max_leaves=10,
    )


@st.composite
def artifacts(draw: st.DrawFn, identifier: str) -> Artifact:
    artifact_type = draw(st.sampled_from([t.value for t in ArtifactType]))
    body = draw(st.dictionaries(st.sampled_from(KEYS), json_values(), max_size=5))
    body["artifact_type"] = artifact_type
    return Artifact.model_validate(
        {
            "header": {
                "identifier": identifier,
                "type": artifact_type,
                "creator": draw(st.one_of(st.none(), tricky_text)),
                "level": draw(st.sampled_from(["model", "version"])),
            },
            "body": body,
        }
    )


leaf_filters = st.one_of(
    st.builds(AllFilter),
    st.builds(NoneFilter),
    st.builds(IdentifierFilter, id=st.sampled_from(["a0", "a1", "a2", "zz"])),
    st.builds(TypeFilter, item_type=st.sampled_from(list(ArtifactType))),
    st.builds(PropertyFilter, name=st.sampled_from(PATHS), property=tricky_text),
    st.builds(TagFilter, name=st.sampled_from(PATHS), tag=tricky_text),
)
filters = st.recursive(
    leaf_filters,
    lambda inner: st.one_of(
        st.builds(AndFilter, filters=st.lists(inner, max_size=3)),
        st.builds(OrFilter, filters=st.lists(inner, max_size=3)),
    ),
    max_leaves=6,
)

_versions = itertools.count()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_sql_search_agrees_with_python_match(repo: ArtifactRepository, data: st.DataObject) -> None:
    version = f"v{next(_versions)}"
    stored = [data.draw(artifacts(f"a{i}")) for i in range(3)]
    stored = [a for a in stored if a.header.level.value == "version"] or stored[:1]
    repo.write_artifacts("m" + version, version, stored, parents=True)
    visible = repo.read_artifacts("m" + version, version)
    for _ in range(4):
        query = Query(filter=data.draw(filters))
        expected = [a.header.identifier for a in visible if query.match(a)]
        assert ids(repo.search_artifacts("m" + version, version, query)) == expected, query


def test_property_and_tag_matching_on_known_cases(repo: ArtifactRepository) -> None:
    repo.write_artifact(
        "m",
        "v",
        make_artifact(
            "straße",
            name="Große STRASSE",
            tags=["Alpha", "ΣΊΣΥΦΟΣ", 7, {"t": "alpha"}],
            pct="100%_done",
            nested={"name": "inner"},
            num=42,
        ),
        parents=True,
    )
    repo.write_artifact(
        "m",
        "v",
        make_artifact("plain", "report", name="100 percent", tags="Alpha", pct="100x done"),
    )

    def search(f: Any) -> list[str]:
        return ids(repo.search_artifacts("m", "v", Query(filter=f)))

    assert search(PropertyFilter(name="body.name", property="strasse")) == ["straße"]
    assert search(PropertyFilter(name="body.name", property="GROSSE")) == ["straße"]
    assert search(PropertyFilter(name="body.pct", property="%_")) == ["straße"]
    assert search(PropertyFilter(name="body.pct", property="100_")) == []
    assert search(PropertyFilter(name="body.pct", property="100%")) == ["straße"]
    assert search(PropertyFilter(name="body.nested", property="inner")) == []
    assert search(PropertyFilter(name="body.nested.name", property="INNER")) == ["straße"]
    assert search(PropertyFilter(name="body.num", property="42")) == []
    assert search(PropertyFilter(name="header.identifier", property="STRASSE")) == ["straße"]
    assert search(TagFilter(name="body.tags", tag="alpha")) == ["straße"]
    assert search(TagFilter(name="body.tags", tag="σίσυφος")) == ["straße"]
    assert search(TagFilter(name="body.tags", tag="7")) == []
    assert search(TagFilter(name="body.tags.0", tag="alpha")) == []
    assert search(TypeFilter(item_type=ArtifactType.REPORT)) == ["plain"]
    assert search(IdentifierFilter(id="plain")) == ["plain"]
    assert search(IdentifierFilter(id="PLAIN")) == []
    assert search(AndFilter(filters=[])) == ["plain", "straße"]
    assert search(OrFilter(filters=[])) == []


def test_search_finds_matches_beyond_the_first_page(repo: ArtifactRepository) -> None:
    batch = [
        make_artifact(f"a{i:04d}", note="needle" if i % 97 == 0 else "hay") for i in range(1000)
    ]
    repo.write_artifacts("m", "v", batch, parents=True)
    found = ids(
        repo.search_artifacts(
            "m", "v", Query(filter=PropertyFilter(name="body.note", property="NEEDLE"))
        )
    )
    assert found == [f"a{i:04d}" for i in range(0, 1000, 97)]


def test_query_may_be_given_as_mlte_json(repo: ArtifactRepository) -> None:
    repo.write_artifact("m", "v", make_artifact("a", "card"), parents=True)
    wire = {"filter": {"type": "or", "filters": [{"type": "type", "item_type": "card"}]}}
    assert ids(repo.search_artifacts("m", "v", wire)) == ["a"]
    with pytest.raises(ErrorInvalidInput, match="query"):
        repo.search_artifacts("m", "v", {"filter": {"type": "regex"}})


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()])
def test_paths_and_values_never_change_the_sql(dialect: Any) -> None:
    def sql_of(name: str, value: str) -> str:
        condition = compile_filter(
            AndFilter(
                filters=[PropertyFilter(name=name, property=value), TagFilter(name=name, tag=value)]
            ),
            dialect.name,
        )
        return str(select(ArtifactRow.id).where(condition).compile(dialect=dialect))

    reference = sql_of("body.a.b", "x")
    for name, value in [
        ("body.a'); DROP TABLE x; --.b", "' OR 1=1 --"),
        ('body."]$.b', "%_\\"),
        ("body.$[0].b", "\u202e\x01"),
    ]:
        assert sql_of(name, value) == reference
