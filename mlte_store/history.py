"""Revision history statements: record, read, purge and verify artifact revisions.

Helpers here take the open connection; the repository owns the transactions.
Revision numbers are derived inside the writing transaction: the next number
is `max(revision) + 1` of the identifier's history, computed by the INSERT
itself. Every transaction that records a revision of an identifier holds the
row lock of that identifier's current artifact row (it inserted, updated or
deleted it; SQLite serialises all writers), so on PostgreSQL, under READ
COMMITTED, each such INSERT sees every earlier revision and the numbers are
gap-free and unique without retries.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timezone
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Insert,
    ScalarSelect,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    false,
    func,
    insert,
    null,
    or_,
    select,
    true,
    update,
)

from mlte_store.models import (
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

#: Header columns copied from an artifact into its revision.
HEADER_COLUMNS = ("identifier", "type", "timestamp", "creator")

#: Rows `verify` reads per round trip.
_VERIFY_BATCH = 1000


def owner_condition(table: Table, owner: Mapping[str, int | None]) -> ColumnElement[bool]:
    """Rows of `table` owned by the owner ({"model_id": pk} or {"version_id": pk})."""
    if owner.get("model_id") is not None:
        return table.c.model_id == owner["model_id"]
    return table.c.version_id == owner["version_id"]


def next_revision(model_level: bool, owner: Any, identifier: Any) -> ScalarSelect[Any]:
    """The next revision number of an identifier at a level, as a scalar subquery.

    `owner` and `identifier` are SQL expressions (usually bound parameters).
    """
    column = _revision.c.model_id if model_level else _revision.c.version_id
    return (
        select(func.coalesce(func.max(_revision.c.revision), 0) + 1)
        .where(column == owner, _revision.c.identifier == identifier)
        .scalar_subquery()
    )


_RECORD_COLUMNS = [
    "model_id",
    "version_id",
    *HEADER_COLUMNS,
    "revision",
    "body",
    "digest",
    "deleted",
    "recorded_at",
]


def _numbered(model_level: bool, owner: Any, identifier: Any) -> Any:
    return next_revision(model_level, owner, identifier).label("revision")


@cache
def _marker_statement(model_level: bool) -> Insert:
    """INSERT ... SELECT of a deletion marker, numbered from the history it sees; cached.

    Parameters: `r_owner` (the owner's key), `r_<column>` for the header
    columns, and `r_recorded_at`.
    """
    owner: BindParameter[Any] = bindparam("r_owner")
    header = {name: bindparam(f"r_{name}", type_=_revision.c[name].type) for name in HEADER_COLUMNS}
    source = select(
        (owner if model_level else null()).label("model_id"),
        (null() if model_level else owner).label("version_id"),
        *(header[name].label(name) for name in HEADER_COLUMNS),
        _numbered(model_level, owner, header["identifier"]),
        null().label("body"),
        null().label("digest"),
        true().label("deleted"),
        bindparam("r_recorded_at", type_=_revision.c.recorded_at.type).label("recorded_at"),
    )
    return insert(_revision).from_select(_RECORD_COLUMNS, source).returning(_revision.c.revision)


@cache
def _copy_statement(model_level: bool) -> Insert:
    """INSERT ... SELECT of the artifact row `r_row` as a revision, numbered from the
    history it sees; cached. The body is copied by the database, not sent again."""
    owner = _artifact.c.model_id if model_level else _artifact.c.version_id
    source = select(
        _artifact.c.model_id,
        _artifact.c.version_id,
        *(_artifact.c[name] for name in HEADER_COLUMNS),
        _numbered(model_level, owner, _artifact.c.identifier),
        _artifact.c.body,
        _artifact.c.digest,
        false().label("deleted"),
        bindparam("r_recorded_at", type_=_revision.c.recorded_at.type).label("recorded_at"),
    ).where(_artifact.c.id == bindparam("r_row"))
    return insert(_revision).from_select(_RECORD_COLUMNS, source).returning(_revision.c.revision)


def record_deletion(
    connection: Connection, owner: Mapping[str, int | None], header: Mapping[str, Any]
) -> int:
    """Record a deletion marker of the artifact whose header (HEADER_COLUMNS) is given."""
    model_level = owner.get("model_id") is not None
    params = {f"r_{name}": header[name] for name in HEADER_COLUMNS}
    params.update(
        r_owner=owner["model_id"] if model_level else owner["version_id"],
        r_recorded_at=datetime.now(timezone.utc),
    )
    return int(connection.execute(_marker_statement(model_level), params).scalar_one())


def record_write(
    connection: Connection, owner: Mapping[str, int | None], written: Sequence[Any]
) -> None:
    """Record the write of the artifact row that came back as (id, revision).

    Normally the row already carries the number the history gives; when it
    does not (a deletion committed while this write waited, or writes made
    with history off), the row is corrected to the recorded number.
    """
    row_pk, row_revision = written
    params = {"r_row": row_pk, "r_recorded_at": datetime.now(timezone.utc)}
    statement = _copy_statement(owner.get("model_id") is not None)
    recorded = int(connection.execute(statement, params).scalar_one())
    if recorded != row_revision:
        connection.execute(
            update(_artifact).where(_artifact.c.id == row_pk).values(revision=recorded)
        )


def max_revisions(
    connection: Connection, model_pk: int, version_pk: int, identifiers: Sequence[str]
) -> dict[tuple[str, str], int]:
    """{(level, identifier): highest revision} for the identifiers at both levels."""
    found: dict[tuple[str, str], int] = {}
    for level, column, pk in (
        (ArtifactLevel.VERSION, _revision.c.version_id, version_pk),
        (ArtifactLevel.MODEL, _revision.c.model_id, model_pk),
    ):
        rows = connection.execute(
            select(_revision.c.identifier, func.max(_revision.c.revision))
            .where(column == pk, _revision.c.identifier.in_(identifiers))
            .group_by(_revision.c.identifier)
        )
        for identifier, highest in rows:
            found[(level.value, identifier)] = int(highest)
    return found


def number_batch(
    rows: Sequence[dict[str, Any]],
    removed: Sequence[Sequence[Any]],
    highest: Mapping[tuple[str, str], int],
) -> list[dict[str, Any]]:
    """Number a bulk write: set each artifact row's `revision`, return the revisions to record.

    `removed` holds the rows the write deleted, as (model_id, version_id,
    *HEADER_COLUMNS, digest, revision); `highest` the history's highest
    revision per (level, identifier). A row equal to the one it replaces keeps
    its revision and records nothing; a removed row not replaced at its own
    level gets a deletion marker.
    """
    previous: dict[tuple[str, str], dict[str, Any]] = {}
    for model_pk, version_pk, *header, digest, revision in removed:
        owner = {"model_id": model_pk, "version_id": version_pk}
        values = dict(zip(HEADER_COLUMNS, header, strict=True))
        previous[_level_key(owner, values["identifier"])] = {
            **owner,
            **values,
            "digest": digest,
            "revision": revision,
            "body": None,
        }
    recorded: list[dict[str, Any]] = []
    for row in rows:
        key = _level_key(row, row["identifier"])
        old = previous.pop(key, None)
        if old is not None and all(old[name] == row[name] for name in (*HEADER_COLUMNS, "digest")):
            row["revision"] = old["revision"]
            continue
        row["revision"] = _after(highest.get(key, 0), old)
        recorded.append(revision_row(row, row, row["revision"]))
    for key, old in previous.items():
        recorded.append(revision_row(old, old, _after(highest.get(key, 0), old), deleted=True))
    return recorded


def _after(highest: int, old: Mapping[str, Any] | None) -> int:
    """The number after both the history's highest and the replaced row's revision."""
    return max(highest, old["revision"] if old else 0) + 1


def _level_key(owner: Mapping[str, Any], identifier: str) -> tuple[str, str]:
    level = ArtifactLevel.MODEL if owner.get("model_id") is not None else ArtifactLevel.VERSION
    return (level.value, identifier)


def insert_revisions(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert revisions already numbered (bulk writes, serialised by the model lock).

    Content revisions are copied from the artifact rows just written (which
    carry the same numbers), per owner, so bodies are not sent twice.
    """
    recorded_at = datetime.now(timezone.utc)
    copied: dict[tuple[bool, int], list[str]] = {}
    for row in rows:
        if not row["deleted"]:
            model_level = row["model_id"] is not None
            owner = row["model_id"] if model_level else row["version_id"]
            copied.setdefault((model_level, owner), []).append(row["identifier"])
    for (model_level, owner), identifiers in copied.items():
        connection.execute(
            _copy_many_statement(model_level),
            {"r_owner": owner, "r_identifiers": identifiers, "r_recorded_at": recorded_at},
        )
    # A marker's body must be SQL NULL, not the JSON null a None parameter becomes.
    markers = [
        {**{k: v for k, v in row.items() if k != "body"}, "recorded_at": recorded_at}
        for row in rows
        if row["deleted"]
    ]
    if markers:
        connection.execute(insert(_revision).values(body=null()), markers)


@cache
def _copy_many_statement(model_level: bool) -> Insert:
    """INSERT ... SELECT of an owner's artifact rows `r_identifiers` as revisions with
    the numbers the rows carry; cached."""
    owner = _artifact.c.model_id if model_level else _artifact.c.version_id
    source = select(
        _artifact.c.model_id,
        _artifact.c.version_id,
        *(_artifact.c[name] for name in HEADER_COLUMNS),
        _artifact.c.revision,
        _artifact.c.body,
        _artifact.c.digest,
        false().label("deleted"),
        bindparam("r_recorded_at", type_=_revision.c.recorded_at.type).label("recorded_at"),
    ).where(
        owner == bindparam("r_owner"),
        _artifact.c.identifier.in_(bindparam("r_identifiers", expanding=True)),
    )
    return insert(_revision).from_select(_RECORD_COLUMNS, source)


def revision_row(
    owner: Mapping[str, int | None],
    values: Mapping[str, Any],
    revision: int,
    deleted: bool = False,
) -> dict[str, Any]:
    """A revision row for insert_revisions from artifact row values."""
    return {
        "model_id": owner.get("model_id"),
        "version_id": owner.get("version_id"),
        **{name: values[name] for name in HEADER_COLUMNS},
        "revision": revision,
        "body": None if deleted else values["body"],
        "digest": None if deleted else values["digest"],
        "deleted": deleted,
    }


# -- reading -------------------------------------------------------------------------

_REVISION_COLUMNS = (
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


def history_query(
    owner: Mapping[str, int | None], identifier: str, revision: int | None = None
) -> Select[Any]:
    """The revisions of an identifier, oldest first (only `revision`, if given)."""
    statement = (
        select(*_REVISION_COLUMNS)
        .where(owner_condition(_revision, owner), _revision.c.identifier == identifier)
        .order_by(_revision.c.revision)
    )
    if revision is not None:
        statement = statement.where(_revision.c.revision == revision)
    return statement


def has_level(connection: Connection, owner: Mapping[str, int | None], identifier: str) -> bool:
    """Whether the owner has the identifier, now or in its history."""
    return bool(
        connection.execute(
            select(
                or_(
                    exists().where(
                        owner_condition(_revision, owner), _revision.c.identifier == identifier
                    ),
                    exists().where(
                        owner_condition(_artifact, owner), _artifact.c.identifier == identifier
                    ),
                )
            )
        ).scalar_one()
    )


def to_revision(row: Sequence[Any], level: ArtifactLevel) -> ArtifactRevision:
    """Rebuild an ArtifactRevision from a history_query row."""
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
    return ArtifactRevision(
        revision=revision,
        header=header,
        body=body,
        digest=digest,
        deleted=bool(deleted),
        recorded_at=recorded_at,
    )


# -- purging and verifying -------------------------------------------------------------


def purge_statement(
    model_pk: int | None, version_pk: int | None, older_than: datetime | None
) -> Any:
    """DELETE of the revisions in scope, except each live artifact's current revision."""
    current = exists().where(
        _artifact.c.identifier == _revision.c.identifier,
        _artifact.c.revision == _revision.c.revision,
        or_(
            _artifact.c.version_id == _revision.c.version_id,
            _artifact.c.model_id == _revision.c.model_id,
        ),
    )
    conditions: list[ColumnElement[bool]] = [~current]
    if version_pk is not None:
        conditions.append(_revision.c.version_id == version_pk)
    elif model_pk is not None:
        conditions.append(
            or_(
                _revision.c.model_id == model_pk,
                _revision.c.version_id.in_(
                    select(_version.c.id).where(_version.c.model_id == model_pk)
                ),
            )
        )
    if older_than is not None:
        conditions.append(_revision.c.recorded_at < older_than)
    return delete(_revision).where(and_(*conditions))


def digest_mismatches(connection: Connection) -> Iterator[DigestMismatch]:
    """Every artifact and revision whose body's digest differs from the stored one."""
    for table in (_artifact, _revision):
        is_revision = table is _revision
        last = 0
        while True:
            rows = connection.execute(_verify_page(table, last)).all()
            for _pk, model_id, version_id, identifier, revision, body, stored in rows:
                computed = body_digest(body)
                if computed != stored:
                    yield DigestMismatch(
                        model_id=model_id,
                        version_id=version_id,
                        artifact_id=identifier,
                        revision=revision if is_revision else None,
                        stored_digest=stored,
                        computed_digest=computed,
                    )
            if len(rows) < _VERIFY_BATCH:
                break
            last = rows[-1][0]


def _verify_page(table: Table, after: int) -> Select[Any]:
    """A page of (pk, model, version, identifier, revision, body, digest) after pk `after`."""
    statement = (
        select(
            table.c.id,
            _model.c.identifier,
            _version.c.identifier,
            table.c.identifier,
            table.c.revision,
            table.c.body,
            table.c.digest,
        )
        .select_from(
            table.outerjoin(_version, _version.c.id == table.c.version_id).join(
                _model, _model.c.id == func.coalesce(table.c.model_id, _version.c.model_id)
            )
        )
        .where(table.c.id > after)
        .order_by(table.c.id)
        .limit(_VERIFY_BATCH)
    )
    if table is _revision:
        statement = statement.where(_revision.c.body.isnot(None))
    return statement
