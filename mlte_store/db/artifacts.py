"""Operations on `mlte_artifact`: write (one or a batch), find, page, count, delete.

Every function takes an open `Tx` and never commits. The write algorithms
live here in full; they lock parents through `parents` and record history
through `revisions`. Order of listed artifacts: by identifier in code-point
order (Python's `sorted()` order) and, for the same identifier at both
levels, the version-level artifact first.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

from mlte_store.db import parents, revisions, statements
from mlte_store.db.connection import Tx
from mlte_store.db.rows import (
    DELETED_COLUMNS,
    Owner,
    artifact_row,
    artifact_values,
    deleted_artifact,
    keyset_after,
    removed_record,
    to_artifact,
    value_params,
)
from mlte_store.errors import ErrorAlreadyExists, describe
from mlte_store.models import Artifact, ArtifactLevel
from mlte_store.query import Filter

#: Identifiers per IN (...) list, and rows per INSERT, in bulk writes.
_IN_CHUNK = 500
_INSERT_CHUNK = 1000

#: A primary key no row has (keys start at 1): it empties one level's half of a page.
_NO_ROW = 0

_T = TypeVar("_T")


# -- writing -----------------------------------------------------------------------------


def write_one(
    tx: Tx,
    model_id: str,
    version_id: str,
    checked: Artifact,
    *,
    force: bool,
    create_parents: bool,
) -> None:
    """Write one valid artifact to the version (the body of `write_artifact`).

    Two paths. On SQLite without `force`, one INSERT resolves the parents by
    name and inserts unless the identifier is visible (SQLite takes no row
    locks). Otherwise, and whenever that inserted nothing, the general path:
    lock the parents (creating them if `create_parents`), then insert
    (ErrorAlreadyExists if the identifier is visible) or, with `force`,
    replace the visible artifact at either level.
    """
    level = checked.header.level
    values = artifact_values(checked)
    where = describe(model_id, version_id, checked.header.identifier)
    if (
        not force
        and tx.dialect == "sqlite"
        and _insert_by_name(tx, model_id, version_id, values, level)
    ):
        return
    model_pk, version_pk = parents.lock(tx, model_id, version_id, level, create=create_parents)
    owner = Owner.at(level, model_pk, version_pk)
    params = value_params(values)
    params.update(statements.keys(model_pk, version_pk))
    if force:
        _replace(tx, owner, params)
    else:
        _insert_new(tx, owner, params, where)


def _insert_by_name(
    tx: Tx, model_id: str, version_id: str, values: Mapping[str, Any], level: ArtifactLevel
) -> bool:
    """SQLite: insert a new artifact resolving its parents in the statement; whether it did.

    When nothing is inserted (parents missing, or the identifier taken), the
    general path runs and says which, or creates the parents.
    """
    params = value_params(values)
    params.update(statements.lookup(model_id, version_id))
    written = tx.first(statements.insert_new(level, by_name=True), params)
    if written is None:
        return False
    row_pk, revision, model_pk, version_pk = written
    revisions.record_write(tx, Owner.of_row(model_pk, version_pk), (row_pk, revision))
    return True


def _insert_new(tx: Tx, owner: Owner, params: dict[str, Any], where: str) -> None:
    """Insert unless an artifact with the identifier is visible from the version."""
    try:
        written = tx.first(statements.insert_new(owner.level), params)
    except IntegrityError as exc:
        raise ErrorAlreadyExists(f"{where} already exists") from exc
    if written is None:
        raise ErrorAlreadyExists(f"{where} already exists")
    revisions.record_write(tx, owner, written)


def _replace(tx: Tx, owner: Owner, params: dict[str, Any]) -> None:
    """Delete the visible artifact of the other level, then upsert at this one.

    The upsert changes nothing (and records no revision) when the header
    and body equal the current ones, so retried writes are idempotent.
    """
    removed = tx.first(statements.delete_other_level(owner.level), params)
    if removed is not None:
        revisions.record_deletion(tx, *removed_record(removed))
    written = tx.first(statements.upsert(tx.dialect, owner.level), params)
    if written is not None:
        revisions.record_write(tx, owner, written)


def write_batch(
    tx: Tx,
    model_id: str,
    version_id: str | None,
    batch: Mapping[str, Artifact],
    *,
    force: bool,
    create_parents: bool,
) -> int:
    """Write a validated batch (identifier -> artifact) under the model's exclusive lock.

    Without `force`, ErrorAlreadyExists if any identifier is visible; with
    it, the visible artifacts are deleted first. Rows and revisions are then
    inserted in chunks, numbered by `revisions.number_batch`. With
    `version_id` None the batch is model-level artifacts written to the model
    alone (only its model-level artifacts are visible).
    """
    if version_id is None:
        model_pk = parents.lock_model(tx, model_id, create=create_parents)
        version_pk = _NO_ROW
    else:
        model_pk, version_pk = parents.lock(
            tx, model_id, version_id, ArtifactLevel.MODEL, create=create_parents
        )
    connection = tx.connection
    identifiers = list(batch)
    replaced: list[Sequence[Any]] = []
    for chunk in _chunks(identifiers, _IN_CHUNK):
        if force:
            replaced.extend(
                connection.execute(statements.delete_visible_in(model_pk, version_pk, chunk))
            )
            continue
        clash = connection.execute(
            statements.first_visible_in(model_pk, version_pk, chunk)
        ).scalar_one_or_none()
        if clash is not None:
            raise ErrorAlreadyExists(f"{describe(model_id, version_id, clash)} already exists")
    rows = [artifact_row(a, model_pk, version_pk) for a in batch.values()]
    highest: dict[tuple[ArtifactLevel, str], int] = {}
    for chunk in _chunks(identifiers, _IN_CHUNK):
        highest.update(revisions.max_revisions(tx, model_pk, version_pk, chunk))
    recorded = revisions.number_batch(rows, replaced, highest)
    try:
        for chunk_rows in _chunks(rows, _INSERT_CHUNK):
            connection.execute(statements.insert_artifacts(), chunk_rows)
        for chunk_rows in _chunks(recorded, _INSERT_CHUNK):
            revisions.insert_batch(tx, chunk_rows)
    except IntegrityError as exc:
        raise ErrorAlreadyExists(
            f"an artifact of the batch already exists in {describe(model_id, version_id)}"
        ) from exc
    return len(batch)


def write_model_one(
    tx: Tx, model_id: str, checked: Artifact, *, force: bool, create_parents: bool
) -> None:
    """Write one valid model-level artifact to the model alone, with or without versions.

    Only the model's model-level artifact of that identifier conflicts (no
    version is involved); `force` replaces it. Locks the model as a
    model-level write through a version does.
    """
    model_pk = parents.lock_model(tx, model_id, create=create_parents)
    owner = Owner(ArtifactLevel.MODEL, model_pk)
    params = value_params(artifact_values(checked))
    params.update(statements.keys(model_pk, _NO_ROW))
    if force:
        _replace(tx, owner, params)
    else:
        _insert_new(tx, owner, params, describe(model_id, None, checked.header.identifier))


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- reading -----------------------------------------------------------------------------


def find(tx: Tx, model_id: str, version_id: str | None, artifact_id: str) -> Artifact:
    """The version-level artifact, else the model-level one (`version_id` None: the
    model-level one of the model alone); ErrorNotFound naming what is missing."""
    row = tx.first(
        statements.find_visible(version_id is None),
        statements.lookup(model_id, version_id, artifact_id),
    )
    if row is None:
        parents.raise_missing(tx, model_id, version_id, artifact_id)
    return to_artifact(row)


def page(
    tx: Tx, model_id: str, version_id: str, filter: Filter | None, limit: int | None, offset: int
) -> list[Artifact]:
    """A page of the visible artifacts matching `filter`, in order, in one statement
    (the parents resolved by name in it); if it is empty, ErrorNotFound for missing parents."""
    rows = _page_rows(tx, statements.lookup(model_id, version_id), filter, limit, offset)
    artifacts = [to_artifact(row) for row in rows]
    if not artifacts:
        parents.version_keys(tx, model_id, version_id)
    return artifacts


def page_keys(model_pk: int, version_pk: int, level: ArtifactLevel | None) -> dict[str, int]:
    """The keys `keyset_page` reads from: both levels, or only `level`'s."""
    if level == ArtifactLevel.VERSION:
        model_pk = _NO_ROW
    elif level == ArtifactLevel.MODEL:
        version_pk = _NO_ROW
    return statements.keys(model_pk, version_pk)


