"""The history and upkeep calls of `ArtifactRepository` (its base class `HistoryCalls`):
revisions read, restored, purged, verified and moved between stores; search documents
re-folded (`reindex`), and the warning when they were folded with other Unicode tables.

Part of the facade, split from `repository` to keep each module short: every
method checks its arguments (`inputs`), opens one transaction on `self._db`
and calls operations of `db.revisions` / `db.artifacts`. No SQL here.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar

from mlte_store import casefold, inputs
from mlte_store.db import artifacts, revisions, search
from mlte_store.db.connection import Database, Tx, retried
from mlte_store.db.rows import Owner
from mlte_store.errors import ErrorInvalidInput, UnicodeVersionWarning
from mlte_store.inputs import DEFAULT_PAGE_SIZE, MAX_OFFSET, MAX_PAGE_SIZE
from mlte_store.models import Artifact, ArtifactLevel, ArtifactRevision, DigestMismatch

_T = TypeVar("_T")

#: Databases (as messages show them) this process has warned about.
_WARNED: set[str] = set()


def warn_if_folded_elsewhere(url_shown: str, versions: tuple[str | None, str | None]) -> None:
    """Warn, once per database and process, if search documents were folded with
    another Unicode version than this Python's (`casefold.UNICODE_VERSION`)."""
    current = casefold.UNICODE_VERSION
    others = sorted({v for v in versions if v is not None} - {current})
    if not others or url_shown in _WARNED:
        return
    _WARNED.add(url_shown)
    warnings.warn(
        f"search documents in {url_shown} were folded with Unicode {', '.join(others)}, "
        f"this Python folds with Unicode {current}: Property and Tag searches may miss "
        "matches until `mlte-store reindex` folds them again",
        UnicodeVersionWarning,
        stacklevel=3,
    )


def forget_warnings() -> None:
    """Warn again about databases warned about before (tests)."""
    _WARNED.clear()


