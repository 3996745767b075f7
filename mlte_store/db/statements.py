"""Every SQL statement of the store, built with SQLAlchemy Core; nothing here executes SQL.

The one rule for where a statement goes and when it is cached:

- every statement is built here, by a function named after what it returns;
- a hot-path builder takes only shape arguments (dialect, level, `by_name`),
  takes its values as named bind parameters (`P_*`, `v_*`, `r_*`) and is
  `functools.cache`d: its arguments are its cache key, so a call builds no SQL
  and SQLAlchemy's compiled cache always hits;
- a statement whose shape includes a compiled filter (`filtered_page`,
  `filtered_count`) is kept in the repository's `ShapeCache` under the
  filter's shape, so filters of one shape share one statement;
- cold-path builders (models and versions, bulk writes, history reads, purge,
  verify) take their values and are built per call.

The statements of the revision table follow the same rule in
`revision_statements`, which this module uses (never the other way round).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Executable,
    Select,
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

from mlte_store.db.filters import Parameters, compile_filter, filter_shape
from mlte_store.db.revision_statements import deletion_with_marker, dialect_insert, next_revision
from mlte_store.db.rows import (
    ARTIFACT_COLUMNS,
    DELETED_COLUMNS,
    LEVEL_RANK,
    RECORD_COLUMNS,
    REPLACED_COLUMNS,
    VALUES,
)
from mlte_store.models import ArtifactLevel
from mlte_store.query import Filter
from mlte_store.tables import artifact_table as _artifact
from mlte_store.tables import model_table as _model
from mlte_store.tables import version_table as _version

# Bind parameter names used in the statements.
P_MODEL, P_VERSION, P_ARTIFACT = "model_identifier", "version_identifier", "artifact_identifier"
P_MODEL_PK, P_VERSION_PK = "model_pk", "version_pk"

#: Most filter-shaped statements a repository keeps built.
SHAPE_CACHE_SIZE = 256

_MODEL, _VERSION = ArtifactLevel.MODEL, ArtifactLevel.VERSION


def lookup(model_id: str, version_id: str | None, artifact_id: str | None = None) -> dict[str, str]:
    """Parameters naming a version, or only a model, (and an artifact) by identifier."""
    params = {P_MODEL: model_id}
    if version_id is not None:
        params[P_VERSION] = version_id
    if artifact_id is not None:
        params[P_ARTIFACT] = artifact_id
    return params


def keys(model_pk: int, version_pk: int) -> dict[str, int]:
    """Parameters naming a version by its keys (model pk, version pk)."""
    return {P_MODEL_PK: model_pk, P_VERSION_PK: version_pk}


class ShapeCache:
    """Filter-shaped statements of one repository, by shape; emptied when full (bounded)."""

    def __init__(self) -> None:
        self._built: dict[Hashable, Any] = {}

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        statement = self._built.get(key)
        if statement is None:
            if len(self._built) >= SHAPE_CACHE_SIZE:
                self._built.clear()
            statement = self._built[key] = build()
        return statement


def visible(model_pk: Any, version_pk: Any) -> ColumnElement[bool]:
    """Artifacts visible from a version: its own and its model's model-level ones."""
    return or_(_artifact.c.version_id == version_pk, _artifact.c.model_id == model_pk)


# -- models and versions (cold) -----------------------------------------------------


def insert_model(model_id: str) -> Executable:
    return insert(_model).values(identifier=model_id).returning(_model.c.id)


def insert_version(model_pk: int, version_id: str) -> Executable:
    return insert(_version).values(model_id=model_pk, identifier=version_id)


def model_with_versions(model_id: str) -> Select[Any]:
    """(model pk, version identifier or NULL) per version of the model, sorted; none if missing."""
    return (
        select(_model.c.id, _version.c.identifier)
        .select_from(_model.outerjoin(_version, _version.c.model_id == _model.c.id))
        .where(_model.c.identifier == model_id)
        .order_by(_version.c.identifier)
    )


def model_identifiers() -> Select[Any]:
    return select(_model.c.identifier).order_by(_model.c.identifier)


def delete_model(model_id: str) -> Executable:
    return delete(_model).where(_model.c.identifier == model_id)


def delete_version(version_pk: int) -> Executable:
    return delete(_version).where(_version.c.id == version_pk)


def model_key(model_id: str, dialect: str | None = None, lock: ArtifactLevel | None = None) -> Any:
    """The model's pk; with `lock` (PostgreSQL) locked as `lock_parents` locks it."""
    statement = select(_model.c.id).where(_model.c.identifier == model_id)
    if lock is not None and dialect == "postgresql":
        statement = statement.with_for_update(read=lock != _MODEL, key_share=lock == _MODEL)
    return statement


def insert_model_if_missing(dialect: str, model_id: str) -> Executable:
    statement: Executable = (
        dialect_insert(dialect, _model)
        .values(identifier=model_id)
        .on_conflict_do_nothing(index_elements=[_model.c.identifier])
    )
    return statement


