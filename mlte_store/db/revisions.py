"""Operations on `mlte_artifact_revision`: record, number, read, purge and verify revisions.

Every function takes an open `Tx` and never commits; `record_*` and
`insert_batch` record nothing when the repository keeps no history.

Revision numbers are derived inside the writing transaction: the next number
is `max(revision) + 1` of the identifier's history, computed by the INSERT
itself. Every transaction that records a revision of an identifier holds the
row lock of that identifier's current artifact row (it inserted, updated or
deleted it; SQLite serialises all writers), so on PostgreSQL, under READ
COMMITTED, each such INSERT sees every earlier revision and the numbers are
gap-free and unique without retries. Bulk writes number their rows in Python
(`number_batch`, a pure function) under the model's exclusive lock.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from mlte_store.db import parents, revision_statements
from mlte_store.db.connection import Tx
from mlte_store.db.rows import (
    HEADER_COLUMNS,
    Owner,
    artifact_values,
    digest_mismatch,
    recorded_row,
    replaced_row,
    revision_row,
    to_artifact,
    to_revision,
)
from mlte_store.errors import ErrorNotFound, describe
from mlte_store.models import Artifact, ArtifactLevel, ArtifactRevision, DigestMismatch
from mlte_store.tables import artifact_table, revision_table

#: A history position: the level and the identifier.
_Key = tuple[ArtifactLevel, str]


def record_write(tx: Tx, owner: Owner, written: Sequence[Any]) -> None:
    """Record the write of the artifact row that came back as (id, revision).

    Normally the row already carries the number the history gives; when it
    does not (a deletion committed while this write waited, or writes made
    with history off), the row is corrected to the recorded number.
    """
    if not tx.keep_history:
        return
    row_pk, row_revision = written
    params = {"r_row": row_pk, "r_recorded_at": datetime.now(timezone.utc)}
    recorded = int(tx.first(revision_statements.revision_copy(owner.level), params)[0])
    if recorded != row_revision:
        tx.connection.execute(revision_statements.set_revision(row_pk, recorded))


def marker_time() -> dict[str, datetime]:
    """The `r_recorded_at` parameter of a deletion marker recorded now."""
    return {"r_recorded_at": datetime.now(timezone.utc)}


def record_deletion(tx: Tx, owner: Owner, header: Mapping[str, Any]) -> None:
    """Record a deletion marker of the artifact whose header (HEADER_COLUMNS) is given."""
    if not tx.keep_history:
        return
    params = {f"r_{name}": header[name] for name in HEADER_COLUMNS}
    params.update(r_owner=owner.pk, **marker_time())
    tx.first(revision_statements.revision_marker(owner.level), params)


def max_revisions(
    tx: Tx, model_pk: int, version_pk: int, identifiers: Sequence[str]
) -> dict[_Key, int]:
    """{(level, identifier): highest revision} for the identifiers at both levels."""
    found: dict[_Key, int] = {}
    for level, pk in ((ArtifactLevel.VERSION, version_pk), (ArtifactLevel.MODEL, model_pk)):
        rows = tx.connection.execute(revision_statements.max_revisions(level, pk, identifiers))
        for identifier, highest in rows:
            found[(level, identifier)] = int(highest)
    return found


def number_batch(
    rows: Sequence[dict[str, Any]],
    replaced: Sequence[Sequence[Any]],
    highest: Mapping[_Key, int],
) -> list[dict[str, Any]]:
    """Number a bulk write: set each artifact row's `revision`, return the revisions to record.

    `replaced` holds the rows the write deleted (`rows.REPLACED_COLUMNS`);
    `highest` the history's highest revision per (level, identifier). A row
    equal to the one it replaces keeps its revision and records nothing; a
    removed row not replaced at its own level gets a deletion marker.
    """
    previous: dict[_Key, dict[str, Any]] = {}
    for removed in replaced:
        values = replaced_row(removed)
        previous[_key(values)] = values
    recorded: list[dict[str, Any]] = []
    for row in rows:
        key = _key(row)
        old: dict[str, Any] | None = previous.pop(key, None)
        if old is not None and all(old[name] == row[name] for name in (*HEADER_COLUMNS, "digest")):
            row["revision"] = old["revision"]
            continue
        row["revision"] = _after(highest.get(key, 0), old)
        recorded.append(revision_row(row, row["revision"]))
    for key, old in previous.items():
        recorded.append(revision_row(old, _after(highest.get(key, 0), old), deleted=True))
    return recorded


def _key(row: Mapping[str, Any]) -> _Key:
    return Owner.of_row(row["model_id"], row["version_id"]).level, row["identifier"]


def _after(highest: int, old: Mapping[str, Any] | None) -> int:
    """The number after both the history's highest and the replaced row's revision."""
    return max(highest, old["revision"] if old else 0) + 1


def insert_batch(tx: Tx, rows: Sequence[dict[str, Any]]) -> None:
    """Insert revisions already numbered (bulk writes, serialised by the model lock).

    Content revisions are copied from the artifact rows just written (which
    carry the same numbers), per owner, so bodies are not sent twice.
    """
    if not tx.keep_history:
        return
    recorded_at = datetime.now(timezone.utc)
    copied: dict[Owner, list[str]] = {}
    for row in rows:
        if not row["deleted"]:
            owner = Owner.of_row(row["model_id"], row["version_id"])
            copied.setdefault(owner, []).append(row["identifier"])
    for owner, identifiers in copied.items():
        tx.connection.execute(
            revision_statements.revision_copy_many(owner.level),
            {"r_owner": owner.pk, "r_identifiers": identifiers, "r_recorded_at": recorded_at},
        )
    # A marker's body must be SQL NULL, not the JSON null a None parameter becomes.
    markers = [
        {**{k: v for k, v in row.items() if k != "body"}, "recorded_at": recorded_at}
        for row in rows
        if row["deleted"]
    ]
    if markers:
        tx.connection.execute(revision_statements.insert_markers(), markers)


def history_owner(
    tx: Tx, model_id: str, version_id: str, artifact_id: str, level: ArtifactLevel | None
) -> Owner:
    """The owner whose history of `artifact_id` is meant: `level`'s, else the version's if it
    has (or had) the identifier, else the model's; ErrorNotFound if none has."""
    model_pk, version_pk = parents.version_keys(tx, model_id, version_id)
    candidates = (ArtifactLevel.VERSION, ArtifactLevel.MODEL) if level is None else (level,)
    for candidate in candidates:
        owner = Owner.at(candidate, model_pk, version_pk)
        if tx.connection.execute(
            revision_statements.has_identifier(owner, artifact_id)
        ).scalar_one():
            return owner
    raise ErrorNotFound(f"{describe(model_id, version_id, artifact_id)} has no history")


