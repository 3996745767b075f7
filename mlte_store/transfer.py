"""Moving artifacts in and out of a store: MLTE folder stores, JSON lines, other databases.

Every transfer is a stream of `Record`s (model, version, artifact, or a
refused item with its reason) from a reader into a writer, so memory stays
flat whatever the size:

- readers: `read_store` (a repository, through `iter_artifacts`),
  `read_folder` (an MLTE folder store), `read_jsonl` (a dump file);
- writers: `load_records` (a repository, through `write_artifacts` in
  batches), `write_folder`, `write_jsonl`.

`import_folder`, `export_folder`, `dump`, `load` and `copy` pair them up and
return a `Summary`. The JSON-lines format is documented in the README.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import ValidationError

from mlte_store.errors import (
    ErrorAlreadyExists,
    ErrorDatabase,
    ErrorInvalidInput,
    ErrorNotFound,
    ErrorSchema,
    ErrorStore,
)
from mlte_store.models import Artifact, ArtifactLevel, check_identifier
from mlte_store.repository import ArtifactRepository

#: Artifacts written per `write_artifacts` call (one transaction) by a load.
DEFAULT_BATCH_SIZE = 500

#: How MLTE's folder store writes a `/` of an identifier in file and folder names.
SLASH_IN_NAMES = "___"

#: The folder under an MLTE folder store's root that holds the models.
MODELS_FOLDER = "models"

_SUFFIX = ".json"

RecordKind = Literal["model", "version", "artifact", "refused"]

#: Called with the number of artifacts handled so far (for a progress bar).
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Record:
    """One item of a transfer stream.

    `version` is None for a model and for a model-level artifact. `source`
    says where the item came from (a file path, a line, a store), for reports.
    A `refused` record carries the reason it could not be read in `reason`.
    """

    kind: RecordKind
    model: str
    version: str | None = None
    artifact: Artifact | None = None
    source: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Problem:
    """An item that was not transferred: where it came from and why."""

    source: str
    reason: str


@dataclass
class Summary:
    """What a transfer did: counts, and every refused item with its reason."""

    models: int = 0
    versions: int = 0
    artifacts: int = 0
    skipped: int = 0
    refused: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The summary as plain JSON (for `--json` output)."""
        return asdict(self)


# -- names in an MLTE folder store ---------------------------------------------------


def encode_name(identifier: str) -> str:
    """A file or folder name for an identifier, as MLTE writes it (`/` as `___`)."""
    return identifier.replace("/", SLASH_IN_NAMES)


def decode_name(name: str) -> str:
    """The identifier a file or folder name stands for."""
    return name.replace(SLASH_IN_NAMES, "/")


# -- reading a repository -------------------------------------------------------------


def read_store(repo: ArtifactRepository, summary: Summary | None = None) -> Iterator[Record]:
    """Stream a whole store: per model, the model, its versions, its model-level
    artifacts, then each version's own artifacts.

    A model without versions is yielded alone: its model-level artifacts (if
    any remain after its versions were deleted) cannot be reached through a
    version, so a warning is added to `summary`.
    """
    for model_id in repo.list_models():
        versions = repo.list_versions(model_id)
        yield Record("model", model_id, source=f"model {model_id!r}")
        for version_id in versions:
            yield Record("version", model_id, version_id, source=f"version {version_id!r}")
        if not versions:
            if summary is not None:
                summary.warnings.append(
                    f"model {model_id!r} has no versions: model-level artifacts it may "
                    "still hold cannot be read through a version and were not transferred"
                )
            continue
        for artifact in repo.iter_artifacts(model_id, versions[0], level=ArtifactLevel.MODEL):
            yield _artifact_record(model_id, None, artifact)
        for version_id in versions:
            for artifact in repo.iter_artifacts(model_id, version_id, level=ArtifactLevel.VERSION):
                yield _artifact_record(model_id, version_id, artifact)


def _artifact_record(model_id: str, version_id: str | None, artifact: Artifact) -> Record:
    where = f"{model_id}/{version_id}" if version_id is not None else model_id
    return Record(
        "artifact",
        model_id,
        version_id,
        artifact,
        source=f"artifact {artifact.header.identifier!r} of {where!r}",
    )


# -- writing a repository -------------------------------------------------------------


