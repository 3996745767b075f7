"""The repository's SQL statements, built with named bind parameters.

Each builder returns a statement that takes its values as parameters (named
by the `P_*` constants and `value_params`), so the repository builds it once,
caches it (`ArtifactRepository._statement`) and reuses it for every call;
SQLAlchemy's compiled cache then always hits. Nothing here executes SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite

from mlte_store import history
from mlte_store.tables import artifact_table as _artifact
from mlte_store.tables import model_table as _model
from mlte_store.tables import version_table as _version

# Bind parameter names used in the statements.
P_MODEL, P_VERSION, P_ARTIFACT = "model_identifier", "version_identifier", "artifact_identifier"
P_MODEL_PK, P_VERSION_PK = "model_pk", "version_pk"

# Position of each level in the documented order for one identifier.
VERSION_RANK, MODEL_RANK = 0, 1

#: The columns a deletion marker is recorded from: the owner, then the header.
RECORD_COLUMNS = (
    _artifact.c.model_id,
    _artifact.c.version_id,
    *(_artifact.c[name] for name in history.HEADER_COLUMNS),
)

#: The columns an Artifact is rebuilt from, in this order.
ARTIFACT_COLUMNS = (
    _artifact.c.identifier,
    _artifact.c.type,
    _artifact.c.timestamp,
    _artifact.c.creator,
    _artifact.c.version_id,
    _artifact.c.body,
)

#: The artifact columns a write sets from its values (bound as `v_<column>`).
VALUES = ("identifier", "type", "timestamp", "creator", "body", "digest", "search")


def lookup(model_id: str, version_id: str, artifact_id: str | None = None) -> dict[str, str]:
    """Parameters naming a version (and an artifact) for the lookup statements."""
    params = {P_MODEL: model_id, P_VERSION: version_id}
    if artifact_id is not None:
        params[P_ARTIFACT] = artifact_id
    return params


def value_params(values: Mapping[str, Any]) -> dict[str, Any]:
    """A write's row values as the `v_<column>` parameters of the write statements."""
    return {f"v_{name}": values[name] for name in VALUES}


def dialect_insert(dialect: str, table: Table = _artifact) -> Any:
    """INSERT with the dialect's ON CONFLICT support (PostgreSQL or SQLite)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def visible(model_pk: Any, version_pk: Any) -> ColumnElement[bool]:
    """Artifacts visible from a version: its own and its model's model-level ones."""
    return or_(_artifact.c.version_id == version_pk, _artifact.c.model_id == model_pk)


# -- parents -----------------------------------------------------------------------


def parents() -> Select[Any]:
    """(model pk, version pk) of the version named by P_MODEL and P_VERSION; no row if missing."""
    return (
        select(_model.c.id, _version.c.id)
        .join(_version, _version.c.model_id == _model.c.id)
        .where(
            _model.c.identifier == bindparam(P_MODEL),
            _version.c.identifier == bindparam(P_VERSION),
        )
    )


def parents_or_model() -> Select[Any]:
    """(model pk, version pk or NULL), no row if the model is missing: which one is missing."""
    return (
        select(_model.c.id, _version.c.id)
        .select_from(
            _model.outerjoin(
                _version,
                and_(
                    _version.c.model_id == _model.c.id,
                    _version.c.identifier == bindparam(P_VERSION),
                ),
            )
        )
        .where(_model.c.identifier == bindparam(P_MODEL))
    )


def lock_parents(dialect: str, model_level: bool) -> Select[Any]:
    """`parents()` locking both rows on PostgreSQL: shared for version-level writes,
    FOR NO KEY UPDATE for model-level ones (see `ArtifactRepository._lock_parents`)."""
    statement = parents()
    if dialect == "postgresql":
        statement = statement.with_for_update(
            of=[_model, _version], read=not model_level, key_share=model_level
        )
    return statement


def parent_keys(by_name: bool) -> tuple[Any, Any]:
    """(model key, version key) for a statement: bound keys, or subqueries resolving the
    identifiers (`lookup`); both are NULL, so nothing matches, if the version is missing."""
    if not by_name:
        return bindparam(P_MODEL_PK), bindparam(P_VERSION_PK)
    found = parents()
    return (
        found.with_only_columns(_model.c.id).scalar_subquery(),
        found.with_only_columns(_version.c.id).scalar_subquery(),
    )


# -- reading -----------------------------------------------------------------------


def find_visible() -> Select[Any]:
    """The artifact `read_artifact` returns: version-level first, then model-level."""
    return (
        select(*ARTIFACT_COLUMNS)
        .select_from(
            _model.join(_version, _version.c.model_id == _model.c.id).join(
                _artifact,
                and_(
                    _artifact.c.identifier == bindparam(P_ARTIFACT),
                    or_(
                        _artifact.c.version_id == _version.c.id,
                        _artifact.c.model_id == _model.c.id,
                    ),
                ),
            )
        )
        .where(
            _model.c.identifier == bindparam(P_MODEL),
            _version.c.identifier == bindparam(P_VERSION),
        )
        .order_by(_artifact.c.version_id.is_(None))
        .limit(1)
    )


def delete_visible() -> Executable:
    """DELETE of the artifact `find_visible` finds, returning it and its record columns."""
    target = find_visible().with_only_columns(_artifact.c.id).scalar_subquery()
    return (
        delete(_artifact)
        .where(_artifact.c.id == target)
        .returning(*ARTIFACT_COLUMNS, *RECORD_COLUMNS)
    )


