"""Operations on `mlte_model` and `mlte_version`: resolve, lock, create, read, delete.

Every function takes an open `Tx` and never commits. ErrorNotFound and
ErrorAlreadyExists are raised here, next to the statements that detect them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

from sqlalchemy.exc import IntegrityError

from mlte_store.db import statements
from mlte_store.db.connection import Tx
from mlte_store.errors import ErrorAlreadyExists, ErrorDatabase, ErrorNotFound, describe
from mlte_store.models import ArtifactLevel, Model, Version

#: How often a write with `parents=True` creates parents that concurrent deletes remove.
CREATE_ATTEMPTS = 5


def create_model(tx: Tx, model: Model) -> Model:
    """Insert the model and the versions it lists; ErrorAlreadyExists if either exists."""
    try:
        model_pk = int(
            tx.connection.execute(statements.insert_model(model.identifier)).scalar_one()
        )
    except IntegrityError as exc:
        raise ErrorAlreadyExists(f"{describe(model.identifier)} already exists") from exc
    for version in model.versions:
        insert_version(tx, model_pk, model.identifier, version.identifier)
    return read_model(tx, model.identifier)


def insert_version(tx: Tx, model_pk: int, model_id: str, version_id: str) -> None:
    """Insert a version of the model; ErrorAlreadyExists if it exists."""
    try:
        tx.connection.execute(statements.insert_version(model_pk, version_id))
    except IntegrityError as exc:
        raise ErrorAlreadyExists(f"{describe(model_id, version_id)} already exists") from exc


def read_model(tx: Tx, model_id: str) -> Model:
    """The model with its versions sorted; ErrorNotFound if missing."""
    rows = tx.connection.execute(statements.model_with_versions(model_id)).all()
    if not rows:
        raise ErrorNotFound(f"{describe(model_id)} not found")
    versions = [Version(identifier=row[1]) for row in rows if row[1] is not None]
    return Model(identifier=model_id, versions=versions)


def list_models(tx: Tx) -> list[str]:
    return list(tx.connection.execute(statements.model_identifiers()).scalars())


def delete_model(tx: Tx, model_id: str) -> Model:
    """Delete the model (its versions and artifacts cascade); return what was deleted."""
    model = read_model(tx, model_id)
    tx.connection.execute(statements.delete_model(model_id))
    return model


def delete_version(tx: Tx, model_id: str, version_id: str) -> Version:
    """Delete the version (its artifacts cascade); ErrorNotFound naming what is missing."""
    _, version_pk = version_keys(tx, model_id, version_id)
    tx.connection.execute(statements.delete_version(version_pk))
    return Version(identifier=version_id)


def model_key(tx: Tx, model_id: str) -> int:
    """The model's pk; ErrorNotFound if missing."""
    pk = tx.connection.execute(statements.model_key(model_id)).scalar_one_or_none()
    if pk is None:
        raise ErrorNotFound(f"{describe(model_id)} not found")
    return int(pk)


def version_keys(tx: Tx, model_id: str, version_id: str) -> tuple[int, int]:
    """(model pk, version pk); ErrorNotFound naming the model or the version."""
    row = tx.first(statements.parents_or_model(), statements.lookup(model_id, version_id))
    return _checked(row, model_id, version_id)


def _checked(row: Sequence[Any] | None, model_id: str, version_id: str) -> tuple[int, int]:
    if row is None:
        raise ErrorNotFound(f"{describe(model_id)} not found")
    model_pk, version_pk = row
    if version_pk is None:
        raise ErrorNotFound(f"{describe(model_id, version_id)} not found")
    return int(model_pk), int(version_pk)


def raise_missing(tx: Tx, model_id: str, version_id: str | None, artifact_id: str) -> NoReturn:
    """ErrorNotFound for an artifact not found: naming the model, the version or the artifact
    (`version_id` None: a model-level artifact looked up by model only)."""
    if version_id is None:
        model_key(tx, model_id)
    else:
        version_keys(tx, model_id, version_id)
    raise ErrorNotFound(f"{describe(model_id, version_id, artifact_id)} not found")


def lock(
    tx: Tx, model_id: str, version_id: str, level: ArtifactLevel, *, create: bool = False
) -> tuple[int, int]:
    """Resolve the parents (creating them if `create`) and lock them for a write at `level`.

    One statement when the parents exist. On PostgreSQL it locks the model
    and version rows together: shared by version-level writes, exclusive
    (FOR NO KEY UPDATE) for model-level ones, so the check for a conflicting
    artifact at the other level cannot race, and a concurrent
    `delete_version` or `delete_model` waits for this write instead of
    removing the parents under it. With `create`, missing parents are
    inserted (ON CONFLICT DO NOTHING) and locked again; parents that a
    concurrent delete removed in between are created again, a bounded
    number of times. (SQLite ignores row locks; its writers are serialised
    by BEGIN IMMEDIATE.)
    """
    statement = statements.lock_parents(tx.dialect, level)
    params = statements.lookup(model_id, version_id)
    for _ in range(CREATE_ATTEMPTS):
        row = tx.first(statement, params)
        if row is not None:
            return int(row[0]), int(row[1])
        if not create:
            break
        create_missing(tx, model_id, version_id, level)
    # Missing (or, with `create`, deleted again and again): say which one.
    version_keys(tx, model_id, version_id)
    raise ErrorDatabase(f"{describe(model_id, version_id)} kept being deleted while it was created")


def lock_model(tx: Tx, model_id: str, *, create: bool = False) -> int:
    """The model's pk, locked as `lock` locks it for a model-level write (PostgreSQL
    FOR NO KEY UPDATE); with `create` the model is created if missing.

    ErrorNotFound if it is missing (without `create`).
    """
    statement = statements.model_key(model_id, tx.dialect, lock=ArtifactLevel.MODEL)
    for _ in range(CREATE_ATTEMPTS):
        pk = tx.connection.execute(statement).scalar_one_or_none()
        if pk is not None:
            return int(pk)
        if not create:
            raise ErrorNotFound(f"{describe(model_id)} not found")
        tx.connection.execute(statements.insert_model_if_missing(tx.dialect, model_id))
    raise ErrorDatabase(f"{describe(model_id)} kept being deleted while it was created")


def create_missing(tx: Tx, model_id: str, version_id: str, level: ArtifactLevel) -> None:
    """Insert the model and version unless they exist; safe under concurrent writers.

    The model row is locked (as `lock` locks it) before the version is
    inserted: every writer takes the model lock before it can wait for
    another's uncommitted version, so two writers never wait for each other.
    """
    connection = tx.connection
    connection.execute(statements.insert_model_if_missing(tx.dialect, model_id))
    model_pk = connection.execute(
        statements.model_key(model_id, tx.dialect, lock=level)
    ).scalar_one_or_none()
    if model_pk is None:  # deleted meanwhile; the caller tries again
        return
    connection.execute(statements.insert_version_if_missing(tx.dialect, model_pk, version_id))
