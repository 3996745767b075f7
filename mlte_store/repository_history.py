"""The revision-history calls of `ArtifactRepository` (its base class `HistoryCalls`).

Part of the facade, split from `repository` to keep each module short: every
method checks its arguments (`inputs`), opens one transaction on `self._db`
and calls operations of `db.revisions` / `db.artifacts`. No SQL here.
"""

from __future__ import annotations

from datetime import datetime

from mlte_store import inputs
from mlte_store.db import artifacts, revisions
from mlte_store.db.connection import Database, retried
from mlte_store.errors import ErrorInvalidInput
from mlte_store.models import Artifact, ArtifactLevel, ArtifactRevision, DigestMismatch


class HistoryCalls:
    """Read, restore, purge and verify the revision history (mixed into ArtifactRepository)."""

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
            raise ErrorInvalidInput("purge_history: a version_id needs its model_id")
        cutoff = inputs.utc(older_than) if older_than is not None else None
        if version_id is not None:
            model_id, version_id = inputs.version_path(model_id, version_id)
        elif model_id is not None:
            model_id = inputs.identifier(model_id, "model identifier")
        with self._db.transaction(write=True) as tx:
            return revisions.purge(tx, model_id, version_id, cutoff)

    @retried
    def verify(self) -> list[DigestMismatch]:
        """Recompute every stored body's digest; return the artifacts and revisions that differ.

        An empty list means every current artifact and every recorded revision
        still holds the body it was written with.
        """
        with self._db.transaction(write=False) as tx:
            return list(revisions.digest_mismatches(tx))