def history(
    tx: Tx, model_id: str, version_id: str, artifact_id: str, level: ArtifactLevel | None
) -> list[ArtifactRevision]:
    """Every revision of the artifact at the level `history_owner` picks, oldest first."""
    owner = history_owner(tx, model_id, version_id, artifact_id, level)
    rows = tx.connection.execute(revision_statements.history(owner, artifact_id))
    return [to_revision(row, owner.level) for row in rows]


def content_at(
    tx: Tx,
    model_id: str,
    version_id: str,
    artifact_id: str,
    revision: int,
    level: ArtifactLevel | None,
) -> Artifact:
    """The artifact as it was at a revision; ErrorNotFound if absent or a deletion marker."""
    owner = history_owner(tx, model_id, version_id, artifact_id, level)
    row = tx.connection.execute(revision_statements.history(owner, artifact_id, revision)).first()
    where = f"revision {revision} of {describe(model_id, version_id, artifact_id)}"
    if row is None:
        raise ErrorNotFound(f"{where} not found")
    entry = to_revision(row, owner.level)
    if entry.deleted:
        raise ErrorNotFound(f"{where} is a deletion marker; it has no content")
    return entry.artifact()


def purge(tx: Tx, model_id: str | None, version_id: str | None, older_than: datetime | None) -> int:
    """Delete the revisions in scope (all, a model's or a version's), except each live
    artifact's current one; return how many. ErrorNotFound if the scope is missing."""
    model_pk = version_pk = None
    if version_id is not None:
        assert model_id is not None
        model_pk, version_pk = parents.version_keys(tx, model_id, version_id)
    elif model_id is not None:
        model_pk = parents.model_key(tx, model_id)
    return int(
        tx.connection.execute(revision_statements.purge(model_pk, version_pk, older_than)).rowcount
    )


