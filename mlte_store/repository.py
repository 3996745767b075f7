"""ArtifactRepository: MLTE's artifact store operations over SQLAlchemy Core.

Every public method runs in exactly one transaction, opened here and nowhere
else: it happens entirely or not at all. Private helpers take the open
connection. Existence is decided by constraints where it can be (insert, then
translate the integrity error), and rows become pydantic entities before the
transaction ends.

Statements (built in `statements`) take named bind parameters and are built
once per repository and reused (`_statement`), so a call costs no SQL
construction and SQLAlchemy's compiled cache always hits; filters of the same
shape share one statement.

Order of listed artifacts: by identifier in code-point order (Python's
`sorted()` order) and, for the same identifier at both levels, the
version-level artifact first.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Concatenate, NoReturn, ParamSpec, TypeVar

from pydantic import ValidationError
from sqlalchemy import (
    Connection,
    Engine,
    and_,
    delete,
    insert,
    select,
)
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from mlte_store import history, migrate
from mlte_store import statements as sql
from mlte_store.casefold import search_document
from mlte_store.engine import (
    SINGLE_STATEMENT_OPTION,
    STATEMENTS_DONE,
    WRITE_OPTION,
    EngineOwner,
)
from mlte_store.errors import (
    ErrorAlreadyExists,
    ErrorDatabase,
    ErrorInvalidInput,
    ErrorNotFound,
    ErrorStore,
    describe,
)
from mlte_store.models import (
    Artifact,
    ArtifactHeader,
    ArtifactLevel,
    ArtifactRevision,
    ArtifactType,
    DigestMismatch,
    Model,
    Version,
    body_digest,
    check_identifier,
)
from mlte_store.query import Filter, Query
from mlte_store.sql_filters import Parameters, compile_filter, filter_shape
from mlte_store.tables import artifact_table as _artifact
from mlte_store.tables import model_table as _model
from mlte_store.tables import version_table as _version

#: Largest `limit` accepted by `read_artifacts` and `search_artifacts`.
MAX_PAGE_SIZE = 10_000

#: Default number of artifacts `iter_artifacts` reads per round trip.
DEFAULT_PAGE_SIZE = 500

#: How often a write with `parents=True` creates parents that concurrent deletes remove.
_CREATE_PARENTS_ATTEMPTS = 5

#: A primary key value that no row has (keys start at 1).
_NO_ROW = 0

#: Most statements a repository keeps built (one per kind and filter shape).
_STATEMENT_CACHE_SIZE = 256


class _LostBeforeAnyStatement(ErrorDatabase):
    """The connection was lost before a statement of the call completed: nothing was sent
    successfully, so nothing can have been written and the call may run again."""


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _retried(
    method: Callable[Concatenate[ArtifactRepository, _P], _R],
) -> Callable[Concatenate[ArtifactRepository, _P], _R]:
    """Run a repository call again, once, if its connection was lost before its first statement.

    This replaces the pool's pre-ping round trip: a pooled connection the
    server closed is usually dropped at checkout (`engine`); one that dies
    unnoticed fails at its first statement and the call runs again on a
    fresh connection. A connection lost later is the caller's ErrorDatabase.
    """

    @functools.wraps(method)
    def call(self: ArtifactRepository, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except _LostBeforeAnyStatement:
            return method(self, *args, **kwargs)

    return call


class ArtifactRepository(EngineOwner):
    """MLTE's artifact store over one SQL database (PostgreSQL or SQLite).

    Built from a database URL (then it owns, and `close()` disposes, its
    engine) or from an SQLAlchemy Engine (then the caller owns it). The schema
    must be at this code's head revision (`mlte-store db upgrade`); otherwise
    the constructor raises ErrorSchema. With `history=False` writes and
    deletes record no revisions (MLTE's plain behaviour); history already
    recorded stays readable.
    """

    def __init__(
        self, url_or_engine: str | URL | Engine | None = None, *, history: bool = True
    ) -> None:
        super().__init__(url_or_engine)
        self._keep_history = history
        self._dialect = self._engine.dialect.name
        self._statements: dict[Hashable, Any] = {}
        try:
            with self._transaction(write=False) as connection:
                migrate.check_schema(connection, self._url_shown)
        except BaseException:
            self.close()
            raise

    # -- models ------------------------------------------------------------------

    @_retried
    def create_model(self, model: Model | str) -> Model:
        """Create a model (and any versions it lists); ErrorAlreadyExists if it exists."""
        new_model: Model = _entity(Model, model)
        with self._transaction(write=True) as connection:
            try:
                model_pk = connection.execute(
                    insert(_model).values(identifier=new_model.identifier).returning(_model.c.id)
                ).scalar_one()
            except IntegrityError as exc:
                raise ErrorAlreadyExists(
                    f"{describe(new_model.identifier)} already exists"
                ) from exc
            for version in new_model.versions:
                self._insert_version(connection, model_pk, new_model.identifier, version.identifier)
            return self._read_model(connection, new_model.identifier)

    @_retried
    def read_model(self, model_id: str) -> Model:
        """The model with its versions (sorted by identifier)."""
        model_id = _identifier(model_id, "model identifier")
        with self._transaction(write=False) as connection:
            return self._read_model(connection, model_id)

    @_retried
    def list_models(self) -> list[str]:
        """Every model's identifier, sorted."""
        with self._transaction(write=False) as connection:
            rows = connection.execute(select(_model.c.identifier).order_by(_model.c.identifier))
            return list(rows.scalars())

    @_retried
    def delete_model(self, model_id: str) -> Model:
        """Delete a model with its versions and all their artifacts; return what was deleted."""
        model_id = _identifier(model_id, "model identifier")
        with self._transaction(write=True) as connection:
            model = self._read_model(connection, model_id)
            connection.execute(delete(_model).where(_model.c.identifier == model_id))
            return model

    # -- versions ----------------------------------------------------------------

    @_retried
    def create_version(self, model_id: str, version: Version | str) -> Version:
        """Create a version of an existing model; ErrorAlreadyExists if it exists."""
        model_id = _identifier(model_id, "model identifier")
        new_version: Version = _entity(Version, version)
        with self._transaction(write=True) as connection:
            model_pk = self._model_pk(connection, model_id)
            self._insert_version(connection, model_pk, model_id, new_version.identifier)
            return new_version

    @_retried
    def read_version(self, model_id: str, version_id: str) -> Version:
        """The version, or ErrorNotFound naming what is missing."""
        model_id, version_id = _parents(model_id, version_id)
        with self._transaction(write=False) as connection:
            self._version_pks(connection, model_id, version_id)
            return Version(identifier=version_id)

    @_retried
    def list_versions(self, model_id: str) -> list[str]:
        """The identifiers of a model's versions, sorted."""
        model_id = _identifier(model_id, "model identifier")
        with self._transaction(write=False) as connection:
            return [v.identifier for v in self._read_model(connection, model_id).versions]

    @_retried
    def delete_version(self, model_id: str, version_id: str) -> Version:
        """Delete a version and its version-level artifacts; return the deleted version."""
        model_id, version_id = _parents(model_id, version_id)
        with self._transaction(write=True) as connection:
            _, version_pk = self._version_pks(connection, model_id, version_id)
            connection.execute(delete(_version).where(_version.c.id == version_pk))
            return Version(identifier=version_id)

    # -- artifacts: writing ------------------------------------------------------

    @_retried
    def write_artifact_with_header(
        self,
        model_id: str,
        version_id: str,
        artifact: Artifact | Mapping[str, Any],
        *,
        force: bool = False,
        parents: bool = False,
        user: str | None = None,
    ) -> Artifact:
        """Stamp the header (timestamp: now, creator: `user`), then `write_artifact`."""
        stamped = _stamped(_artifact_input(artifact), user)
        model_id, version_id = _parents(model_id, version_id)
        with self._transaction(write=True) as connection:
            self._write_one(connection, model_id, version_id, stamped, force, parents)
        return stamped

    @_retried
    def write_artifact(
        self,
        model_id: str,
        version_id: str,
        artifact: Artifact | Mapping[str, Any],
        *,
        force: bool = False,
        parents: bool = False,
    ) -> Artifact:
        """Write an artifact with its header as given; return it as stored.

        ErrorNotFound if the model or version is missing (unless `parents`,
        which creates them). ErrorAlreadyExists if an artifact with this
        identifier is visible from the version (its own, or a model-level one
        of the model), unless `force`, which replaces every such artifact.
        """
        model_id, version_id = _parents(model_id, version_id)
        checked = _artifact_input(artifact)
        with self._transaction(write=True) as connection:
            self._write_one(connection, model_id, version_id, checked, force, parents)
        return checked

    def _write_one(
        self,
        connection: Connection,
        model_id: str,
        version_id: str,
        checked: Artifact,
        force: bool,
        parents: bool,
    ) -> None:
        """The body of `write_artifact`, on the open connection."""
        header = checked.header
        model_level = header.level == ArtifactLevel.MODEL
        values = _row_values(checked, None, None)
        for column in ("model_id", "version_id"):
            del values[column]
        where = describe(model_id, version_id, header.identifier)
        if (
            not force
            and self._dialect == "sqlite"
            and self._insert_by_name(connection, model_id, version_id, model_level, values)
        ):
            return
        model_pk, version_pk = self._lock_parents(
            connection, model_id, version_id, model_level, create=parents
        )
        owner = (
            {"model_id": model_pk, "version_id": None}
            if model_level
            else {"model_id": None, "version_id": version_pk}
        )
        if force:
            self._replace_artifact(connection, model_pk, version_pk, owner, values)
        else:
            self._insert_new_artifact(connection, model_pk, version_pk, owner, values, where)

    def write_artifacts(
        self,
        model_id: str,
        version_id: str,
        artifacts: Iterable[Artifact | Mapping[str, Any]],
        *,
        force: bool = False,
        parents: bool = False,
    ) -> int:
        """Write many artifacts in one transaction: all of them or none; return the count.

        The rules of `write_artifact` apply to each (headers as given, both
        levels allowed); two artifacts of the batch that would be visible from
        the version under one identifier conflict with each other unless
        `force`, where the later one wins. Bulk writes of one model are
        serialised with each other and with its model-level writes.
        """
        model_id, version_id = _parents(model_id, version_id)
        batch: dict[str, Artifact] = {}
        for index, item in enumerate(artifacts):
            checked = _artifact_input(item, f"artifact #{index} of the batch")
            identifier = checked.header.identifier
            if identifier in batch and not force:
                raise ErrorAlreadyExists(
                    f"{describe(model_id, version_id, identifier)} appears twice in the batch"
                )
            batch[identifier] = checked
        if not batch:
            return 0
        return self._write_batch(model_id, version_id, batch, force, parents)

    @_retried
    def _write_batch(
        self, model_id: str, version_id: str, batch: dict[str, Artifact], force: bool, parents: bool
    ) -> int:
        """The transaction of `write_artifacts`, on the validated batch."""
        with self._transaction(write=True) as connection:
            model_pk, version_pk = self._lock_parents(
                connection, model_id, version_id, True, create=parents
            )
            identifiers = list(batch)
            removed: list[Sequence[Any]] = []
            for chunk in _chunks(identifiers, _IN_CHUNK):
                visible = and_(sql.visible(model_pk, version_pk), _artifact.c.identifier.in_(chunk))
                if force:
                    removed.extend(
                        connection.execute(
                            delete(_artifact)
                            .where(visible)
                            .returning(
                                *sql.RECORD_COLUMNS, _artifact.c.digest, _artifact.c.revision
                            )
                        )
                    )
                    continue
                clash = connection.execute(
                    select(_artifact.c.identifier).where(visible).limit(1)
                ).scalar_one_or_none()
                if clash is not None:
                    raise ErrorAlreadyExists(
                        f"{describe(model_id, version_id, clash)} already exists"
                    )
            rows = [_row_values(a, model_pk, version_pk) for a in batch.values()]
            highest: dict[tuple[str, str], int] = {}
            for chunk in _chunks(identifiers, _IN_CHUNK):
                highest.update(history.max_revisions(connection, model_pk, version_pk, chunk))
            revisions = history.number_batch(rows, removed, highest)
            try:
                for chunk_rows in _chunks(rows, _INSERT_CHUNK):
                    connection.execute(insert(_artifact), chunk_rows)
                if self._keep_history:
                    for chunk_rows in _chunks(revisions, _INSERT_CHUNK):
                        history.insert_revisions(connection, chunk_rows)
            except IntegrityError as exc:
                raise ErrorAlreadyExists(
                    f"an artifact of the batch already exists in {describe(model_id, version_id)}"
                ) from exc
        return len(batch)

    def _insert_new_artifact(
        self,
        connection: Connection,
        model_pk: int,
        version_pk: int,
        owner: dict[str, int | None],
        values: dict[str, Any],
        where: str,
    ) -> None:
        """Insert unless an artifact with the identifier is visible from the version."""
        model_level = owner["model_id"] is not None
        statement = self._statement(
            ("insert new", model_level), lambda: sql.insert_new(model_level)
        )
        params = sql.value_params(values)
        params.update({sql.P_MODEL_PK: model_pk, sql.P_VERSION_PK: version_pk})
        try:
            written = connection.execute(statement, params).first()
        except IntegrityError as exc:
            raise ErrorAlreadyExists(f"{where} already exists") from exc
        if written is None:
            raise ErrorAlreadyExists(f"{where} already exists")
        self._record_revision(connection, owner, written)

    def _insert_by_name(
        self,
        connection: Connection,
        model_id: str,
        version_id: str,
        model_level: bool,
        values: dict[str, Any],
    ) -> bool:
        """SQLite: insert a new artifact resolving its parents in the statement; whether it did.

        SQLite takes no row locks (BEGIN IMMEDIATE serialises its writers), so
        the parents need no locking statement of their own. When nothing is
        inserted (parents missing, or the identifier taken), the general path
        runs and says which, or creates the parents.
        """
        statement = self._statement(
            ("insert new by name", model_level), lambda: sql.insert_new(model_level, by_name=True)
        )
        params = sql.value_params(values)
        params.update(sql.lookup(model_id, version_id))
        written = connection.execute(statement, params).first()
        if written is None:
            return False
        row_pk, revision, model_pk, version_pk = written
        self._record_revision(
            connection, {"model_id": model_pk, "version_id": version_pk}, (row_pk, revision)
        )
        return True

    def _replace_artifact(
        self,
        connection: Connection,
        model_pk: int,
        version_pk: int,
        owner: dict[str, int | None],
        values: dict[str, Any],
    ) -> None:
        """Delete the visible artifact of the other level, then upsert at this one.

        The upsert changes nothing (and records no revision) when the header
        and body equal the current ones, so retried writes are idempotent.
        """
        model_level = owner["model_id"] is not None
        params = sql.value_params(values)
        params.update({sql.P_MODEL_PK: model_pk, sql.P_VERSION_PK: version_pk})
        removed = connection.execute(
            self._statement(
                ("delete other level", model_level), lambda: sql.delete_other_level(model_level)
            ),
            params,
        ).first()
        if removed is not None:
            self._record_deletion(connection, removed)
        statement = self._statement(
            ("upsert", model_level), lambda: sql.upsert(self._dialect, model_level)
        )
        written = connection.execute(statement, params).first()
        if written is not None:
            self._record_revision(connection, owner, written)

    def _record_revision(
        self, connection: Connection, owner: dict[str, int | None], written: Sequence[Any]
    ) -> None:
        """Record the write of the row that came back as (id, revision), if history is on."""
        if self._keep_history:
            history.record_write(connection, owner, written)

    def _record_deletion(self, connection: Connection, removed: Sequence[Any]) -> None:
        """Record a deletion marker for a removed row (RECORD_COLUMNS), if history is on."""
        if self._keep_history:
            model_pk, version_pk, *header = removed
            history.record_deletion(
                connection,
                {"model_id": model_pk, "version_id": version_pk},
                dict(zip(history.HEADER_COLUMNS, header, strict=True)),
            )

    # -- artifacts: reading ------------------------------------------------------

    @_retried
    def read_artifact(
        self,
        model_id: str,
        version_id: str,
        artifact_id: str,
        *,
        revision: int | None = None,
        level: ArtifactLevel | str | None = None,
    ) -> Artifact:
        """The version-level artifact, else the model's model-level one, else ErrorNotFound.

        With `revision`, the artifact as it was at that revision of its history
        (see `read_artifact_history` for `level`), also after it was deleted.
        """
        if revision is not None:
            return self._read_revision(model_id, version_id, artifact_id, revision, level)
        model_id, version_id = _parents(model_id, version_id)
        artifact_id = _identifier(artifact_id, "artifact identifier")
        with self._transaction(write=False, single=True) as connection:
            row = connection.execute(
                self._statement("find visible", sql.find_visible),
                sql.lookup(model_id, version_id, artifact_id),
            ).first()
            if row is None:
                self._raise_missing(connection, model_id, version_id, artifact_id)
            return _to_artifact(row)

    @_retried
    def read_artifacts(
        self, model_id: str, version_id: str, limit: int = 100, offset: int = 0
    ) -> list[Artifact]:
        """A page of the artifacts visible from the version, in the documented order."""
        model_id, version_id = _parents(model_id, version_id)
        limit, offset = _paging(limit, offset)
        with self._transaction(write=False, single=True) as connection:
            rows = self._page(connection, sql.lookup(model_id, version_id), None, limit, offset)
            return self._found(connection, rows, model_id, version_id)

    @_retried
    def search_artifacts(
        self,
        model_id: str,
        version_id: str,
        query: Query | Mapping[str, Any] | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Artifact]:
        """The visible artifacts matching the query, filtered in SQL, in the documented order.

        By default every match (as MLTE); `limit`/`offset` slice the matches in SQL.
        """
        model_id, version_id = _parents(model_id, version_id)
        query = _query_input(query)
        if limit is not None:
            limit, offset = _paging(limit, offset)
        else:
            _, offset = _paging(0, offset)
        with self._transaction(write=False, single=True) as connection:
            rows = self._page(
                connection, sql.lookup(model_id, version_id), query.filter, limit, offset
            )
            return self._found(connection, rows, model_id, version_id)

    def iter_artifacts(
        self,
        model_id: str,
        version_id: str,
        query: Query | Mapping[str, Any] | None = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        level: ArtifactLevel | str | None = None,
    ) -> Iterator[Artifact]:
        """Stream the visible artifacts (optionally only those matching `query`) in order.

        Reads `page_size` artifacts per transaction, continuing after the last
        one seen (keyset paging, not offset), so every page costs the same at
        any depth and memory stays flat. Each artifact that exists throughout
        the iteration is yielded exactly once; artifacts written meanwhile
        appear if they sort after the current position. `level` keeps only the
        version's own artifacts ("version") or only the model-level ones ("model").
        """
        model_id, version_id = _parents(model_id, version_id)
        query = _query_input(query)
        page_size, _ = _paging(page_size, 0)
        if page_size == 0:
            raise ErrorInvalidInput("page_size must be at least 1")
        only = _level_input(level)
        with self._transaction(write=False) as connection:
            model_pk, version_pk = self._version_pks(connection, model_id, version_id)
        # A primary key no row has: the part of the merge for the other level stays empty.
        if only == ArtifactLevel.VERSION:
            model_pk = _NO_ROW
        elif only == ArtifactLevel.MODEL:
            version_pk = _NO_ROW
        after: tuple[str, int] | None = None
        while True:
            with self._transaction(write=False) as connection:
                owners = {sql.P_MODEL_PK: model_pk, sql.P_VERSION_PK: version_pk}
                rows = self._page(connection, owners, query.filter, page_size, 0, after).all()
            for row in rows:
                yield _to_artifact(row)
            if len(rows) < page_size:
                return
            identifier, *_, last_version_pk, _ = rows[-1]  # the columns of _to_artifact
            after = (identifier, sql.MODEL_RANK if last_version_pk is None else sql.VERSION_RANK)

    @_retried
    def count_artifacts(
        self, model_id: str, version_id: str, query: Query | Mapping[str, Any] | None = None
    ) -> int:
        """How many visible artifacts match the query (all visible ones by default)."""
        model_id, version_id = _parents(model_id, version_id)
        query = _query_input(query)
        with self._transaction(write=False, single=True) as connection:
            params = Parameters()
            shape = filter_shape(query.filter)
            condition = compile_filter(query.filter, self._dialect, params)
            statement = self._statement(
                ("count", shape),
                lambda: sql.count(condition),
            )
            params.values.update(sql.lookup(model_id, version_id))
            count = int(connection.execute(statement, params.values).scalar_one())
            if count == 0:
                self._version_pks(connection, model_id, version_id)  # ErrorNotFound if missing
            return count

    @_retried
    def delete_artifact(self, model_id: str, version_id: str, artifact_id: str) -> Artifact:
        """Delete the artifact `read_artifact` would return, and return it."""
        model_id, version_id = _parents(model_id, version_id)
        artifact_id = _identifier(artifact_id, "artifact identifier")
        with self._transaction(write=True) as connection:
            row = connection.execute(
                self._statement("delete visible", sql.delete_visible),
                sql.lookup(model_id, version_id, artifact_id),
            ).first()
            if row is None:
                self._raise_missing(connection, model_id, version_id, artifact_id)
            self._record_deletion(connection, row[len(sql.ARTIFACT_COLUMNS) :])
            return _to_artifact(row[: len(sql.ARTIFACT_COLUMNS)])

    # -- artifacts: history -------------------------------------------------------

    @_retried
    def read_artifact_history(
        self,
        model_id: str,
        version_id: str,
        artifact_id: str,
        *,
        level: ArtifactLevel | str | None = None,
    ) -> list[ArtifactRevision]:
        """Every revision of the artifact, oldest first, deletion markers included.

        `level` picks the version's own history or the model-level one; by
        default the version's if it has (or had) the identifier, else the
        model's. ErrorNotFound if that level never had it.
        """
        model_id, version_id = _parents(model_id, version_id)
        artifact_id = _identifier(artifact_id, "artifact identifier")
        wanted = _level_input(level)
        with self._transaction(write=False) as connection:
            owner, found = self._history_owner(
                connection, model_id, version_id, artifact_id, wanted
            )
            rows = connection.execute(history.history_query(owner, artifact_id))
            return [history.to_revision(row, found) for row in rows]

    def _read_revision(
        self,
        model_id: str,
        version_id: str,
        artifact_id: str,
        revision: int,
        level: ArtifactLevel | str | None,
    ) -> Artifact:
        """`read_artifact(..., revision=N)`."""
        model_id, version_id = _parents(model_id, version_id)
        artifact_id = _identifier(artifact_id, "artifact identifier")
        revision, wanted = _revision_input(revision), _level_input(level)
        with self._transaction(write=False) as connection:
            return self._revision_content(
                connection, model_id, version_id, artifact_id, revision, wanted
            )

    @_retried
    def restore_artifact(
        self,
        model_id: str,
        version_id: str,
        artifact_id: str,
        *,
        revision: int,
        level: ArtifactLevel | str | None = None,
        user: str | None = None,
    ) -> Artifact:
        """Write the content of an old revision as the current artifact (a new revision).

        Works after deletion too. The header is the revision's own, unless
        `user` is given: then it is stamped as by `write_artifact_with_header`.
        Restoring content equal to the current artifact changes nothing.
        """
        model_id, version_id = _parents(model_id, version_id)
        artifact_id = _identifier(artifact_id, "artifact identifier")
        revision, wanted = _revision_input(revision), _level_input(level)
        with self._transaction(write=True) as connection:
            old = self._revision_content(
                connection, model_id, version_id, artifact_id, revision, wanted
            )
            restored = old if user is None else _stamped(old, user)
            self._write_one(connection, model_id, version_id, restored, True, False)
            return restored

    @_retried
    def purge_history(
        self,
        model_id: str | None = None,
        version_id: str | None = None,
        older_than: datetime | None = None,
    ) -> int:
        """Delete recorded revisions (all, a model's, or a version's; optionally only
        those recorded before `older_than`) and return how many. The current
        revision of every existing artifact is kept. The one call that destroys history.
        """
        if version_id is not None and model_id is None:
            raise ErrorInvalidInput("purge_history: a version_id needs its model_id")
        cutoff = _utc(older_than) if older_than is not None else None
        with self._transaction(write=True) as connection:
            model_pk = version_pk = None
            if version_id is not None:
                model_pk, version_pk = self._version_pks(
                    connection, *_parents(model_id, version_id)
                )
            elif model_id is not None:
                model_pk = self._model_pk(connection, _identifier(model_id, "model identifier"))
            return int(
                connection.execute(history.purge_statement(model_pk, version_pk, cutoff)).rowcount
            )

    @_retried
    def verify(self) -> list[DigestMismatch]:
        """Recompute every stored body's digest; return the artifacts and revisions that differ.

        An empty list means every current artifact and every recorded revision
        still holds the body it was written with.
        """
        with self._transaction(write=False) as connection:
            return list(history.digest_mismatches(connection))

    def _history_owner(
        self,
        connection: Connection,
        model_id: str,
        version_id: str,
        artifact_id: str,
        level: ArtifactLevel | None,
    ) -> tuple[dict[str, int | None], ArtifactLevel]:
        """The owner whose history of `artifact_id` is meant, and its level."""
        model_pk, version_pk = self._version_pks(connection, model_id, version_id)
        owners = {
            ArtifactLevel.VERSION: {"model_id": None, "version_id": version_pk},
            ArtifactLevel.MODEL: {"model_id": model_pk, "version_id": None},
        }
        for candidate in (level,) if level is not None else tuple(owners):
            if history.has_level(connection, owners[candidate], artifact_id):
                return owners[candidate], candidate
        raise ErrorNotFound(f"{describe(model_id, version_id, artifact_id)} has no history")

    def _revision_content(
        self,
        connection: Connection,
        model_id: str,
        version_id: str,
        artifact_id: str,
        revision: int,
        level: ArtifactLevel | None,
    ) -> Artifact:
        """The artifact as it was at a revision; ErrorNotFound if absent or a deletion."""
        owner, found = self._history_owner(connection, model_id, version_id, artifact_id, level)
        row = connection.execute(history.history_query(owner, artifact_id, revision)).first()
        where = f"revision {revision} of {describe(model_id, version_id, artifact_id)}"
        if row is None:
            raise ErrorNotFound(f"{where} not found")
        entry = history.to_revision(row, found)
        if entry.deleted:
            raise ErrorNotFound(f"{where} is a deletion marker; it has no content")
        return entry.artifact()

    # -- private: statements and lookups (all take the open connection) ----------

    @contextmanager
    def _transaction(self, *, write: bool, single: bool = False) -> Iterator[Connection]:
        """One transaction: committed if the block succeeds, rolled back otherwise.

        `single` is for a read whose answer is one statement: a statement is
        atomic by itself, so no BEGIN/COMMIT is sent for it (SQLite: no
        explicit BEGIN; PostgreSQL: the driver's autocommit). Statements the block runs
        after it (only to say what is missing) each see the latest data.
        Driver errors that escape the block become the library's own errors.
        """
        done = [0]
        try:
            with self._engine.connect() as connection:
                connection.info[STATEMENTS_DONE] = done
                if write:
                    connection.execution_options(**{WRITE_OPTION: True})
                elif single:
                    connection.execution_options(**{SINGLE_STATEMENT_OPTION: True})
                with connection.begin():
                    yield connection
        except ErrorStore:
            raise
        except IntegrityError as exc:
            raise ErrorInvalidInput(f"the database refused the data: {exc.orig}") from exc
        except DBAPIError as exc:
            if exc.connection_invalidated and done[0] == 0:
                raise _LostBeforeAnyStatement(
                    f"the connection to {self._url_shown} was lost before any statement "
                    f"completed; nothing was written, retry the call ({exc.orig})"
                ) from exc
            if exc.connection_invalidated:
                raise ErrorDatabase(
                    f"the connection to {self._url_shown} was lost; nothing was written, "
                    f"retry the call ({exc.orig})"
                ) from exc
            raise ErrorDatabase(
                f"the database {self._url_shown} failed; nothing was written ({exc.orig})"
            ) from exc
        except SQLAlchemyError as exc:
            raise ErrorDatabase(f"database error on {self._url_shown}: {exc}") from exc

    def _statement(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The statement cached under `key`, built by `build()` the first time."""
        statement = self._statements.get(key)
        if statement is None:
            if len(self._statements) >= _STATEMENT_CACHE_SIZE:
                self._statements.clear()
            statement = self._statements[key] = build()
        return statement

    def _model_pk(self, connection: Connection, model_id: str) -> int:
        pk = connection.execute(
            select(_model.c.id).where(_model.c.identifier == model_id)
        ).scalar_one_or_none()
        if pk is None:
            raise ErrorNotFound(f"{describe(model_id)} not found")
        return int(pk)

    def _version_pks(
        self, connection: Connection, model_id: str, version_id: str
    ) -> tuple[int, int]:
        """(model pk, version pk); ErrorNotFound naming the model or the version."""
        row = connection.execute(
            self._statement("parents", sql.parents_or_model), sql.lookup(model_id, version_id)
        ).first()
        return self._checked_parents(row, model_id, version_id)

    @staticmethod
    def _checked_parents(
        row: Sequence[Any] | None, model_id: str, version_id: str
    ) -> tuple[int, int]:
        if row is None:
            raise ErrorNotFound(f"{describe(model_id)} not found")
        model_pk, version_pk = row
        if version_pk is None:
            raise ErrorNotFound(f"{describe(model_id, version_id)} not found")
        return int(model_pk), int(version_pk)

    def _lock_parents(
        self,
        connection: Connection,
        model_id: str,
        version_id: str,
        model_level: bool,
        *,
        create: bool = False,
    ) -> tuple[int, int]:
        """Resolve the parents (creating them if `create`) and lock them for this write.

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

        statement = self._statement(
            ("lock parents", model_level), lambda: sql.lock_parents(self._dialect, model_level)
        )
        params = sql.lookup(model_id, version_id)
        for _ in range(_CREATE_PARENTS_ATTEMPTS):
            row = connection.execute(statement, params).first()
            if row is not None:
                return int(row[0]), int(row[1])
            if not create:
                break
            self._create_parents(connection, model_id, version_id, model_level)
        # Missing (or, with `create`, deleted again and again): say which one.
        self._version_pks(connection, model_id, version_id)
        raise ErrorDatabase(
            f"{describe(model_id, version_id)} kept being deleted while it was created"
        )

    def _create_parents(
        self, connection: Connection, model_id: str, version_id: str, model_level: bool
    ) -> None:
        """Insert the model and version unless they exist; safe under concurrent writers.

        The model row is locked (as `_lock_parents` locks it) before the version
        is inserted: every writer takes the model lock before it can wait for
        another's uncommitted version, so two writers never wait for each other.
        """
        connection.execute(
            sql.dialect_insert(self._dialect, _model)
            .values(identifier=model_id)
            .on_conflict_do_nothing(index_elements=[_model.c.identifier])
        )
        lock_model = select(_model.c.id).where(_model.c.identifier == model_id)
        if self._dialect == "postgresql":
            lock_model = lock_model.with_for_update(read=not model_level, key_share=model_level)
        model_pk = connection.execute(lock_model).scalar_one_or_none()
        if model_pk is None:  # deleted meanwhile; the caller tries again
            return
        connection.execute(
            sql.dialect_insert(self._dialect, _version)
            .values(model_id=model_pk, identifier=version_id)
            .on_conflict_do_nothing(index_elements=[_version.c.model_id, _version.c.identifier])
        )

    def _insert_version(
        self, connection: Connection, model_pk: int, model_id: str, version_id: str
    ) -> None:
        try:
            connection.execute(insert(_version).values(model_id=model_pk, identifier=version_id))
        except IntegrityError as exc:
            raise ErrorAlreadyExists(f"{describe(model_id, version_id)} already exists") from exc

    def _read_model(self, connection: Connection, model_id: str) -> Model:
        rows = connection.execute(
            select(_model.c.id, _version.c.identifier)
            .select_from(_model.outerjoin(_version, _version.c.model_id == _model.c.id))
            .where(_model.c.identifier == model_id)
            .order_by(_version.c.identifier)
        ).all()
        if not rows:
            raise ErrorNotFound(f"{describe(model_id)} not found")
        versions = [Version(identifier=row[1]) for row in rows if row[1] is not None]
        return Model(identifier=model_id, versions=versions)

    def _found(
        self, connection: Connection, rows: Any, model_id: str, version_id: str
    ) -> list[Artifact]:
        """The rows of a page as artifacts; if there are none, ErrorNotFound for missing parents."""
        artifacts = [_to_artifact(row) for row in rows]
        if not artifacts:
            self._version_pks(connection, model_id, version_id)
        return artifacts

    def _raise_missing(
        self, connection: Connection, model_id: str, version_id: str, artifact_id: str
    ) -> NoReturn:
        self._version_pks(connection, model_id, version_id)
        raise ErrorNotFound(f"{describe(model_id, version_id, artifact_id)} not found")

    def _page(
        self,
        connection: Connection,
        owners: Mapping[str, Any],
        filter: Filter | None,
        limit: int | None,
        offset: int,
        after: tuple[str, int] | None = None,
    ) -> Any:
        """Run the cached page statement for this filter's shape; return the result rows.

        `owners` names the version by its keys (model_pk, version_pk) or by
        its identifiers (`_lookup`), which the statement then resolves itself.
        """
        params = Parameters()
        condition = None if filter is None else compile_filter(filter, self._dialect, params)
        shape = None if filter is None else filter_shape(filter)
        after_rank = None if after is None else after[1]
        by_name = sql.P_MODEL in owners
        statement = self._statement(
            ("page", shape, limit is not None, after_rank, by_name),
            lambda: sql.visible_page(condition, limit is not None, after_rank, by_name),
        )
        values = params.values
        values.update(owners)
        values["page_offset"] = offset
        if limit is not None:
            values.update({"page_limit": limit, "page_cut": offset + limit})
        if after is not None:
            values["page_after"] = after[0]
        return connection.execute(statement, values)


# -- input checking and row conversion ---------------------------------------------


def _row_values(artifact: Artifact, model_pk: int | None, version_pk: int | None) -> dict[str, Any]:
    """The artifact table row for an artifact owned by the model or the version."""
    header = artifact.header
    model_level = header.level == ArtifactLevel.MODEL
    return {
        "model_id": model_pk if model_level else None,
        "version_id": None if model_level else version_pk,
        "identifier": header.identifier,
        "type": header.type.value,
        "timestamp": header.timestamp,
        "creator": header.creator,
        "body": artifact.body,
        "digest": body_digest(artifact.body),
        "search": search_document(artifact.to_json()),
    }


_T = TypeVar("_T")

#: Identifiers per IN (...) list, and rows per INSERT, in bulk writes.
_IN_CHUNK = 500
_INSERT_CHUNK = 1000


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _identifier(value: Any, what: str) -> str:
    try:
        return check_identifier(value, what)
    except ValueError as exc:
        raise ErrorInvalidInput(str(exc)) from exc


def _parents(model_id: Any, version_id: Any) -> tuple[str, str]:
    return (
        _identifier(model_id, "model identifier"),
        _identifier(version_id, "version identifier"),
    )


def _entity(kind: type[Model] | type[Version], value: Any) -> Any:
    """A Model or Version from an entity or an identifier, validated."""
    name = kind.__name__.lower()
    if not isinstance(value, str | kind | Mapping):
        raise ErrorInvalidInput(
            f"{name} must be an identifier (text) or a {kind.__name__}, got {type(value).__name__}"
        )
    try:
        if isinstance(value, str):
            return kind(identifier=value)
        if isinstance(value, kind):
            return kind.model_validate(value.model_dump())
        return kind.model_validate(value)
    except ValidationError as exc:
        raise ErrorInvalidInput(f"invalid {name}: {exc}") from exc


def _artifact_input(value: Artifact | Mapping[str, Any], what: str = "artifact") -> Artifact:
    """Validate (again) the artifact to write: it may have been changed since it was built."""
    try:
        if isinstance(value, Artifact):
            return Artifact.model_validate(
                {"header": value.header.model_dump(), "body": value.body}
            )
        return Artifact.model_validate(value)
    except ValidationError as exc:
        raise ErrorInvalidInput(f"invalid {what}: {exc}") from exc


def _stamped(artifact: Artifact, user: str | None) -> Artifact:
    """The valid artifact with header.timestamp now (Unix seconds) and header.creator `user`.

    Only the new header is validated: the body and header.type are unchanged.
    """
    header = {**artifact.header.model_dump(), "timestamp": int(time.time()), "creator": user}
    try:
        return Artifact.model_construct(
            header=ArtifactHeader.model_validate(header), body=artifact.body
        )
    except ValidationError as exc:
        raise ErrorInvalidInput(f"invalid user for artifact header: {exc}") from exc


def _revision_input(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ErrorInvalidInput(f"revision must be an integer of 1 or more, got {value!r}")
    return value


def _level_input(value: ArtifactLevel | str | None) -> ArtifactLevel | None:
    if value is None:
        return None
    try:
        return ArtifactLevel(value)
    except ValueError as exc:
        raise ErrorInvalidInput(f"level must be 'model' or 'version', got {value!r}") from exc


def _utc(moment: Any) -> datetime:
    """A datetime in UTC; a naive one is taken to be UTC already."""
    if not isinstance(moment, datetime):
        raise ErrorInvalidInput(f"older_than must be a datetime, got {moment!r}")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _query_input(value: Query | Mapping[str, Any] | None) -> Query:
    if value is None:
        return Query()
    if isinstance(value, Query):
        return value
    try:
        return Query.model_validate(value)
    except ValidationError as exc:
        raise ErrorInvalidInput(f"invalid query: {exc}") from exc


def _paging(limit: Any, offset: Any) -> tuple[int, int]:
    for name, value in (("limit", limit), ("offset", offset)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ErrorInvalidInput(f"{name} must be an integer, got {value!r}")
    if not 0 <= limit <= MAX_PAGE_SIZE:
        raise ErrorInvalidInput(f"limit must be between 0 and {MAX_PAGE_SIZE}, got {limit}")
    if offset < 0:
        raise ErrorInvalidInput(f"offset must be 0 or more, got {offset}")
    if offset > 2**62:
        raise ErrorInvalidInput(f"offset {offset} is too large")
    return limit, offset


def _to_artifact(row: Sequence[Any]) -> Artifact:
    """Rebuild an Artifact from a row; the data was validated when it was written."""
    identifier, type_, timestamp, creator, version_pk, body = row
    header = ArtifactHeader.model_construct(
        identifier=identifier,
        type=ArtifactType(type_),
        timestamp=timestamp,
        creator=creator,
        level=ArtifactLevel.MODEL if version_pk is None else ArtifactLevel.VERSION,
    )
    return Artifact.model_construct(header=header, body=body)
