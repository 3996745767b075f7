"""The statements of the revision table (`mlte_artifact_revision`): record, read, purge, verify.

The rule of `statements` applies: hot-path builders take only shape
arguments and are `functools.cache`d; the others take values and are built
per call. Nothing here executes SQL.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Executable,
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
    literal_column,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from mlte_store.db.rows import (
    ARTIFACT_COLUMNS,
    HEADER_COLUMNS,
    REVISION_COLUMNS,
    REVISION_INSERT_COLUMNS,
    VALUES,
    Owner,
    verify_columns,
)
from mlte_store.models import ArtifactLevel
from mlte_store.tables import artifact_table as _artifact
from mlte_store.tables import model_table as _model
from mlte_store.tables import revision_table as _revision
from mlte_store.tables import version_table as _version

#: Rows `verify_page` reads per round trip.
VERIFY_BATCH = 1000

_MODEL = ArtifactLevel.MODEL


# -- revisions ---------------------------------------------------------------------------


def dialect_insert(dialect: str, table: Table = _artifact) -> Any:
    """INSERT with the dialect's ON CONFLICT support (PostgreSQL or SQLite)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def next_revision(level: ArtifactLevel, owner: Any, identifier: Any) -> ScalarSelect[Any]:
    """The next revision number of an identifier at a level, as a scalar subquery.

    `owner` and `identifier` are SQL expressions (usually bound parameters).
    """
    column = _revision.c.model_id if level == _MODEL else _revision.c.version_id
    return (
        select(func.coalesce(func.max(_revision.c.revision), 0) + 1)
        .where(column == owner, _revision.c.identifier == identifier)
        .scalar_subquery()
    )


def _next_revision_of(model_pk: Any, version_pk: Any, identifier: Any) -> ColumnElement[Any]:
    """The next revision number of an identifier whose owner is whichever of the two keys
    is not NULL (an artifact row's owner columns), as an expression."""
    highest = [
        select(func.max(_revision.c.revision))
        .where(column == key, _revision.c.identifier == identifier)
        .scalar_subquery()
        for column, key in ((_revision.c.version_id, version_pk), (_revision.c.model_id, model_pk))
    ]
    return func.coalesce(*highest, 0) + 1


def set_revision(row_pk: int, revision: int) -> Executable:
    """Correct an artifact row's revision to the number its history gave."""
    return update(_artifact).where(_artifact.c.id == row_pk).values(revision=revision)


def _recorded_at() -> BindParameter[Any]:
    return bindparam("r_recorded_at", type_=_revision.c.recorded_at.type)


@functools.cache
def revision_marker(level: ArtifactLevel) -> Insert:
    """INSERT ... SELECT of a deletion marker, numbered from the history it sees.

    Parameters: `r_owner` (the owner's key), `r_<column>` for the header
    columns, and `r_recorded_at`.
    """
    owner: BindParameter[Any] = bindparam("r_owner")
    header = {name: bindparam(f"r_{name}", type_=_revision.c[name].type) for name in HEADER_COLUMNS}
    model_level = level == _MODEL
    source = select(
        (owner if model_level else null()).label("model_id"),
        (null() if model_level else owner).label("version_id"),
        *(header[name].label(name) for name in HEADER_COLUMNS),
        next_revision(level, owner, header["identifier"]).label("revision"),
        null().label("body"),
        null().label("digest"),
        true().label("deleted"),
        _recorded_at().label("recorded_at"),
    )
    return (
        insert(_revision)
        .from_select(REVISION_INSERT_COLUMNS, source)
        .returning(_revision.c.revision)
    )