class _Loader:
    """Writes a record stream into a repository in batches of one model/version/level."""

    def __init__(
        self,
        repo: ArtifactRepository,
        summary: Summary,
        *,
        force: bool,
        batch_size: int,
        progress: Progress | None,
    ) -> None:
        self.repo, self.summary = repo, summary
        self.force, self.batch_size, self.progress = force, batch_size, progress
        self.first_version: dict[str, str] = {}
        self.key: tuple[str, str] | None = None
        self.batch: list[tuple[Artifact, str]] = []
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
            self.first_version.setdefault(record.model, record.version)
            version = record.version
            self._create(
                lambda: self.repo.create_version(record.model, version), "versions", record
            )
        else:
            assert record.artifact is not None
            self._add_artifact(record)

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

    def _add_artifact(self, record: Record) -> None:
        assert record.artifact is not None
        version = record.version
        if version is None:  # a model-level artifact is written through any version
            version = self.first_version.get(record.model) or self._any_version(record.model)
            if version is None:
                self.summary.refused.append(
                    Problem(
                        record.source,
                        f"model {record.model!r} has no version to write a model-level "
                        "artifact through",
                    )
                )
                self._advance(1)
                return
        key = (record.model, version)
        if key != self.key or len(self.batch) >= self.batch_size:
            self.flush()
            self.key = key
        self.batch.append((record.artifact, record.source))

    def _any_version(self, model_id: str) -> str | None:
        try:
            versions = self.repo.list_versions(model_id)
        except ErrorNotFound:
            return None
        if versions:
            self.first_version[model_id] = versions[0]
            return versions[0]
        return None

    def flush(self) -> None:
        """Write the pending batch; if it fails, write its artifacts one by one."""
        if not self.batch or self.key is None:
            return
        (model_id, version_id), batch = self.key, self.batch
        self.batch = []
        try:
            written = self.repo.write_artifacts(
                model_id, version_id, [a for a, _ in batch], force=self.force
            )
            self.summary.artifacts += written
            self.summary.skipped += len(batch) - written  # same identifier twice, with force
        except (ErrorDatabase, ErrorSchema):
            raise
        except ErrorStore:
            for artifact, source in batch:
                self._write_one(model_id, version_id, artifact, source)
        self._advance(len(batch))

    def _write_one(self, model_id: str, version_id: str, artifact: Artifact, source: str) -> None:
        try:
            self.repo.write_artifact(model_id, version_id, artifact, force=self.force)
        except ErrorAlreadyExists:
            self.summary.skipped += 1
        except (ErrorDatabase, ErrorSchema):
            raise
        except ErrorStore as exc:
            self.summary.refused.append(Problem(source, str(exc)))
        else:
            self.summary.artifacts += 1

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
) -> Summary:
    """Write a record stream into a repository; return what was written, skipped, refused.

    Models and versions are created when missing. Artifacts go in with
    `write_artifacts`, `batch_size` per transaction; a batch that fails is
    retried artifact by artifact, so one bad or existing artifact costs only
    itself. Existing artifacts are skipped unless `force` replaces them.
    """
    if batch_size < 1:
        raise ErrorInvalidInput(f"batch_size must be at least 1, got {batch_size}")
    summary = summary if summary is not None else Summary()
    loader = _Loader(repo, summary, force=force, batch_size=batch_size, progress=progress)
    for record in records:
        loader.add(record)
    loader.flush()
    return summary


# -- MLTE folder stores ---------------------------------------------------------------


def read_folder(root: Path) -> Iterator[Record]:
    """Stream an MLTE folder store (`ROOT/models/<model>/[<version>/]<artifact>.json`).

    A file that is not a valid artifact of its place becomes a `refused`
    record naming the file and the reason; the rest is read on.
    """
    models_dir = root / MODELS_FOLDER
    if not models_dir.is_dir():
        raise ErrorNotFound(f"{root} is not an MLTE folder store: it has no {MODELS_FOLDER}/")
    for model_dir in _entries(models_dir, folders=True):
        model_id = decode_name(model_dir.name)
        problem = _bad_identifier(model_id, "model identifier")
        if problem:
            yield Record("refused", model_id, source=str(model_dir), reason=problem)
            continue
        yield Record("model", model_id, source=str(model_dir))
        version_dirs = _entries(model_dir, folders=True)
        version_ids: list[tuple[Path, str]] = []
        for version_dir in version_dirs:
            version_id = decode_name(version_dir.name)
            problem = _bad_identifier(version_id, "version identifier")
            if problem:
                yield Record("refused", model_id, source=str(version_dir), reason=problem)
                continue
            version_ids.append((version_dir, version_id))
            yield Record("version", model_id, version_id, source=str(version_dir))
        yield from _read_artifact_files(model_dir, model_id, None)
        for version_dir, version_id in version_ids:
            yield from _read_artifact_files(version_dir, model_id, version_id)


