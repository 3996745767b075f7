"""Moving artifacts in and out of a store: MLTE folder stores, JSON lines, other databases.

Every transfer is a stream of `Record`s (model, version, artifact, or a
refused item with its reason) from a reader into a writer, so memory stays
flat whatever the size:

- readers: `read_store` (a repository, through `iter_artifacts`),
  `read_folder` (an MLTE folder store), `read_jsonl` (a dump file);
- writers: `load_records` (a repository, through `write_artifacts` in
  batches), `write_folder`, `write_jsonl`.

`import_folder`, `export_folder`, `dump`, `load` and `copy` pair them up and
return a `Summary`. The stream's types and the JSON-lines format are in
`records`, MLTE's folder format in `folder_store`; their public names are
re-exported here. The JSON-lines format is documented in docs/moving-data.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Literal

from mlte_store import inputs
from mlte_store.errors import (
    ErrorAlreadyExists,
    ErrorDatabase,
    ErrorInvalidInput,
    ErrorNotFound,
    ErrorSchema,
    ErrorStore,
)
from mlte_store.folder_store import (
    MODELS_FOLDER,
    SLASH_IN_NAMES,
    decode_name,
    encode_name,
    read_folder,
    write_folder,
)
from mlte_store.models import Artifact, ArtifactLevel
from mlte_store.records import (
    Problem,
    Progress,
    Record,
    RecordKind,
    Summary,
    read_jsonl,
    record_from_json,
    record_to_json,
    write_jsonl,
)
from mlte_store.repository import ArtifactRepository

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "MODELS_FOLDER",
    "SLASH_IN_NAMES",
    "Problem",
    "Progress",
    "Record",
    "RecordKind",
    "Summary",
    "copy",
    "decode_name",
    "dump",
    "encode_name",
    "export_folder",
    "import_folder",
    "load",
    "load_records",
    "read_folder",
    "read_jsonl",
    "read_store",
    "record_from_json",
    "record_to_json",
    "write_folder",
    "write_jsonl",
]

DEFAULT_BATCH_SIZE = 500
"""Artifacts written per `write_artifacts` call (one transaction) by a load."""

#: Largest batch a load accepts.
MAX_BATCH_SIZE = 100_000


# -- reading a repository -------------------------------------------------------------


def read_store(
    repo: ArtifactRepository, summary: Summary | None = None, *, history: bool = False
) -> Iterator[Record]:
    """Stream a whole store: per model, the model, its versions, each version's own
    artifacts, then its model-level artifacts (read from the model alone, so a
    model without versions keeps them). Version-level artifacts come first so
    that a loader writing them sees no model-level artifact of the same
    identifier yet: a version's artifact that shadows a model-level one is
    copied too. `summary` is unused (kept for readers that report warnings).

    With `history`, each owner's (each version's, then the model's) recorded
    revisions come first, then its current artifacts with their revision numbers.
    """
    for model_id in repo.list_models():
        versions = repo.list_versions(model_id)
        yield Record("model", model_id, source=f"model {model_id!r}")
        for version_id in versions:
            yield Record("version", model_id, version_id, source=f"version {version_id!r}")
        owners: list[str | None] = [*versions, None]
        for owner in owners:
            if history:
                yield from _recorded(repo, model_id, owner)
            elif owner is None:
                for artifact in repo.iter_model_artifacts(model_id):
                    yield _artifact_record(model_id, None, artifact)
            else:
                for artifact in repo.iter_artifacts(model_id, owner, level=ArtifactLevel.VERSION):
                    yield _artifact_record(model_id, owner, artifact)


def _recorded(repo: ArtifactRepository, model_id: str, version_id: str | None) -> Iterator[Record]:
    """An owner's recorded revisions, then its current artifacts with their numbers."""
    where = model_id if version_id is None else f"{model_id}/{version_id}"
    for entry in repo.iter_revisions(model_id, version_id):
        source = f"revision {entry.revision} of {entry.header.identifier!r} of {where!r}"
        yield Record("revision", model_id, version_id, source=source, entry=entry)
    for artifact, number in repo.iter_current(model_id, version_id):
        yield _artifact_record(model_id, version_id, artifact, number)


def _artifact_record(
    model_id: str, version_id: str | None, artifact: Artifact, revision: int | None = None
) -> Record:
    where = f"{model_id}/{version_id}" if version_id is not None else model_id
    return Record(
        "artifact",
        model_id,
        version_id,
        artifact,
        source=f"artifact {artifact.header.identifier!r} of {where!r}",
        revision=revision,
    )


# -- writing a repository -------------------------------------------------------------