def deletion_with_marker(which: ColumnElement[bool], returned: Sequence[Any]) -> Select[Any]:
    """PostgreSQL: DELETE of the artifact row `which` selects and INSERT of its deletion
    marker in one statement (CTEs), returning the `returned` artifact columns of the
    deleted row, then whether the marker was recorded.

    The marker's number comes from the history the statement's snapshot shows.
    That is every earlier revision only if no other transaction changed the row
    between the snapshot and the DELETE's row lock (every writer of a revision
    changes the identifier's row; see `revisions`): so the marker is inserted only
    if the deleted row version (`xmin`) is the one the snapshot shows. Otherwise
    nothing is recorded here and the caller records the marker with a statement of
    its own, which sees every committed revision (`revision_marker`).
    """
    xmin: ColumnElement[Any] = literal_column(f"{_artifact.name}.xmin")
    removed = (
        delete(_artifact)
        .where(which)
        .returning(
            *(_artifact.c[name] for name in ("model_id", "version_id", *HEADER_COLUMNS, "body")),
            _artifact.c.id.label("row_pk"),
            xmin.label("row_xmin"),
        )
        .cte("removed")
    )
    unchanged = removed.c.row_xmin == (
        select(xmin).where(_artifact.c.id == removed.c.row_pk).scalar_subquery()
    )
    marker = (
        insert(_revision)
        .from_select(
            REVISION_INSERT_COLUMNS,
            select(
                removed.c.model_id,
                removed.c.version_id,
                *(removed.c[name] for name in HEADER_COLUMNS),
                _next_revision_of(removed.c.model_id, removed.c.version_id, removed.c.identifier),
                null(),
                null(),
                true(),
                _recorded_at(),
            ).where(unchanged),
        )
        .returning(_revision.c.revision)
        .cte("marker")
    )
    recorded = select(func.count()).select_from(marker).scalar_subquery()
    return select(
        *(removed.c[column.name].label(f"c{i}") for i, column in enumerate(returned)),
        (recorded > 0).label("recorded"),
    ).select_from(removed)


def _copied(revision: Any) -> Select[Any]:
    """Artifact rows as revision rows (REVISION_INSERT_COLUMNS) numbered `revision`."""
    return select(
        _artifact.c.model_id,
        _artifact.c.version_id,
        *(_artifact.c[name] for name in HEADER_COLUMNS),
        revision,
        _artifact.c.body,
        _artifact.c.digest,
        false().label("deleted"),
        _recorded_at().label("recorded_at"),
    )


@functools.cache
def revision_copy(level: ArtifactLevel) -> Insert:
    """INSERT ... SELECT of the artifact row `r_row` as a revision, numbered from the
    history it sees. The body is copied by the database, not sent again."""
    owner = _artifact.c.model_id if level == _MODEL else _artifact.c.version_id
    numbered = next_revision(level, owner, _artifact.c.identifier).label("revision")
    source = _copied(numbered).where(_artifact.c.id == bindparam("r_row"))
    return (
        insert(_revision)
        .from_select(REVISION_INSERT_COLUMNS, source)
        .returning(_revision.c.revision)
    )


@functools.cache
def revision_copy_many(level: ArtifactLevel) -> Insert:
    """INSERT ... SELECT of an owner's artifact rows `r_identifiers` as revisions with
    the numbers the rows carry (bulk writes)."""
    owner = _artifact.c.model_id if level == _MODEL else _artifact.c.version_id
    source = _copied(_artifact.c.revision).where(
        owner == bindparam("r_owner"),
        _artifact.c.identifier.in_(bindparam("r_identifiers", expanding=True)),
    )
    return insert(_revision).from_select(REVISION_INSERT_COLUMNS, source)


def insert_markers() -> Executable:
    """INSERT of numbered deletion markers (executemany); a marker's body is SQL NULL."""
    return insert(_revision).values(body=null())


def max_revisions(level: ArtifactLevel, pk: int, identifiers: Sequence[str]) -> Select[Any]:
    """(identifier, highest revision) of these identifiers in one owner's history."""
    column = _revision.c.model_id if level == _MODEL else _revision.c.version_id
    return (
        select(_revision.c.identifier, func.max(_revision.c.revision))
        .where(column == pk, _revision.c.identifier.in_(identifiers))
        .group_by(_revision.c.identifier)
    )