def keyset_page(
    tx: Tx,
    keys: Mapping[str, int],
    filter: Filter | None,
    size: int,
    after: tuple[str, int] | None,
) -> tuple[list[Artifact], tuple[str, int] | None]:
    """(up to `size` artifacts after the keyset position `after`, the next position or None
    at the end). `keys` come from `page_keys`."""
    rows = _page_rows(tx, keys, filter, size, 0, after)
    following = keyset_after(rows[-1]) if len(rows) == size else None
    return [to_artifact(row) for row in rows], following


def _page_rows(
    tx: Tx,
    owners: Mapping[str, Any],
    filter: Filter | None,
    limit: int | None,
    offset: int,
    after: tuple[str, int] | None = None,
) -> list[Any]:
    """Run the page statement of this filter's shape; `owners` names the version by its keys
    (`statements.keys`) or by its identifiers (`statements.lookup`)."""
    statement, values = statements.filtered_page(
        tx.shapes,
        tx.dialect,
        filter,
        limit is not None,
        None if after is None else after[1],
        statements.P_MODEL in owners,
    )
    values.update(owners)
    values["page_offset"] = offset
    if limit is not None:
        values.update({"page_limit": limit, "page_cut": offset + limit})
    if after is not None:
        values["page_after"] = after[0]
    return tx.rows(statement, values)