def digest_mismatches(tx: Tx) -> Iterator[DigestMismatch]:
    """Every artifact and revision whose body's digest differs from the stored one."""
    for table in (artifact_table, revision_table):
        is_revision = table is revision_table
        last = 0
        while True:
            rows = tx.connection.execute(revision_statements.verify_page(table, last)).all()
            for row in rows:
                mismatch = digest_mismatch(row, is_revision)
                if mismatch is not None:
                    yield mismatch
            if len(rows) < revision_statements.VERIFY_BATCH:
                break
            last = rows[-1][0]


# -- recorded history, moved between stores ---------------------------------------------


def owner_of(tx: Tx, model_id: str, version_id: str | None) -> Owner:
    """The version (or, `version_id` None, the model alone); ErrorNotFound if missing."""
    if version_id is None:
        return Owner(ArtifactLevel.MODEL, parents.model_key(tx, model_id))
    return Owner(ArtifactLevel.VERSION, parents.version_keys(tx, model_id, version_id)[1])


def recorded_page(
    tx: Tx, owner: Owner, after: tuple[str, int] | None, size: int
) -> tuple[list[ArtifactRevision], tuple[str, int] | None]:
    """(up to `size` of the owner's revisions after `after`, the next position or None)."""
    rows = tx.connection.execute(revision_statements.recorded_page(owner, after, size)).all()
    found = [to_revision(row, owner.level) for row in rows]
    last = found[-1] if len(found) == size else None
    return found, None if last is None else (last.header.identifier, last.revision)


def current_page(
    tx: Tx, owner: Owner, after: str | None, size: int
) -> tuple[list[tuple[Artifact, int]], str | None]:
    """(up to `size` of the owner's artifacts with their revision numbers after `after`,
    the next position or None)."""
    rows = tx.connection.execute(revision_statements.current_page(owner, after, size)).all()
    found = [(to_artifact(row[:-1]), int(row[-1])) for row in rows]
    return found, found[-1][0].header.identifier if len(found) == size else None


def write_recorded(
    tx: Tx,
    model_id: str,
    version_id: str | None,
    recorded: Sequence[ArtifactRevision],
    current: Sequence[tuple[Artifact, int]],
    *,
    force: bool,
) -> tuple[int, int]:
    """Insert revisions and current artifacts exactly as recorded elsewhere (numbers,
    digests, times); return how many of each were inserted.

    Under the model's exclusive lock, like a bulk write. A revision already
    recorded (owner, identifier, number) is left alone; an existing current
    artifact too, unless `force` overwrites it. Nothing is renumbered and no
    new revision is recorded: the store then holds the same history as its source.
    """
    if version_id is None:
        owner = Owner(ArtifactLevel.MODEL, parents.lock_model(tx, model_id))
    else:
        _, version_pk = parents.lock(tx, model_id, version_id, ArtifactLevel.MODEL)
        owner = Owner(ArtifactLevel.VERSION, version_pk)
    inserted = 0
    for markers in (False, True):
        rows = [recorded_row(owner, entry) for entry in recorded if entry.deleted == markers]
        if rows:
            statement = revision_statements.insert_recorded(tx.dialect, owner.level, markers)
            inserted += len(tx.connection.execute(statement, rows).all())
    written = 0
    if current:
        rows = [
            {**owner.columns(), **artifact_values(artifact), "revision": number}
            for artifact, number in current
        ]
        statement = revision_statements.insert_current(tx.dialect, owner.level, force)
        written = len(tx.connection.execute(statement, rows).all())
    return inserted, written