class HistoryCalls:
    """History and upkeep calls, mixed into ArtifactRepository."""

    _db: Database

    def _read_revision(
        self,
        model_id: str,
        version_id: str,
        artifact_id: str,
        revision: int,
        level: ArtifactLevel | str | None,
    ) -> Artifact:
        """`read_artifact(..., revision=N)`."""
        model_id, version_id = inputs.version_path(model_id, version_id)
        artifact_id = inputs.identifier(artifact_id, "artifact identifier")
        revision, wanted = inputs.revision(revision), inputs.level(level)
        with self._db.transaction(write=False) as tx:
            return revisions.content_at(tx, model_id, version_id, artifact_id, revision, wanted)

    # -- artifacts: history -------------------------------------------------------

    @retried
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
        model_id, version_id = inputs.version_path(model_id, version_id)
        artifact_id = inputs.identifier(artifact_id, "artifact identifier")
        wanted = inputs.level(level)
        with self._db.transaction(write=False) as tx:
            return revisions.history(tx, model_id, version_id, artifact_id, wanted)

    @retried
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
        ErrorNotFound if the revision is missing or a deletion marker.
        """
        model_id, version_id = inputs.version_path(model_id, version_id)
        artifact_id = inputs.identifier(artifact_id, "artifact identifier")
        revision, wanted = inputs.revision(revision), inputs.level(level)
        with self._db.transaction(write=True) as tx:
            old = revisions.content_at(tx, model_id, version_id, artifact_id, revision, wanted)
            restored = old if user is None else inputs.stamped(old, user)
            artifacts.write_one(
                tx, model_id, version_id, restored, force=True, create_parents=False
            )
            return restored

    @retried
    def purge_history(
        self,
        model_id: str | None = None,
        version_id: str | None = None,
        older_than: datetime | None = None,
    ) -> int:
        """Delete recorded revisions (all, a model's, or a version's; optionally only
        those recorded before `older_than`) and return how many. The current
        revision of every existing artifact is kept. The one call that destroys history.
        ErrorNotFound if the model or version is missing.
        """
        if version_id is not None and model_id is None:
            raise ErrorInvalidInput("model_id must be given with a version_id, got None")
        cutoff = inputs.utc(older_than) if older_than is not None else None
        if version_id is not None:
            model_id, version_id = inputs.version_path(model_id, version_id)
        elif model_id is not None:
            model_id = inputs.identifier(model_id, "model identifier")
        with self._db.transaction(write=True) as tx:
            return revisions.purge(tx, model_id, version_id, cutoff)

    def reindex(self, *, batch_size: int = DEFAULT_PAGE_SIZE, limit: int | None = None) -> int:
        """Fold again, with this Python's Unicode tables, every search document folded with
        another version (`casefold.UNICODE_VERSION`); return how many were.

        Streamed: one transaction per `batch_size` artifacts. Safe alongside
        writers (a row written meanwhile keeps its writer's document),
        resumable (`limit` stops after that many; the next run does the rest)
        and idempotent (a store already folded with this version needs nothing).
        """
        batch_size = inputs.integer("batch_size", batch_size, 1, MAX_PAGE_SIZE)
        if limit is not None:
            limit = inputs.integer("limit", limit, 0, MAX_OFFSET)
        done, after = 0, 0
        while limit is None or done < limit:
            size = batch_size if limit is None else min(batch_size, limit - done)
            with self._db.transaction(write=True) as tx:
                updated, following = search.refold_page(tx, casefold.UNICODE_VERSION, after, size)
            done += updated
            if following is None:
                break
            after = following
        return done

    @retried
    def verify(self) -> list[DigestMismatch]:
        """Recompute every stored body's digest; return the artifacts and revisions that differ.

        An empty list means every current artifact and every recorded revision
        still holds the body it was written with.
        """
        with self._db.transaction(write=False) as tx:
            return list(revisions.digest_mismatches(tx))

    # -- history moved between stores -----------------------------------------------

    def iter_revisions(
        self, model_id: str, version_id: str | None = None, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[ArtifactRevision]:
        """Stream every recorded revision of a version's own artifacts (`version_id` None:
        of the model's model-level ones), by identifier then number, deletion markers
        included; keyset pages, one transaction each. ErrorNotFound if missing."""
        return self._owner_pages(model_id, version_id, page_size, revisions.recorded_page)

    def iter_current(
        self, model_id: str, version_id: str | None = None, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[tuple[Artifact, int]]:
        """Stream (artifact, its current revision number) of a version's own artifacts
        (`version_id` None: the model's model-level ones), by identifier."""
        return self._owner_pages(model_id, version_id, page_size, revisions.current_page)

    def _owner_pages(
        self,
        model_id: str,
        version_id: str | None,
        page_size: int,
        read_page: Callable[[Tx, Owner, Any, int], tuple[list[_T], Any]],
    ) -> Iterator[_T]:
        """Check the arguments and resolve the owner now (so errors come at the call), then
        stream `read_page`'s keyset pages, one transaction each (not retried)."""
        model_id, version_id = inputs.owner_path(model_id, version_id)
        page_size = inputs.page_size(page_size)
        with self._db.transaction(write=False) as tx:
            owner = revisions.owner_of(tx, model_id, version_id)

        def pages() -> Iterator[_T]:
            after: Any = None
            while True:
                with self._db.transaction(write=False) as tx:
                    found, after = read_page(tx, owner, after, page_size)
                yield from found
                if after is None:
                    return

        return pages()

    @retried
    def write_recorded(
        self,
        model_id: str,
        version_id: str | None,
        recorded: Iterable[ArtifactRevision | Mapping[str, Any]],
        current: Iterable[tuple[Artifact | Mapping[str, Any], int]] = (),
        *,
        force: bool = False,
    ) -> tuple[int, int]:
        """Write history exactly as another store recorded it, in one transaction.

        `recorded`: revisions of a version's own artifacts (`version_id` None:
        the model's model-level ones) with their numbers, digests and times;
        `current`: the artifacts as they are now, with their revision numbers.
        Nothing is renumbered and no new revision is recorded. A revision
        already recorded is left alone, and so is an existing artifact unless
        `force`. Returns (revisions inserted, artifacts written). ErrorNotFound
        if the model or version is missing.
        """
        model_id, version_id = inputs.owner_path(model_id, version_id)
        level = ArtifactLevel.MODEL if version_id is None else ArtifactLevel.VERSION
        entries = [inputs.recorded(entry, level) for entry in recorded]
        now = [(inputs.at_level(a, level), inputs.revision(n)) for a, n in current]
        with self._db.transaction(write=True) as tx:
            return revisions.write_recorded(tx, model_id, version_id, entries, now, force=force)
