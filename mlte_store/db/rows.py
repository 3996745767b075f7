"""Row shapes: each tuple of selected columns beside the one function that unpacks it.

A statement in `statements` selects or returns one of these tuples; the
operations turn the rows back into entities only through the functions here,
so reordering a tuple and its unpacker is one edit in one file. `Owner` is the
one way to say which model or version an artifact row belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timezone
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table

from mlte_store import casefold
from mlte_store.bodies import forms_of
from mlte_store.models import (
    Artifact,
    ArtifactHeader,
    ArtifactLevel,
    ArtifactRevision,
    ArtifactType,
    DigestMismatch,
    body_digest,
)
from mlte_store.tables import artifact_table as _artifact
from mlte_store.tables import model_table as _model
from mlte_store.tables import revision_table as _revision
from mlte_store.tables import version_table as _version


@dataclass(frozen=True, slots=True)
class Owner:
    """The owner of an artifact row: its model (model level) or its version (version level).

    An artifact row sets exactly one of its owner columns, `model_id` or
    `version_id`; `pk` is that column's value.
    """

    level: ArtifactLevel
    pk: int

    @classmethod
    def of_row(cls, model_id: int | None, version_id: int | None) -> Owner:
        """The owner of a row from its two owner columns (one of them NULL)."""
        if model_id is not None:
            return cls(ArtifactLevel.MODEL, int(model_id))
        assert version_id is not None
        return cls(ArtifactLevel.VERSION, int(version_id))

    @classmethod
    def at(cls, level: ArtifactLevel, model_pk: int, version_pk: int) -> Owner:
        """The owner at `level` of an artifact written to a version."""
        return cls(level, model_pk if level == ArtifactLevel.MODEL else version_pk)

    @property
    def model_level(self) -> bool:
        return self.level == ArtifactLevel.MODEL

    def columns(self) -> dict[str, int | None]:
        """The owner columns of the row: {"model_id": ..., "version_id": ...}, one of them None."""
        if self.model_level:
            return {"model_id": self.pk, "version_id": None}
        return {"model_id": None, "version_id": self.pk}

    def condition(self, table: Table) -> ColumnElement[bool]:
        """Rows of `table` (artifacts or revisions) with this owner."""
        if self.model_level:
            return table.c.model_id == self.pk
        return table.c.version_id == self.pk


# -- artifacts -----------------------------------------------------------------------

#: The columns an Artifact is rebuilt from (`to_artifact`), in this order.
ARTIFACT_COLUMNS = (
    _artifact.c.identifier,
    _artifact.c.type,
    _artifact.c.timestamp,
    _artifact.c.creator,
    _artifact.c.version_id,
    _artifact.c.body,
)

#: Position of each level in the documented order for one identifier (version first).
LEVEL_RANK = {ArtifactLevel.VERSION: 0, ArtifactLevel.MODEL: 1}


def to_artifact(row: Sequence[Any]) -> Artifact:
    """Rebuild an Artifact from ARTIFACT_COLUMNS; the data was validated when it was written."""
    identifier, type_, timestamp, creator, version_pk, body = row
    header = _trusted(
        ArtifactHeader,
        {
            "identifier": identifier,
            "type": ArtifactType(type_),
            "timestamp": timestamp,
            "creator": creator,
            "level": ArtifactLevel.MODEL if version_pk is None else ArtifactLevel.VERSION,
        },
    )
    return _trusted(Artifact, {"header": header, "body": body})


_Entity = TypeVar("_Entity", Artifact, ArtifactHeader)


def _trusted(kind: type[_Entity], fields: dict[str, Any]) -> _Entity:
    """`kind.model_construct(**fields)` for every field, in order, without its per-call
    bookkeeping (aliases, defaults): what pydantic's own model_construct sets."""
    entity = kind.__new__(kind)
    _set(entity, "__dict__", fields)
    _set(entity, "__pydantic_fields_set__", set(fields))
    _set(entity, "__pydantic_extra__", None)
    _set(entity, "__pydantic_private__", None)
    return entity


_set = object.__setattr__