def history(owner: Owner, identifier: str, revision: int | None = None) -> Select[Any]:
    """REVISION_COLUMNS of an identifier's revisions, oldest first (only `revision`, if given)."""
    statement = (
        select(*REVISION_COLUMNS)
        .where(owner.condition(_revision), _revision.c.identifier == identifier)
        .order_by(_revision.c.revision)
    )
    if revision is not None:
        statement = statement.where(_revision.c.revision == revision)
    return statement


def has_identifier(owner: Owner, identifier: str) -> Select[Any]:
    """Whether the owner has the identifier, now or in its history."""
    return select(
        or_(
            exists().where(owner.condition(_revision), _revision.c.identifier == identifier),
            exists().where(owner.condition(_artifact), _artifact.c.identifier == identifier),
        )
    )


# -- recorded history, moved between stores (cold) ---------------------------------------


def recorded_page(owner: Owner, after: tuple[str, int] | None, size: int) -> Select[Any]:
    """REVISION_COLUMNS of an owner's revisions after (identifier, revision), in that order."""
    statement = select(*REVISION_COLUMNS).where(owner.condition(_revision))
    if after is not None:
        identifier, revision = after
        statement = statement.where(
            or_(
                _revision.c.identifier > identifier,
                and_(_revision.c.identifier == identifier, _revision.c.revision > revision),
            )
        )
    return statement.order_by(_revision.c.identifier, _revision.c.revision).limit(size)


def current_page(owner: Owner, after: str | None, size: int) -> Select[Any]:
    """(ARTIFACT_COLUMNS..., revision) of an owner's artifacts after identifier `after`."""
    statement = select(*ARTIFACT_COLUMNS, _artifact.c.revision).where(owner.condition(_artifact))
    if after is not None:
        statement = statement.where(_artifact.c.identifier > after)
    return statement.order_by(_artifact.c.identifier).limit(size)


def _owner_key(table: Table, level: ArtifactLevel) -> tuple[Any, Any]:
    column = table.c.model_id if level == _MODEL else table.c.version_id
    return column, column.isnot(None)


def insert_recorded(dialect: str, level: ArtifactLevel, markers: bool) -> Executable:
    """INSERT of revision rows as recorded elsewhere (executemany; `markers`: deletion
    markers, whose body is SQL NULL); one already recorded (same owner, identifier and
    number) is left alone. Returns the inserted rows' ids."""
    column, present = _owner_key(_revision, level)
    statement = dialect_insert(dialect, _revision)
    if markers:
        statement = statement.values(body=null())
    done: Executable = statement.on_conflict_do_nothing(
        index_elements=[column, _revision.c.identifier, _revision.c.revision],
        index_where=present,
    ).returning(_revision.c.id)
    return done


def insert_current(dialect: str, level: ArtifactLevel, replace: bool) -> Executable:
    """INSERT of artifact rows with their revision numbers (executemany); an existing
    artifact of the owner and identifier is left alone, or with `replace` overwritten."""
    column, present = _owner_key(_artifact, level)
    statement = dialect_insert(dialect, _artifact)
    keys = {"index_elements": [column, _artifact.c.identifier], "index_where": present}
    if replace:
        excluded = statement.excluded
        changed = {name: excluded[name] for name in (*VALUES, "revision")}
        statement = statement.on_conflict_do_update(**keys, set_=changed)
    else:
        statement = statement.on_conflict_do_nothing(**keys)
    done: Executable = statement.returning(_artifact.c.id)
    return done


# -- maintenance (cold) ------------------------------------------------------------------


def purge(model_pk: int | None, version_pk: int | None, older_than: datetime | None) -> Any:
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


def verify_page(table: Table, after: int) -> Select[Any]:
    """A page of `verify_columns` rows of `table` (artifacts or revisions) after pk `after`."""
    statement = (
        select(*verify_columns(table))
        .select_from(
            table.outerjoin(_version, _version.c.id == table.c.version_id).join(
                _model, _model.c.id == func.coalesce(table.c.model_id, _version.c.model_id)
            )
        )
        .where(table.c.id > after)
        .order_by(table.c.id)
        .limit(VERIFY_BATCH)
    )
    if table is _revision:
        statement = statement.where(_revision.c.body.isnot(None))
    return statement