def count(tx: Tx, model_id: str, version_id: str, filter: Filter) -> int:
    """How many visible artifacts match; ErrorNotFound for missing parents when none do."""
    statement, values = statements.filtered_count(tx.shapes, tx.dialect, filter)
    values.update(statements.lookup(model_id, version_id))
    found = int(tx.first(statement, values)[0])
    if found == 0:
        parents.version_keys(tx, model_id, version_id)
    return found


def model_page_keys(tx: Tx, model_id: str) -> dict[str, int]:
    """The `keyset_page` / `page_by_keys` keys of the model's model-level artifacts alone;
    ErrorNotFound if the model is missing."""
    return statements.keys(parents.model_key(tx, model_id), _NO_ROW)


def page_by_keys(tx: Tx, keys: Mapping[str, int], limit: int, offset: int) -> list[Artifact]:
    """A page (limit, offset) of the artifacts `keys` (from `page_keys`) name, in order."""
    return [to_artifact(row) for row in _page_rows(tx, keys, None, limit, offset)]


def count_by_keys(tx: Tx, keys: Mapping[str, int]) -> int:
    """How many artifacts the keys (from `page_keys` or `model_page_keys`) name."""
    return int(tx.first(statements.count_by_keys(), keys)[0])


def delete(tx: Tx, model_id: str, version_id: str | None, artifact_id: str) -> Artifact:
    """Delete the artifact `find` would return (recording a deletion marker); return it.

    On PostgreSQL with history, one statement deletes and records the marker
    (`statements.delete_visible_recorded`), unless it cannot number the marker
    safely: then the marker is recorded by a statement of its own, as elsewhere.
    """
    params: dict[str, Any] = statements.lookup(model_id, version_id, artifact_id)
    recording = tx.keep_history and tx.dialect == "postgresql"
    if recording:
        params.update(revisions.marker_time())
        row = tx.first(statements.delete_visible_recorded(version_id is None), params)
    else:
        row = tx.first(statements.delete_visible(version_id is None), params)
    if row is None:
        parents.raise_missing(tx, model_id, version_id, artifact_id)
    artifact, owner, header = deleted_artifact(row[: len(DELETED_COLUMNS)])
    if not (recording and row[-1]):
        revisions.record_deletion(tx, owner, header)
    return artifact