def insert_version_if_missing(dialect: str, model_pk: int, version_id: str) -> Executable:
    statement: Executable = (
        dialect_insert(dialect, _version)
        .values(model_id=model_pk, identifier=version_id)
        .on_conflict_do_nothing(index_elements=[_version.c.model_id, _version.c.identifier])
    )
    return statement


# -- parents (hot) ---------------------------------------------------------------------


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


@functools.cache
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


@functools.cache
def lock_parents(dialect: str, level: ArtifactLevel) -> Select[Any]:
    """`parents()` locking both rows on PostgreSQL: shared for version-level writes,
    FOR NO KEY UPDATE for model-level ones (see `parents.lock`)."""
    statement = parents()
    if dialect == "postgresql":
        statement = statement.with_for_update(
            of=[_model, _version], read=level != _MODEL, key_share=level == _MODEL
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


# -- reading artifacts (hot) -------------------------------------------------------------


def _find_visible(model_only: bool) -> Select[Any]:
    if model_only:  # the model's model-level artifact, no version involved
        return (
            select(*ARTIFACT_COLUMNS)
            .select_from(
                _model.join(
                    _artifact,
                    and_(
                        _artifact.c.model_id == _model.c.id,
                        _artifact.c.identifier == bindparam(P_ARTIFACT),
                    ),
                )
            )
            .where(_model.c.identifier == bindparam(P_MODEL))
        )
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


@functools.cache
def find_visible(model_only: bool = False) -> Select[Any]:
    """The artifact `read_artifact` returns: version-level first, then model-level; with
    `model_only`, the model-level artifact of the model named alone (`lookup(m, None, a)`)."""
    return _find_visible(model_only)


@functools.cache
def delete_visible(model_only: bool = False) -> Executable:
    """DELETE of the artifact `find_visible` finds, returning DELETED_COLUMNS."""
    target = _find_visible(model_only).with_only_columns(_artifact.c.id).scalar_subquery()
    return delete(_artifact).where(_artifact.c.id == target).returning(*DELETED_COLUMNS)


@functools.cache
def delete_visible_recorded(model_only: bool = False) -> Executable:
    """PostgreSQL: `delete_visible` and its deletion marker in one statement, returning
    DELETED_COLUMNS and whether the marker was recorded (`deletion_with_marker`)."""
    target = _find_visible(model_only).with_only_columns(_artifact.c.id).scalar_subquery()
    return deletion_with_marker(_artifact.c.id == target, DELETED_COLUMNS)


def filtered_count(
    cache: ShapeCache, dialect: str, filter: Filter
) -> tuple[Select[Any], dict[str, Any]]:
    """(statement, the filter's parameters): how many visible artifacts match (parents by name)."""
    params = Parameters()
    condition = compile_filter(filter, dialect, params)
    statement = cache.get(
        ("count", filter_shape(filter)),
        lambda: (
            select(func.count())
            .select_from(_artifact)
            .where(visible(*parent_keys(by_name=True)), condition)
        ),
    )
    return statement, params.values


@functools.cache
def count_by_keys() -> Select[Any]:
    """How many artifacts the keys (`keys`) make visible, without a filter."""
    return select(func.count()).select_from(_artifact).where(visible(*parent_keys(by_name=False)))


def filtered_page(
    cache: ShapeCache,
    dialect: str,
    filter: Filter | None,
    limited: bool,
    after_rank: int | None,
    by_name: bool,
) -> tuple[Select[Any], dict[str, Any]]:
    """(statement, the filter's parameters): a page of `visible_page` for the filter's shape."""
    params = Parameters()
    condition = None if filter is None else compile_filter(filter, dialect, params)
    shape = None if filter is None else filter_shape(filter)
    statement = cache.get(
        ("page", shape, limited, after_rank, by_name),
        lambda: visible_page(condition, limited, after_rank, by_name),
    )
    return statement, params.values


def visible_page(
    condition: ColumnElement[bool] | None,
    limited: bool,
    after_rank: int | None,
    by_name: bool,
) -> Select[Any]:
    """Visible artifacts in the documented order, as a merge of two index-ordered parts.

    Each part (the version's own, the model's model-level ones) is read in
    identifier order from its unique index and cut at offset + limit
    (`page_cut`), so a page never sorts or loads the whole set. A limited
    page merges and cuts only narrow rows (key, identifier, level rank), then
    fetches the page's rows by key: the rows skipped by the offset are never
    read with their bodies (on SQLite the parts are then read from the index
    alone). With `after_rank` it is a keyset page: it starts after
    (page_after, after_rank), the identifier and level rank of the last
    artifact seen.
    """
    model_key_, version_key = parent_keys(by_name)
    parts = []
    for level_rank, owned in (
        (LEVEL_RANK[_VERSION], _artifact.c.version_id == version_key),
        (LEVEL_RANK[_MODEL], _artifact.c.model_id == model_key_),
    ):
        columns = (_artifact.c.id, _artifact.c.identifier) if limited else ARTIFACT_COLUMNS
        part = select(*columns, literal(level_rank).label("level_rank")).where(owned)
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
    order = (merged.c.identifier, merged.c.level_rank)
    if not limited:
        page = select(*(merged.c[column.name] for column in ARTIFACT_COLUMNS))
        return page.order_by(*order).offset(bindparam("page_offset"))
    keys = (
        select(merged.c.id, *order)
        .order_by(*order)
        .offset(bindparam("page_offset"))
        .limit(bindparam("page_limit"))
        .subquery()
    )
    return (
        select(*ARTIFACT_COLUMNS)
        .join_from(keys, _artifact, _artifact.c.id == keys.c.id)
        .order_by(keys.c.identifier, keys.c.level_rank)
    )


# -- writing artifacts (hot) -------------------------------------------------------------


def _owner_param(level: ArtifactLevel, by_name: bool = False) -> Any:
    model_key_, version_key = parent_keys(by_name)
    return model_key_ if level == _MODEL else version_key


def _owner_values(level: ArtifactLevel, by_name: bool = False) -> dict[str, Any]:
    """The owner columns of an artifact row at a level: one key bound, the other NULL."""
    owner = _owner_param(level, by_name)
    model_level = level == _MODEL
    return {
        "model_id": owner if model_level else null(),
        "version_id": null() if model_level else owner,
    }


@functools.cache
def insert_new(level: ArtifactLevel, by_name: bool = False) -> Executable:
    """INSERT ... SELECT of an artifact unless one with its identifier is visible.

    The parents are bound by key, or with `by_name` resolved from their
    identifiers in the statement (nothing is inserted if they are missing);
    then it also returns the new row's owner columns.
    """
    identifier = bindparam("v_identifier", type_=_artifact.c.identifier.type)
    model_key_, version_key = parent_keys(by_name)
    source = select(
        *(value.label(name) for name, value in _owner_values(level, by_name).items()),
        *(bindparam(f"v_{name}", type_=_artifact.c[name].type).label(name) for name in VALUES),
        next_revision(level, _owner_param(level, by_name), identifier).label("revision"),
    ).where(~exists().where(visible(model_key_, version_key), _artifact.c.identifier == identifier))
    returned = [_artifact.c.id, _artifact.c.revision]
    if by_name:
        source = source.where(version_key.isnot(None))
        returned += [_artifact.c.model_id, _artifact.c.version_id]
    return (
        insert(_artifact)
        .from_select(["model_id", "version_id", *VALUES, "revision"], source)
        .returning(*returned)
    )


@functools.cache
def delete_other_level(level: ArtifactLevel) -> Executable:
    """DELETE of the artifact with the identifier at the other level, returning RECORD_COLUMNS."""
    other = (
        _artifact.c.version_id == bindparam(P_VERSION_PK)
        if level == _MODEL
        else _artifact.c.model_id == bindparam(P_MODEL_PK)
    )
    return (
        delete(_artifact)
        .where(other, _artifact.c.identifier == bindparam("v_identifier"))
        .returning(*RECORD_COLUMNS)
    )


@functools.cache
def upsert(dialect: str, level: ArtifactLevel) -> Executable:
    """INSERT ... ON CONFLICT DO UPDATE of an artifact at one level, only if it differs."""
    key = "model_id" if level == _MODEL else "version_id"
    statement = dialect_insert(dialect).values(
        **_owner_values(level),
        **{name: bindparam(f"v_{name}", type_=_artifact.c[name].type) for name in VALUES},
        revision=next_revision(level, _owner_param(level), bindparam("v_identifier")),
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


# -- bulk writes (cold: the IN lists take values) ---------------------------------------


def _visible_in(model_pk: int, version_pk: int, identifiers: Sequence[str]) -> Any:
    return and_(visible(model_pk, version_pk), _artifact.c.identifier.in_(identifiers))


def delete_visible_in(model_pk: int, version_pk: int, identifiers: Sequence[str]) -> Executable:
    """DELETE of the visible artifacts with these identifiers, returning REPLACED_COLUMNS."""
    return (
        delete(_artifact)
        .where(_visible_in(model_pk, version_pk, identifiers))
        .returning(*REPLACED_COLUMNS)
    )


def first_visible_in(model_pk: int, version_pk: int, identifiers: Sequence[str]) -> Select[Any]:
    """The identifier of one visible artifact with one of these identifiers, if any."""
    visible_in = _visible_in(model_pk, version_pk, identifiers)
    return select(_artifact.c.identifier).where(visible_in).limit(1)


def insert_artifacts() -> Executable:
    """INSERT of whole artifact rows (executemany)."""
    return insert(_artifact)