def keyset_after(row: Sequence[Any]) -> tuple[str, int]:
    """(identifier, level rank) of an ARTIFACT_COLUMNS row: where the next keyset page starts."""
    identifier, _type, _timestamp, _creator, version_pk, _body = row
    level = ArtifactLevel.MODEL if version_pk is None else ArtifactLevel.VERSION
    return identifier, LEVEL_RANK[level]


#: Header columns an artifact and its revisions share.
HEADER_COLUMNS = ("identifier", "type", "timestamp", "creator")

#: The columns a deletion marker is recorded from (`removed_record`): the owner, then the header.
RECORD_COLUMNS = (
    _artifact.c.model_id,
    _artifact.c.version_id,
    *(_artifact.c[name] for name in HEADER_COLUMNS),
)


def removed_record(row: Sequence[Any]) -> tuple[Owner, dict[str, Any]]:
    """(owner, header) of a removed row's RECORD_COLUMNS."""
    model_pk, version_pk, *header = row
    return Owner.of_row(model_pk, version_pk), dict(zip(HEADER_COLUMNS, header, strict=True))


#: What `delete_artifact` returns: the artifact, then what its deletion marker needs.
DELETED_COLUMNS = (*ARTIFACT_COLUMNS, *RECORD_COLUMNS)


def deleted_artifact(row: Sequence[Any]) -> tuple[Artifact, Owner, dict[str, Any]]:
    """(artifact, owner, header) of a DELETED_COLUMNS row."""
    split = len(ARTIFACT_COLUMNS)
    owner, header = removed_record(row[split:])
    return to_artifact(row[:split]), owner, header


#: What a bulk write's DELETE returns of each replaced row (`replaced_row`).
REPLACED_COLUMNS = (*RECORD_COLUMNS, _artifact.c.digest, _artifact.c.revision)


def replaced_row(row: Sequence[Any]) -> dict[str, Any]:
    """A REPLACED_COLUMNS row as the values `number_batch` compares (no body)."""
    model_pk, version_pk, *header, digest, revision = row
    return {
        "model_id": model_pk,
        "version_id": version_pk,
        **dict(zip(HEADER_COLUMNS, header, strict=True)),
        "digest": digest,
        "revision": revision,
        "body": None,
    }


#: The artifact columns a write sets from its values (bound as `v_<column>`).
VALUES = ("identifier", "type", "timestamp", "creator", "body", "digest", "search", "folded_with")


def artifact_values(artifact: Artifact) -> dict[str, Any]:
    """The VALUES of an artifact's row (everything but its owner and revision).

    The search document is `casefold.search_document(artifact.to_json())`, its body
    part and the digest made by the walk that validated the body (`forms_of`).
    """
    header = artifact.header
    forms = forms_of(artifact.body)
    search = {
        _HEADER_KEY: casefold.search_document(header.model_dump(mode="json")),
        _BODY_KEY: forms.search,
    }
    return {
        "identifier": header.identifier,
        "type": header.type.value,
        "timestamp": header.timestamp,
        "creator": header.creator,
        "body": artifact.body,
        "digest": forms.digest,
        "search": search,
        "folded_with": casefold.UNICODE_VERSION,
    }


_HEADER_KEY, _BODY_KEY = casefold.encode_key("header"), casefold.encode_key("body")


def value_params(values: Mapping[str, Any]) -> dict[str, Any]:
    """A write's VALUES as the `v_<column>` parameters of the write statements."""
    return {f"v_{name}": values[name] for name in VALUES}


def artifact_row(artifact: Artifact, model_pk: int, version_pk: int) -> dict[str, Any]:
    """The whole artifact table row (owner included) of an artifact written to a version."""
    owner = Owner.at(artifact.header.level, model_pk, version_pk)
    return {**owner.columns(), **artifact_values(artifact)}


#: What `reindex` reads of an artifact (`refold_params`): key, revision, the version its
#: search document was folded with, then ARTIFACT_COLUMNS.
REFOLD_COLUMNS = (_artifact.c.id, _artifact.c.revision, _artifact.c.folded_with, *ARTIFACT_COLUMNS)