def count(condition: ColumnElement[bool]) -> Select[Any]:
    """How many visible artifacts match `condition` (parents named by identifier)."""
    return (
        select(func.count())
        .select_from(_artifact)
        .where(visible(*parent_keys(by_name=True)), condition)
    )


def visible_page(
    condition: ColumnElement[bool] | None,
    limited: bool,
    after_rank: int | None,
    by_name: bool,
) -> Select[Any]:
    """Visible artifacts in the documented order, as a merge of two index-ordered parts.

    Each part (the version's own, the model's model-level ones) is read in
    identifier order from its unique index and cut at offset + limit, so a
    page never sorts or loads the whole set. With `after_rank` the page is
    a keyset page: it starts after (page_after, after_rank), the
    identifier and level rank of the last artifact already seen.
    """
    model_key, version_key = parent_keys(by_name)
    parts = []
    for level_rank, owned in (
        (VERSION_RANK, _artifact.c.version_id == version_key),
        (MODEL_RANK, _artifact.c.model_id == model_key),
    ):
        part = select(*ARTIFACT_COLUMNS, literal(level_rank).label("level_rank")).where(owned)
        if condition is not None:
            part = part.where(condition)
        if after_rank is not None:
            after = bindparam("page_after", type_=_artifact.c.identifier.type)
            if level_rank > after_rank:
                part = part.where(_artifact.c.identifier >= after)
            else:
                part = part.where(_artifact.c.identifier > after)
        part = part.order_by(_artifact.c.identifier)
        if limited:
            part = part.limit(bindparam("page_cut"))
        parts.append(select(part.subquery()))
    merged = union_all(*parts).subquery()
    page = (
        select(*(merged.c[column.name] for column in ARTIFACT_COLUMNS))
        .order_by(merged.c.identifier, merged.c.level_rank)
        .offset(bindparam("page_offset"))
    )
    return page.limit(bindparam("page_limit")) if limited else page


# -- writing -------------------------------------------------------------------------


def _owner_param(model_level: bool, by_name: bool = False) -> Any:
    model_key, version_key = parent_keys(by_name)
    return model_key if model_level else version_key


def _owner_values(model_level: bool, by_name: bool = False) -> dict[str, Any]:
    """The owner columns of an artifact row at a level: one key bound, the other NULL."""
    owner = _owner_param(model_level, by_name)
    return {
        "model_id": owner if model_level else null(),
        "version_id": null() if model_level else owner,
    }


def insert_new(model_level: bool, by_name: bool = False) -> Executable:
    """INSERT ... SELECT of an artifact unless one with its identifier is visible.

    The parents are bound by key, or with `by_name` resolved from their
    identifiers in the statement (nothing is inserted if they are missing);
    then it also returns the new row's owner columns.
    """
    identifier = bindparam("v_identifier", type_=_artifact.c.identifier.type)
    model_key, version_key = parent_keys(by_name)
    source = select(
        *(value.label(name) for name, value in _owner_values(model_level, by_name).items()),
        *(bindparam(f"v_{name}", type_=_artifact.c[name].type).label(name) for name in VALUES),
        history.next_revision(model_level, _owner_param(model_level, by_name), identifier).label(
            "revision"
        ),
    ).where(~exists().where(visible(model_key, version_key), _artifact.c.identifier == identifier))
    returned = [_artifact.c.id, _artifact.c.revision]
    if by_name:
        source = source.where(version_key.isnot(None))
        returned += [_artifact.c.model_id, _artifact.c.version_id]
    return (
        insert(_artifact)
        .from_select(["model_id", "version_id", *VALUES, "revision"], source)
        .returning(*returned)
    )


def delete_other_level(model_level: bool) -> Executable:
    """DELETE of the artifact with the identifier at the other level, returning it."""
    other = (
        _artifact.c.version_id == bindparam(P_VERSION_PK)
        if model_level
        else _artifact.c.model_id == bindparam(P_MODEL_PK)
    )
    return (
        delete(_artifact)
        .where(other, _artifact.c.identifier == bindparam("v_identifier"))
        .returning(*RECORD_COLUMNS)
    )


def upsert(dialect: str, model_level: bool) -> Executable:
    """INSERT ... ON CONFLICT DO UPDATE of an artifact at one level, only if it differs."""
    key = "model_id" if model_level else "version_id"
    statement = dialect_insert(dialect).values(
        **_owner_values(model_level),
        **{name: bindparam(f"v_{name}", type_=_artifact.c[name].type) for name in VALUES},
        revision=history.next_revision(
            model_level, _owner_param(model_level), bindparam("v_identifier")
        ),
    )
    excluded = statement.excluded
    result: Executable = statement.on_conflict_do_update(
        index_elements=[_artifact.c[key], _artifact.c.identifier],
        index_where=_artifact.c[key].isnot(None),
        set_={
            **{name: excluded[name] for name in VALUES},
            "revision": _artifact.c.revision + 1,
        },
        where=or_(
            _artifact.c.digest != excluded.digest,
            _artifact.c.type != excluded.type,
            _artifact.c.timestamp.is_distinct_from(excluded.timestamp),
            _artifact.c.creator.is_distinct_from(excluded.creator),
        ),
    ).returning(_artifact.c.id, _artifact.c.revision)
    return result