def _entries(folder: Path, *, folders: bool) -> list[Path]:
    """The folders (or files) of a folder, sorted by name; hidden entries are ignored."""
    return sorted(
        (p for p in folder.iterdir() if not p.name.startswith(".") and p.is_dir() == folders),
        key=lambda p: p.name,
    )


def _bad_identifier(identifier: str, what: str) -> str:
    try:
        check_identifier(identifier, what)
    except ValueError as exc:
        return str(exc)
    return ""


def _read_artifact_files(folder: Path, model_id: str, version_id: str | None) -> Iterator[Record]:
    level = ArtifactLevel.MODEL if version_id is None else ArtifactLevel.VERSION
    for path in _entries(folder, folders=False):
        source = str(path)
        try:
            artifact = _read_artifact_file(path, level)
        except (OSError, ValueError) as exc:
            yield Record("refused", model_id, version_id, source=source, reason=str(exc))
            continue
        yield Record("artifact", model_id, version_id, artifact, source=source)


def _read_artifact_file(path: Path, level: ArtifactLevel) -> Artifact:
    """The artifact a file holds, checked against the file's name and place."""
    if path.suffix != _SUFFIX:
        raise ValueError(f"not an artifact file (the name does not end in {_SUFFIX})")
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    artifact = _validate(value)
    expected = decode_name(path.name[: -len(_SUFFIX)])
    if artifact.header.identifier != expected:
        raise ValueError(
            f"header.identifier is {artifact.header.identifier!r} but the file name "
            f"stands for {expected!r}"
        )
    if artifact.header.level != level:
        raise ValueError(
            f"header.level is {artifact.header.level.value!r} but the file lies in a "
            f"{level.value} folder"
        )
    return artifact


def _validate(value: Any) -> Artifact:
    """The artifact of a JSON value, with the entity validation the repository applies."""
    try:
        return Artifact.model_validate(value)
    except ValidationError as exc:
        errors = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'artifact'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ValueError(f"not a valid artifact: {errors}") from exc


def write_folder(
    root: Path,
    records: Iterable[Record],
    *,
    force: bool = False,
    progress: Progress | None = None,
    summary: Summary | None = None,
) -> Summary:
    """Write a record stream as an MLTE folder store under `root`.

    An existing artifact file is left alone (counted as skipped) unless
    `force` overwrites it. A record that cannot become a file (a name the
    file system refuses) is refused with the reason.
    """
    summary = summary if summary is not None else Summary()
    models_dir = root / MODELS_FOLDER
    handled = 0
    for record in records:
        model_dir = models_dir / encode_name(record.model)
        try:
            if record.kind == "refused":
                summary.refused.append(Problem(record.source, record.reason))
            elif record.kind == "model":
                model_dir.mkdir(parents=True, exist_ok=True)
                summary.models += 1
            elif record.kind == "version":
                assert record.version is not None
                (model_dir / encode_name(record.version)).mkdir(parents=True, exist_ok=True)
                summary.versions += 1
            else:
                assert record.artifact is not None
                folder = (
                    model_dir if record.version is None else model_dir / encode_name(record.version)
                )
                _write_artifact_file(folder, record.artifact, force, summary)
        except OSError as exc:
            summary.refused.append(Problem(record.source, f"cannot write: {exc}"))
        if record.kind in ("artifact", "refused"):
            handled += 1
            if progress is not None:
                progress(handled)
    return summary


