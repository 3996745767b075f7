"""MLTE's folder store: `ROOT/models/<model>/[<version>/]<artifact>.json`, read and written
as a stream of `records.Record`s.

Files are written as MLTE 2.7.0's own folder store writes them
(`mlte.store.common.fs_storage.JsonFileFS.write_json_to_file`): `json.dump(artifact,
indent=4)`, so non-ASCII text is escaped (`\u00e9`), no newline at the end; names
with `/` written `___`. The header's keys come in MLTE's order; the body's in the
order the database keeps them (SQLite: as written; PostgreSQL's JSONB: its own).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from mlte_store import inputs
from mlte_store.bodies import loads
from mlte_store.errors import ErrorInvalidInput, ErrorNotFound
from mlte_store.models import Artifact, ArtifactLevel
from mlte_store.records import Problem, Progress, Record, Summary

#: How MLTE's folder store writes a `/` of an identifier in file and folder names.
SLASH_IN_NAMES = "___"

#: The folder under an MLTE folder store's root that holds the models.
MODELS_FOLDER = "models"

_SUFFIX = ".json"


# -- names in an MLTE folder store ---------------------------------------------------


def encode_name(identifier: str) -> str:
    """A file or folder name for an identifier, as MLTE writes it (`/` as `___`)."""
    return identifier.replace("/", SLASH_IN_NAMES)


def decode_name(name: str) -> str:
    """The identifier a file or folder name stands for."""
    return name.replace(SLASH_IN_NAMES, "/")


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
        # Version-level files first: one that shadows a model-level artifact of the same
        # identifier is written before that one, so both are imported.
        for version_dir, version_id in version_ids:
            yield from _read_artifact_files(version_dir, model_id, version_id)
        yield from _read_artifact_files(model_dir, model_id, None)


def _entries(folder: Path, *, folders: bool) -> list[Path]:
    """The folders (or files) of a folder, sorted by name; hidden entries are ignored."""
    return sorted(
        (p for p in folder.iterdir() if not p.name.startswith(".") and p.is_dir() == folders),
        key=lambda p: p.name,
    )


def _bad_identifier(identifier: str, what: str) -> str:
    """What is wrong with the identifier (the message `inputs.identifier` raises), or ""."""
    try:
        inputs.identifier(identifier, what)
    except ErrorInvalidInput as exc:
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
        value = loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    artifact = inputs.artifact_json(value)
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
    text = json.dumps(artifact.to_json(), indent=4)  # MLTE's json.dump(..., indent=4)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("w" if force else "x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        summary.skipped += 1
        return
    summary.artifacts += 1
