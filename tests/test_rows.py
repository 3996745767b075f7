"""Pure parts of the internals, without a database: row owners, row shapes, bulk numbering."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import sqlite

from mlte_store.db.revisions import number_batch
from mlte_store.db.rows import LEVEL_RANK, Owner, keyset_after, replaced_row, to_artifact
from mlte_store.models import Artifact, ArtifactHeader, ArtifactLevel, ArtifactType
from mlte_store.tables import artifact_table

MODEL, VERSION = ArtifactLevel.MODEL, ArtifactLevel.VERSION


def test_an_owner_is_the_one_owner_column_a_row_sets() -> None:
    assert Owner.of_row(3, None) == Owner(MODEL, 3)
    assert Owner.of_row(None, 7) == Owner(VERSION, 7)
    assert Owner.at(MODEL, 3, 7) == Owner(MODEL, 3)
    assert Owner.at(VERSION, 3, 7) == Owner(VERSION, 7)
    assert Owner(MODEL, 3).columns() == {"model_id": 3, "version_id": None}
    assert Owner(VERSION, 7).columns() == {"model_id": None, "version_id": 7}
    condition = Owner(VERSION, 7).condition(artifact_table)
    assert str(condition.compile(dialect=sqlite.dialect())) == "mlte_artifact.version_id = ?"


def test_a_row_becomes_an_artifact_and_a_keyset_position() -> None:
    version_row = ("a", "card", 5, "me", 7, {"artifact_type": "card"})
    model_row = ("a", "card", 5, "me", None, {"artifact_type": "card"})
    assert to_artifact(version_row).header.level == VERSION
    assert to_artifact(model_row).header.level == MODEL
    assert keyset_after(version_row) == ("a", LEVEL_RANK[VERSION])
    assert keyset_after(model_row) == ("a", LEVEL_RANK[MODEL])
    assert LEVEL_RANK[VERSION] < LEVEL_RANK[MODEL]  # the documented order: version first


def _row(identifier: str, digest: str, *, model_pk: int | None = None) -> dict[str, Any]:
    return {
        "model_id": model_pk,
        "version_id": None if model_pk is not None else 7,
        "identifier": identifier,
        "type": "card",
        "timestamp": 5,
        "creator": None,
        "body": {"artifact_type": "card"},
        "digest": digest,
        "search": {},
    }


def test_a_bulk_write_numbers_only_what_changed() -> None:
    rows = [_row("same", "d1"), _row("changed", "new"), _row("fresh", "d3")]
    replaced = [
        # REPLACED_COLUMNS: model_id, version_id, header..., digest, revision
        (None, 7, "same", "card", 5, None, "d1", 4),
        (None, 7, "changed", "card", 5, None, "old", 2),
        (3, None, "gone", "card", 5, None, "d9", 1),
    ]
    highest = {(VERSION, "changed"): 5, (MODEL, "gone"): 3}
    recorded = number_batch(rows, replaced, highest)
    assert [row["revision"] for row in rows] == [4, 6, 1]
    assert [(r["identifier"], r["revision"], r["deleted"]) for r in recorded] == [
        ("changed", 6, False),
        ("fresh", 1, False),
        ("gone", 4, True),
    ]
    marker = recorded[-1]
    assert (marker["model_id"], marker["version_id"], marker["body"]) == (3, None, None)


def test_a_replaced_row_is_compared_without_its_body() -> None:
    values = replaced_row((None, 7, "a", "card", 5, "me", "d", 2))
    assert values == {
        "model_id": None,
        "version_id": 7,
        "identifier": "a",
        "type": "card",
        "timestamp": 5,
        "creator": "me",
        "digest": "d",
        "revision": 2,
        "body": None,
    }


def test_rows_rebuild_the_entities_model_construct_would() -> None:
    """`to_artifact` bypasses model_construct's bookkeeping: the result must be the same."""
    for version_pk, level in ((None, ArtifactLevel.MODEL), (3, ArtifactLevel.VERSION)):
        built = to_artifact(("a", "evidence", 7, "me", version_pk, {"artifact_type": "evidence"}))
        header = ArtifactHeader.model_construct(
            identifier="a", type=ArtifactType.EVIDENCE, timestamp=7, creator="me", level=level
        )
        expected = Artifact.model_construct(header=header, body={"artifact_type": "evidence"})
        assert built == expected
        for entity, other in ((built, expected), (built.header, header)):
            assert entity.__dict__ == other.__dict__
            assert list(entity.__dict__) == list(other.__dict__)
            assert entity.model_fields_set == other.model_fields_set
            assert entity.__pydantic_extra__ == other.__pydantic_extra__
            assert entity.__pydantic_private__ == other.__pydantic_private__
        assert built.model_dump() == expected.model_dump()
        assert repr(built) == repr(expected)