def _write_artifact_file(folder: Path, artifact: Artifact, force: bool, summary: Summary) -> None:
    path = folder / (encode_name(artifact.header.identifier) + _SUFFIX)
    text = json.dumps(artifact.to_json(), indent=4, ensure_ascii=False)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("w" if force else "x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        summary.skipped += 1
        return
    summary.artifacts += 1


# -- JSON lines -----------------------------------------------------------------------


def record_to_json(record: Record) -> dict[str, Any]:
    """The JSON object of one record in a dump."""
    if record.kind == "model":
        return {"kind": "model", "model": record.model}
    if record.kind == "version":
        return {"kind": "version", "model": record.model, "version": record.version}
    assert record.artifact is not None
    return {
        "kind": "artifact",
        "model": record.model,
        "version": record.version,
        "artifact": record.artifact.to_json(),
    }


def record_from_json(value: Any, source: str) -> Record:
    """A record from one line's JSON value; a `refused` record if it is not a valid one."""
    try:
        if not isinstance(value, dict):
            raise ValueError("not a JSON object")
        kind, model = value.get("kind"), value.get("model")
        if not isinstance(model, str):
            raise ValueError("'model' is missing or not text")
        if kind == "model":
            return Record("model", model, source=source)
        version = value.get("version")
        if kind == "version":
            if not isinstance(version, str):
                raise ValueError("'version' is missing or not text")
            return Record("version", model, version, source=source)
        if kind != "artifact":
            raise ValueError(f"unknown kind {kind!r} (expected model, version or artifact)")
        if version is not None and not isinstance(version, str):
            raise ValueError("'version' is neither text nor null")
        artifact = _validate(value.get("artifact"))
        expected = ArtifactLevel.MODEL if version is None else ArtifactLevel.VERSION
        if artifact.header.level != expected:
            raise ValueError(
                f"header.level is {artifact.header.level.value!r} but 'version' is "
                f"{'null' if version is None else 'set'}"
            )
        return Record("artifact", model, version, artifact, source=source)
    except ValueError as exc:
        model_name = value.get("model") if isinstance(value, dict) else None
        return Record(
            "refused",
            model_name if isinstance(model_name, str) else "",
            reason=str(exc),
            source=source,
        )


def read_jsonl(file: IO[str], name: str) -> Iterator[Record]:
    """Stream the records of a JSON-lines dump; blank lines are ignored.

    `file` is read with errors="surrogateescape", so a line that is not UTF-8 is
    refused with its line number like any other bad line, and the rest loads.
    """
    for number, line in enumerate(file, start=1):
        if not line.strip():
            continue
        source = f"{name}:{number}"
        try:
            line.encode("utf-8")
        except UnicodeEncodeError as exc:
            byte = ord(line[exc.start]) - 0xDC00
            reason = f"not UTF-8 text: byte 0x{byte:02x} at column {exc.start + 1}"
            yield Record("refused", "", source=source, reason=reason)
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Record("refused", "", source=source, reason=f"not JSON: {exc}")
            continue
        yield record_from_json(value, source)


def write_jsonl(
    file: IO[str],
    records: Iterable[Record],
    *,
    progress: Progress | None = None,
    summary: Summary | None = None,
) -> Summary:
    """Write a record stream as JSON lines, one object per line."""
    summary = summary if summary is not None else Summary()
    for record in records:
        if record.kind == "refused":
            summary.refused.append(Problem(record.source, record.reason))
            continue
        file.write(json.dumps(record_to_json(record), ensure_ascii=False) + "\n")
        if record.kind == "model":
            summary.models += 1
        elif record.kind == "version":
            summary.versions += 1
        else:
            summary.artifacts += 1
            if progress is not None:
                progress(summary.artifacts)
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


def dump(repo: ArtifactRepository, path: Path, *, progress: Progress | None = None) -> Summary:
    """Write the whole store to a JSON-lines file."""
    summary = Summary()
    with path.open("w", encoding="utf-8") as file:
        return write_jsonl(file, read_store(repo, summary), progress=progress, summary=summary)


def load(
    repo: ArtifactRepository,
    path: Path,
    *,
    force: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> Summary:
    """Load a JSON-lines dump into a repository."""
    with path.open(encoding="utf-8", errors="surrogateescape") as file:
        return load_records(
            repo, read_jsonl(file, str(path)), force=force, batch_size=batch_size, progress=progress
        )


def copy(
    source: ArtifactRepository,
    target: ArtifactRepository,
    *,
    force: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> Summary:
    """Copy every model, version and artifact of one store into another, streaming."""
    summary = Summary()
    return load_records(
        target,
        read_store(source, summary),
        force=force,
        batch_size=batch_size,
        progress=progress,
        summary=summary,
    )
