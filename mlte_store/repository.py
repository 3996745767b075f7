"""ArtifactRepository: the public API of MLTE's artifact store.

Each public method does three things: check its arguments (`inputs`; bad
input raises ErrorInvalidInput before any database work), open exactly one
transaction (`db.connection.Database.transaction`: it happens entirely or
not at all, and driver errors become the library's errors), and call one or
two operations of `db.parents`, `db.artifacts` or `db.revisions`, which do the
work on that transaction. No SQL is built or run here.

Calls marked "retried" run again, once, on a fresh connection if the
connection was lost before their first statement completed (nothing can have
been written); `iter_artifacts` opens one transaction per page and its pages
are not retried.

Order of listed artifacts: by identifier in code-point order (Python's
`sorted()` order) and, for the same identifier at both levels, the
version-level artifact first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from mlte_store import inputs, migrate
from mlte_store.bodies import keeping_forms
from mlte_store.db import artifacts, parents, search
from mlte_store.db.connection import Database, OwnsDatabase, retried
from mlte_store.inputs import DEFAULT_PAGE_SIZE
from mlte_store.inputs import MAX_PAGE_SIZE as MAX_PAGE_SIZE  # re-exported: public
from mlte_store.models import (
    Artifact,
    ArtifactLevel,
    Model,
    Version,
)
from mlte_store.query import Filter, Query
from mlte_store.repository_history import HistoryCalls, warn_if_folded_elsewhere


class ArtifactRepository(OwnsDatabase, HistoryCalls):
    """MLTE's artifact store over one SQL database (PostgreSQL or SQLite).

    Built from a database URL (then it owns, and `close()` disposes, its
    engine) or from an SQLAlchemy Engine (then the caller owns it). The schema
    must be at this code's head revision (`mlte-store db upgrade`); otherwise
    the constructor raises ErrorSchema. With `history=False` writes and
    deletes record no revisions (MLTE's plain behaviour); history already
    recorded stays readable.

    Every call may also raise ErrorDatabase (the database failed or the
    connection was lost; nothing was written) and ErrorInvalidInput (an
    argument was refused, or the database refused the data).
    """

    def __init__(
        self, url_or_engine: str | URL | Engine | None = None, *, history: bool = True
    ) -> None:
        self._db = Database(url_or_engine, keep_history=history)
        try:
            with self._db.transaction(write=False) as tx:
                migrate.check_schema(tx.connection, self._db.url_shown)
                versions = search.fold_versions(tx)
        except BaseException:
            self.close()
            raise
        warn_if_folded_elsewhere(self._db.url_shown, versions)

    # -- models ------------------------------------------------------------------

    @retried
    def create_model(self, model: Model | str) -> Model:
        """Create a model (and any versions it lists); ErrorAlreadyExists if it exists."""
        new_model = inputs.entity(Model, model)
        with self._db.transaction(write=True) as tx:
            return parents.create_model(tx, new_model)

    @retried
    def read_model(self, model_id: str) -> Model:
        """The model with its versions (sorted by identifier); ErrorNotFound if missing."""
        model_id = inputs.identifier(model_id, "model identifier")
        with self._db.transaction(write=False) as tx:
            return parents.read_model(tx, model_id)

    @retried
    def list_models(self) -> list[str]:
        """Every model's identifier, sorted."""
        with self._db.transaction(write=False) as tx:
            return parents.list_models(tx)

    @retried
    def delete_model(self, model_id: str) -> Model:
        """Delete a model with its versions and all their artifacts; return what was deleted.

        ErrorNotFound if the model is missing.
        """
        model_id = inputs.identifier(model_id, "model identifier")
        with self._db.transaction(write=True) as tx:
            return parents.delete_model(tx, model_id)

    # -- versions ----------------------------------------------------------------

    @retried
    def create_version(self, model_id: str, version: Version | str) -> Version:
        """Create a version of an existing model.

        ErrorNotFound if the model is missing, ErrorAlreadyExists if the version exists.
        """
        model_id = inputs.identifier(model_id, "model identifier")
        new_version = inputs.entity(Version, version)
        with self._db.transaction(write=True) as tx:
            model_pk = parents.model_key(tx, model_id)
            parents.insert_version(tx, model_pk, model_id, new_version.identifier)
            return new_version

    @retried
    def read_version(self, model_id: str, version_id: str) -> Version:
        """The version, or ErrorNotFound naming what is missing."""
        model_id, version_id = inputs.version_path(model_id, version_id)
        with self._db.transaction(write=False) as tx:
            parents.version_keys(tx, model_id, version_id)
            return Version(identifier=version_id)

    @retried
    def list_versions(self, model_id: str) -> list[str]:
        """The identifiers of a model's versions, sorted; ErrorNotFound if the model is missing."""
        model_id = inputs.identifier(model_id, "model identifier")
        with self._db.transaction(write=False) as tx:
            return [v.identifier for v in parents.read_model(tx, model_id).versions]

    @retried
    def delete_version(self, model_id: str, version_id: str) -> Version:
        """Delete a version and its version-level artifacts; return the deleted version.

        ErrorNotFound naming the model or the version if it is missing.
        """
        model_id, version_id = inputs.version_path(model_id, version_id)
        with self._db.transaction(write=True) as tx:
            return parents.delete_version(tx, model_id, version_id)

    # -- artifacts: writing ------------------------------------------------------

    @retried
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
        """Stamp the header (timestamp: now, creator: `user`), then `write_artifact`.

        Raises what `write_artifact` raises.
        """
        stamped = inputs.stamped(inputs.artifact(artifact), user)
        model_id, version_id = inputs.version_path(model_id, version_id)
        with self._db.transaction(write=True) as tx:
            artifacts.write_one(
                tx, model_id, version_id, stamped, force=force, create_parents=parents
            )
        return stamped

    @retried
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
        model_id, version_id = inputs.version_path(model_id, version_id)
        checked = inputs.artifact(artifact)
        with self._db.transaction(write=True) as tx:
            artifacts.write_one(
                tx, model_id, version_id, checked, force=force, create_parents=parents
            )
        return checked

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
        `force`, where the later one wins (ErrorAlreadyExists). Bulk writes of
        one model are serialised with each other and with its model-level
        writes. The batch is checked once; only its transaction is retried.
        """
        model_id, version_id = inputs.version_path(model_id, version_id)
        with keeping_forms():  # each body's one walk serves its row
            batch = inputs.batch(artifacts, force, model_id, version_id)
            return self._write_batch(model_id, version_id, batch, force, parents) if batch else 0

    @retried
    def _write_batch(
        self,
        model_id: str,
        version_id: str | None,
        batch: dict[str, Artifact],
        force: bool,
        parents: bool,
    ) -> int:
        """The transaction of `write_artifacts`, on the validated batch."""
        with self._db.transaction(write=True) as tx:
            return artifacts.write_batch(
                tx, model_id, version_id, batch, force=force, create_parents=parents
            )

    # -- artifacts: reading ------------------------------------------------------

    @retried
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
        (see `read_artifact_history` for `level`), also after it was deleted;
        ErrorNotFound if that revision is missing or a deletion marker.
        """
        if revision is not None:
            return self._read_revision(model_id, version_id, artifact_id, revision, level)
        model_id, version_id = inputs.version_path(model_id, version_id)
        artifact_id = inputs.identifier(artifact_id, "artifact identifier")
        with self._db.transaction(write=False, single=True) as tx:
            return artifacts.find(tx, model_id, version_id, artifact_id)

    @retried
    def read_artifacts(
        self, model_id: str, version_id: str, limit: int = 100, offset: int = 0
    ) -> list[Artifact]:
        """A page of the artifacts visible from the version, in the documented order.

        ErrorNotFound naming the model or version if it is missing.
        """
        model_id, version_id = inputs.version_path(model_id, version_id)
        limit, offset = inputs.page(limit, offset)
        with self._db.transaction(write=False, single=True) as tx:
            return artifacts.page(tx, model_id, version_id, None, limit, offset)

    @retried
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

        By default every match (as MLTE); `limit`/`offset` slice the matches in
        SQL. ErrorNotFound naming the model or version if it is missing.
        """
        model_id, version_id = inputs.version_path(model_id, version_id)
        query = inputs.query(query)
        if limit is not None:
            limit, offset = inputs.page(limit, offset)
        else:
            offset = inputs.offset(offset)
        with self._db.transaction(write=False, single=True) as tx:
            return artifacts.page(tx, model_id, version_id, query.filter, limit, offset)

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
        Arguments are checked, and ErrorNotFound raised for a missing model or
        version, when iteration starts. Pages are not retried.
        """
        model_id, version_id = inputs.version_path(model_id, version_id)
        query = inputs.query(query)
        page_size = inputs.page_size(page_size)
        only = inputs.level(level)
        with self._db.transaction(write=False) as tx:
            model_pk, version_pk = parents.version_keys(tx, model_id, version_id)
        keys = artifacts.page_keys(model_pk, version_pk, only)
        yield from self._keyset_pages(keys, query.filter, page_size)

    def _keyset_pages(
        self, keys: dict[str, int], filter: Filter | None, page_size: int
    ) -> Iterator[Artifact]:
        """The artifacts `keys` name, one keyset page per transaction (not retried)."""
        after: tuple[str, int] | None = None
        while True:
            with self._db.transaction(write=False) as tx:
                found, after = artifacts.keyset_page(tx, keys, filter, page_size, after)
            yield from found
            if after is None:
                return

    @retried
    def count_artifacts(
        self, model_id: str, version_id: str, query: Query | Mapping[str, Any] | None = None
    ) -> int:
        """How many visible artifacts match the query (all visible ones by default).

        ErrorNotFound naming the model or version if it is missing.
        """
        model_id, version_id = inputs.version_path(model_id, version_id)
        query = inputs.query(query)
        with self._db.transaction(write=False, single=True) as tx:
            return artifacts.count(tx, model_id, version_id, query.filter)

    @retried
    def delete_artifact(self, model_id: str, version_id: str, artifact_id: str) -> Artifact:
        """Delete the artifact `read_artifact` would return, and return it.

        ErrorNotFound naming the model, version or artifact that is missing.
        """
        model_id, version_id = inputs.version_path(model_id, version_id)
        artifact_id = inputs.identifier(artifact_id, "artifact identifier")
        with self._db.transaction(write=True) as tx:
            return artifacts.delete(tx, model_id, version_id, artifact_id)

    # -- model-level artifacts, by model only ------------------------------------------
    # A model's own artifacts, reachable whether or not it has versions (all of them
    # deleted, or a folder store holding only model-level files).

    @retried
    def read_model_artifact(self, model_id: str, artifact_id: str) -> Artifact:
        """The model's model-level artifact; ErrorNotFound naming the model or the artifact."""
        model_id = inputs.identifier(model_id, "model identifier")
        artifact_id = inputs.identifier(artifact_id, "artifact identifier")
        with self._db.transaction(write=False, single=True) as tx:
            return artifacts.find(tx, model_id, None, artifact_id)

    @retried
    def read_model_artifacts(
        self, model_id: str, limit: int = 100, offset: int = 0
    ) -> list[Artifact]:
        """A page of the model's model-level artifacts, by identifier; ErrorNotFound if the
        model is missing."""
        model_id = inputs.identifier(model_id, "model identifier")
        limit, offset = inputs.page(limit, offset)
        with self._db.transaction(write=False) as tx:
            keys = artifacts.model_page_keys(tx, model_id)
            return artifacts.page_by_keys(tx, keys, limit, offset)

    @retried
    def count_model_artifacts(self, model_id: str) -> int:
        """How many model-level artifacts the model has; ErrorNotFound if it is missing."""
        model_id = inputs.identifier(model_id, "model identifier")
        with self._db.transaction(write=False) as tx:
            return artifacts.count_by_keys(tx, artifacts.model_page_keys(tx, model_id))

    def iter_model_artifacts(
        self, model_id: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[Artifact]:
        """Stream the model's model-level artifacts by identifier, as `iter_artifacts` does
        (keyset pages, one transaction each); ErrorNotFound if the model is missing."""
        model_id = inputs.identifier(model_id, "model identifier")
        page_size = inputs.page_size(page_size)
        with self._db.transaction(write=False) as tx:
            keys = artifacts.model_page_keys(tx, model_id)
        yield from self._keyset_pages(keys, None, page_size)

    @retried
    def write_model_artifact(
        self,
        model_id: str,
        artifact: Artifact | Mapping[str, Any],
        *,
        force: bool = False,
        parents: bool = False,
    ) -> Artifact:
        """Write a model-level artifact (header.level "model") to the model alone.

        ErrorNotFound if the model is missing (unless `parents` creates it).
        ErrorAlreadyExists if the model has a model-level artifact of that
        identifier, unless `force` replaces it. Version-level artifacts of the
        same identifier are left alone (as a write through another version).
        """
        model_id = inputs.identifier(model_id, "model identifier")
        checked = inputs.at_level(artifact, ArtifactLevel.MODEL)
        with self._db.transaction(write=True) as tx:
            artifacts.write_model_one(tx, model_id, checked, force=force, create_parents=parents)
        return checked

    @retried
    def write_model_artifact_with_header(
        self,
        model_id: str,
        artifact: Artifact | Mapping[str, Any],
        *,
        force: bool = False,
        parents: bool = False,
        user: str | None = None,
    ) -> Artifact:
        """Stamp the header (timestamp: now, creator: `user`), then `write_model_artifact`."""
        model_id = inputs.identifier(model_id, "model identifier")
        stamped = inputs.stamped(inputs.at_level(artifact, ArtifactLevel.MODEL), user)
        with self._db.transaction(write=True) as tx:
            artifacts.write_model_one(tx, model_id, stamped, force=force, create_parents=parents)
        return stamped

    def write_model_artifacts(
        self,
        model_id: str,
        artifacts: Iterable[Artifact | Mapping[str, Any]],
        *,
        force: bool = False,
        parents: bool = False,
    ) -> int:
        """`write_artifacts` for model-level artifacts written to the model alone."""
        model_id = inputs.identifier(model_id, "model identifier")
        with keeping_forms():  # each body's one walk serves its row
            batch = inputs.batch(artifacts, force, model_id, None)
            return self._write_batch(model_id, None, batch, force, parents) if batch else 0

    @retried
    def delete_model_artifact(self, model_id: str, artifact_id: str) -> Artifact:
        """Delete the model's model-level artifact and return it; ErrorNotFound naming the
        model or the artifact."""
        model_id = inputs.identifier(model_id, "model identifier")
        artifact_id = inputs.identifier(artifact_id, "artifact identifier")
        with self._db.transaction(write=True) as tx:
            return artifacts.delete(tx, model_id, None, artifact_id)