class _Loader:
    """Writes a record stream into a repository in batches of one model/version/level.

    Artifacts that carry a revision number, and recorded revisions, are written
    as recorded (`write_recorded`) when `history` is on; otherwise revisions
    are dropped and artifacts written as new ones.
    """

    def __init__(
        self,
        repo: ArtifactRepository,
        summary: Summary,
        *,
        force: bool,
        batch_size: int,
        progress: Progress | None,
        history: bool,
    ) -> None:
        self.repo, self.summary = repo, summary
        self.force, self.batch_size, self.progress = force, batch_size, progress
        self.history = history
        self.key: tuple[str, str | None, bool] | None = None
        self.batch: list[Record] = []
        self.handled = 0

    def add(self, record: Record) -> None:
        if record.kind == "refused":
            self.summary.refused.append(Problem(record.source, record.reason))
            self._advance(1)
        elif record.kind == "model":
            self.flush()
            self._create(lambda: self.repo.create_model(record.model), "models", record)
        elif record.kind == "version":
            self.flush()
            assert record.version is not None
            version = record.version
            self._create(
                lambda: self.repo.create_version(record.model, version), "versions", record
            )
        elif record.kind == "artifact" or self.history:
            self._queue(record)

    def _create(
        self, create: Callable[[], object], counter: Literal["models", "versions"], record: Record
    ) -> None:
        """Create a model or version unless it exists; refuse it if the store does."""
        try:
            create()
        except ErrorAlreadyExists:
            return
        except (ErrorInvalidInput, ErrorNotFound) as exc:
            self.summary.refused.append(Problem(record.source, str(exc)))
            return
        setattr(self.summary, counter, getattr(self.summary, counter) + 1)

    def _queue(self, record: Record) -> None:
        """Queue the item in the batch of its model/version (model-level: the model's)."""
        recorded = self.history and (record.kind == "revision" or record.revision is not None)
        key = (record.model, record.version, recorded)
        if key != self.key or len(self.batch) >= self.batch_size:
            self.flush()
            self.key = key
        self.batch.append(record)

    def flush(self) -> None:
        """Write the pending batch; if it fails, write its items one by one."""
        if not self.batch or self.key is None:
            return
        key, batch = self.key, self.batch
        self.batch = []
        try:
            self._write(key, batch)
        except (ErrorDatabase, ErrorSchema):
            raise
        except ErrorStore:
            for record in batch:
                self._write_one(key, record)
        self._advance(len(batch))

    def _write(self, key: tuple[str, str | None, bool], batch: list[Record]) -> None:
        """Write a batch in one transaction and count it."""
        model_id, version_id, recorded = key
        if recorded:
            entries = [r.entry for r in batch if r.entry is not None]
            current = [(r.artifact, r.revision or 0) for r in batch if r.artifact is not None]
            revisions, written = self.repo.write_recorded(
                model_id, version_id, entries, current, force=self.force
            )
            self.summary.revisions += revisions
            self.summary.skipped += len(current) - written
        else:
            artifacts = [r.artifact for r in batch if r.artifact is not None]
            if version_id is None:
                written = self.repo.write_model_artifacts(model_id, artifacts, force=self.force)
            else:
                written = self.repo.write_artifacts(
                    model_id, version_id, artifacts, force=self.force
                )
            self.summary.skipped += len(batch) - written  # same identifier twice, with force
        self.summary.artifacts += written

    def _write_one(self, key: tuple[str, str | None, bool], record: Record) -> None:
        try:
            self._write(key, [record])
        except ErrorAlreadyExists:
            self.summary.skipped += 1
        except (ErrorDatabase, ErrorSchema):
            raise
        except ErrorStore as exc:
            self.summary.refused.append(Problem(record.source, str(exc)))

    def _advance(self, count: int) -> None:
        self.handled += count
        if self.progress is not None:
            self.progress(self.handled)


def load_records(
    repo: ArtifactRepository,
    records: Iterable[Record],
    *,
    force: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    summary: Summary | None = None,
    history: bool = True,
) -> Summary:
    """Write a record stream into a repository; return what was written, skipped, refused.

    Models and versions are created when missing. Artifacts go in with
    `write_artifacts`, `batch_size` per transaction; a batch that fails is
    retried artifact by artifact, so one bad or existing artifact costs only
    itself. Existing artifacts are skipped unless `force` replaces them.
    With `history`, the stream's recorded revisions and current revision
    numbers are written as recorded (`write_recorded`); without, revisions
    are dropped and each artifact gets a fresh revision 1.
    """
    inputs.integer("batch_size", batch_size, 1, MAX_BATCH_SIZE)
    summary = summary if summary is not None else Summary()
    loader = _Loader(
        repo, summary, force=force, batch_size=batch_size, progress=progress, history=history
    )
    for record in records:
        loader.add(record)
    loader.flush()
    return summary


# -- the transfers --------------------------------------------------------------------


def import_folder(
    repo: ArtifactRepository,
    root: Path,
    *,
    force: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> Summary:
    """Import an MLTE folder store into a repository."""
    return load_records(
        repo, read_folder(root), force=force, batch_size=batch_size, progress=progress
    )


def export_folder(
    repo: ArtifactRepository,
    root: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> Summary:
    """Export a repository as an MLTE folder store under `root`."""
    summary = Summary()
    return write_folder(
        root, read_store(repo, summary), force=force, progress=progress, summary=summary
    )


def dump(
    repo: ArtifactRepository,
    path: Path,
    *,
    progress: Progress | None = None,
    history: bool = False,
) -> Summary:
    """Write the whole store to a JSON-lines file (with `history`, every recorded revision)."""
    summary = Summary()
    records = read_store(repo, summary, history=history)
    with path.open("w", encoding="utf-8") as file:
        return write_jsonl(file, records, progress=progress, summary=summary)


def load(
    repo: ArtifactRepository,
    path: Path,
    *,
    force: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    history: bool = True,
) -> Summary:
    """Load a JSON-lines dump into a repository (the history it holds too, unless not
    `history`). A line that is not UTF-8 is refused with its line number; the rest loads."""
    with path.open(encoding="utf-8", errors="surrogateescape") as file:
        return load_records(
            repo,
            read_jsonl(file, str(path)),
            force=force,
            batch_size=batch_size,
            progress=progress,
            history=history,
        )


def copy(
    source: ArtifactRepository,
    target: ArtifactRepository,
    *,
    force: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    history: bool = True,
) -> Summary:
    """Copy every model, version and artifact of one store into another, streaming; with
    `history` (the default) every recorded revision too, with the same numbers."""
    summary = Summary()
    return load_records(
        target,
        read_store(source, summary, history=history),
        force=force,
        batch_size=batch_size,
        progress=progress,
        summary=summary,
        history=history,
    )
