"""Entities and queries without a database: MLTE's JSON, input rules, Python matching."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from mlte_store import (
    MAX_IDENTIFIER_LENGTH,
    AllFilter,
    AndFilter,
    Artifact,
    ArtifactHeader,
    Model,
    NoneFilter,
    OrFilter,
    PropertyFilter,
    Query,
    TagFilter,
    Version,
)
from mlte_store.models import MAX_BODY_DEPTH

from .helpers import make_artifact

MLTE_CARD_JSON = {
    "header": {
        "identifier": "default.card",
        "type": "card",
        "timestamp": 1700000000,
        "creator": "ana",
        "level": "version",
    },
    "body": {
        "artifact_type": "card",
        "nc_data": {"system": {"goals": [{"description": "Classify", "metrics": []}]}},
    },
}


def test_mlte_json_is_accepted_and_given_back_unchanged() -> None:
    artifact = Artifact.model_validate(MLTE_CARD_JSON)
    assert artifact.to_json() == MLTE_CARD_JSON
    assert json.loads(artifact.model_dump_json()) == MLTE_CARD_JSON


def test_header_defaults_are_mlte_defaults() -> None:
    header = ArtifactHeader.model_validate({"identifier": "x", "type": "report"})
    assert header.model_dump(mode="json") == {
        "identifier": "x",
        "type": "report",
        "timestamp": -1,
        "creator": None,
        "level": "version",
    }


@pytest.mark.parametrize("bad", ["", "a\x00b", "x" * (MAX_IDENTIFIER_LENGTH + 1), "\ud800"])
def test_bad_identifiers_are_refused_by_every_entity(bad: str) -> None:
    for build in (
        lambda: Model(identifier=bad),
        lambda: Version(identifier=bad),
        lambda: ArtifactHeader(identifier=bad, type="card"),
    ):
        with pytest.raises(ValueError):
            build()


def test_identifiers_of_the_maximum_length_and_odd_text_are_accepted() -> None:
    for good in ("x" * MAX_IDENTIFIER_LENGTH, "a/b c", 'it\'s "quoted"', "Ünïcødé 模型", " "):
        assert Version(identifier=good).identifier == good


def test_body_type_must_equal_header_type() -> None:
    with pytest.raises(ValueError, match="artifact_type"):
        Artifact.model_validate(
            {"header": {"identifier": "a", "type": "card"}, "body": {"artifact_type": "report"}}
        )
    with pytest.raises(ValueError, match="artifact_type"):
        Artifact.model_validate({"header": {"identifier": "a", "type": "card"}, "body": {}})


@pytest.mark.parametrize("body", [[1, 2], "text", 3, None])
def test_body_must_be_an_object(body: object) -> None:
    with pytest.raises(ValueError):
        Artifact.model_validate({"header": {"identifier": "a", "type": "card"}, "body": body})


def test_unknown_type_is_refused() -> None:
    with pytest.raises(ValueError, match="type"):
        Artifact.model_validate(
            {"header": {"identifier": "a", "type": "model"}, "body": {"artifact_type": "model"}}
        )


@pytest.mark.parametrize(
    "extra",
    [
        {"note": "a\x00b"},
        {"a\x00b": 1},
        {"deep": {"list": ["ok", "n\x00"]}},
        {"x": float("nan")},
        {"x": float("inf")},
        {"x": object()},
        {"x": "\udc80"},
    ],
)
def test_bodies_no_backend_can_store_are_refused(extra: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_artifact("a", **extra)


def test_deep_nesting_is_refused_with_a_clear_message() -> None:
    nested: object = "leaf"
    for _ in range(MAX_BODY_DEPTH + 5):
        nested = [nested]
    with pytest.raises(ValueError, match="nested at most"):
        make_artifact("a", deep=nested)
    shallow: object = "leaf"
    for _ in range(MAX_BODY_DEPTH - 2):
        shallow = {"k": shallow}
    assert make_artifact("a", deep=shallow).body["deep"] == shallow


def test_query_json_round_trips_in_mlte_format() -> None:
    wire = {
        "filter": {
            "type": "and",
            "filters": [
                {"type": "identifier", "id": "a"},
                {"type": "type", "item_type": "card"},
                {"type": "or", "filters": [{"type": "all"}, {"type": "none"}]},
                {"type": "property", "name": "body.x", "property": "y"},
                {"type": "tag", "name": "body.tags", "tag": "t"},
            ],
        }
    }
    query = Query.model_validate(wire)
    assert query.model_dump(mode="json") == wire
    assert Query().model_dump(mode="json") == {"filter": {"type": "all"}}


def test_unknown_filter_type_is_refused() -> None:
    with pytest.raises(ValidationError):
        Query.model_validate({"filter": {"type": "regex", "pattern": "."}})


def test_python_matching_follows_the_contract() -> None:
    artifact = make_artifact(
        "a", name="Straße ÉCOLE", tags=["Alpha", 3, "ΣΊΣΥΦΟΣ"], nested={"n": 5}, empty=[]
    )
    assert AllFilter().match(artifact) and not NoneFilter().match(artifact)
    assert PropertyFilter(name="body.name", property="STRASSE").match(artifact)
    assert PropertyFilter(name="body.name", property="école").match(artifact)
    assert not PropertyFilter(name="body.nested", property="5").match(artifact)
    assert not PropertyFilter(name="body.nested.n", property="5").match(artifact)
    assert not PropertyFilter(name="body.missing", property="").match(artifact)
    assert PropertyFilter(name="header.level", property="VERS").match(artifact)
    assert TagFilter(name="body.tags", tag="alp").match(artifact)
    assert TagFilter(name="body.tags", tag="σίσυφος").match(artifact)
    assert not TagFilter(name="body.tags", tag="3").match(artifact)
    assert not TagFilter(name="body.name", tag="str").match(artifact)
    assert not TagFilter(name="body.empty", tag="").match(artifact)
    assert AndFilter(filters=[]).match(artifact)
    assert not OrFilter(filters=[]).match(artifact)
    assert not PropertyFilter(name="body.tags.0", property="alpha").match(artifact)