def refold_params(row: Sequence[Any], current: str) -> dict[str, Any]:
    """The parameters of `search_statements.refold` for a REFOLD_COLUMNS row: its search
    document folded again, with `current`'s tables."""
    pk, revision, old, *columns = row
    document = casefold.search_document(to_artifact(columns).to_json())
    return {
        "r_id": pk,
        "r_revision": revision,
        "r_old": old,
        "r_new": current,
        "r_search": document,
    }


# -- revisions -------------------------------------------------------------------------

#: The columns of a revision row as inserted (`revision_row`).
REVISION_INSERT_COLUMNS = [
    "model_id",
    "version_id",
    *HEADER_COLUMNS,
    "revision",
    "body",
    "digest",
    "deleted",
    "recorded_at",
]


def revision_row(owned: Mapping[str, Any], revision: int, deleted: bool = False) -> dict[str, Any]:
    """A revision row to insert from artifact row values (owner columns included)."""
    return {
        "model_id": owned.get("model_id"),
        "version_id": owned.get("version_id"),
        **{name: owned[name] for name in HEADER_COLUMNS},
        "revision": revision,
        "body": None if deleted else owned["body"],
        "digest": None if deleted else owned["digest"],
        "deleted": deleted,
    }


def recorded_row(owner: Owner, entry: ArtifactRevision) -> dict[str, Any]:
    """The revision row of an ArtifactRevision recorded elsewhere, for `owner` (its number,
    digest and time kept; a marker's body is left out: the statement sets SQL NULL)."""
    header = entry.header
    row: dict[str, Any] = {
        **owner.columns(),
        "identifier": header.identifier,
        "type": header.type.value,
        "timestamp": header.timestamp,
        "creator": header.creator,
        "revision": entry.revision,
        "digest": entry.digest,
        "deleted": entry.deleted,
        "recorded_at": entry.recorded_at,
    }
    if not entry.deleted:
        row["body"] = entry.body
    return row


#: The columns an ArtifactRevision is rebuilt from (`to_revision`), in this order.
REVISION_COLUMNS = (
    _revision.c.revision,
    _revision.c.identifier,
    _revision.c.type,
    _revision.c.timestamp,
    _revision.c.creator,
    _revision.c.body,
    _revision.c.digest,
    _revision.c.deleted,
    _revision.c.recorded_at,
)


def to_revision(row: Sequence[Any], level: ArtifactLevel) -> ArtifactRevision:
    """Rebuild an ArtifactRevision from REVISION_COLUMNS, without validating it again."""
    revision, identifier, type_, timestamp, creator, body, digest, deleted, recorded_at = row
    header = ArtifactHeader.model_construct(
        identifier=identifier,
        type=ArtifactType(type_),
        timestamp=timestamp,
        creator=creator,
        level=level,
    )
    if recorded_at.tzinfo is None:  # SQLite keeps no zone: it was stored in UTC
        recorded_at = recorded_at.replace(tzinfo=timezone.utc)
    return ArtifactRevision.model_construct(  # our own row: validated when it was written
        revision=revision,
        header=header,
        body=body,
        digest=digest,
        deleted=bool(deleted),
        recorded_at=recorded_at,
    )


def verify_columns(table: Table) -> tuple[Any, ...]:
    """(pk, model, version, identifier, revision, body, digest) of an artifact or revision row."""
    return (
        table.c.id,
        _model.c.identifier,
        _version.c.identifier,
        table.c.identifier,
        table.c.revision,
        table.c.body,
        table.c.digest,
    )


def digest_mismatch(row: Sequence[Any], is_revision: bool) -> DigestMismatch | None:
    """The mismatch a `verify_columns` row shows, or None if its body has its digest."""
    _pk, model_id, version_id, identifier, revision, body, stored = row
    computed = body_digest(body)
    if computed == stored:
        return None
    return DigestMismatch(
        model_id=model_id,
        version_id=version_id,
        artifact_id=identifier,
        revision=revision if is_revision else None,
        stored_digest=stored,
        computed_digest=computed,
    )
