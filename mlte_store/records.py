"""The stream every transfer is made of: `Record`s, their `Summary`, and the JSON-lines format.

A reader yields records (a model, a version, an artifact, or an item it had
to refuse, with the reason); a writer consumes them and counts what it did in
a `Summary`. This module holds those types and the dump format (one JSON
object per line, documented in docs/moving-data.md); `folder_store` holds MLTE's
folder format and `transfer` the readers and writers of a repository.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import IO, Any, Literal

from mlte_store import inputs
from mlte_store.bodies import loads
from mlte_store.models import Artifact, ArtifactLevel, ArtifactRevision

RecordKind = Literal["model", "version", "artifact", "revision", "refused"]

#: Called with the number of artifacts handled so far (for a progress bar).
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Record:
    """One item of a transfer stream.

    `version` is None for a model and for a model-level artifact. `source`
    says where the item came from (a file path, a line, a store), for reports.
    A `refused` record carries the reason it could not be read in `reason`.
    With history, an `artifact` record carries its current revision number in
    `revision`, and a `revision` record one recorded revision in `entry`.
    """

    kind: RecordKind
    model: str
    version: str | None = None
    artifact: Artifact | None = None
    source: str = ""
    reason: str = ""
    revision: int | None = None
    entry: ArtifactRevision | None = None


@dataclass(frozen=True)
class Problem:
    """An item that was not transferred: where it came from and why."""

    source: str
    """Where the item came from: a file or folder path, or a line of a dump."""
    reason: str
    """Why it was refused, as the refusal's one sentence."""


@dataclass
class Summary:
    """What a transfer did: counts, and every refused item with its reason."""

    models: int = 0
    """Models created."""
    versions: int = 0
    """Versions created."""
    artifacts: int = 0
    """Artifacts written."""
    revisions: int = 0
    """Recorded revisions written (transfers with history)."""
    skipped: int = 0
    """Items not written because they existed already (or came twice in one batch)."""
    refused: list[Problem] = field(default_factory=list)
    """Items not transferred, each with its reason."""
    warnings: list[str] = field(default_factory=list)
    """Things worth knowing that refused nothing."""

    def to_json(self) -> dict[str, Any]:
        """The summary as plain JSON (for `--json` output)."""
        return asdict(self)


# -- JSON lines -----------------------------------------------------------------------


def record_to_json(record: Record) -> dict[str, Any]:
    """The JSON object of one record in a dump."""
    if record.kind == "model":
        return {"kind": "model", "model": record.model}
    if record.kind == "version":
        return {"kind": "version", "model": record.model, "version": record.version}
    if record.kind == "revision":
        assert record.entry is not None
        entry = record.entry
        return {
            "kind": "revision",
            "model": record.model,
            "version": record.version,
            "revision": entry.revision,
            "deleted": entry.deleted,
            "digest": entry.digest,
            "recorded_at": entry.recorded_at.isoformat(),
            "artifact": {"header": entry.header.model_dump(mode="json"), "body": entry.body},
        }
    assert record.artifact is not None
    line: dict[str, Any] = {
        "kind": "artifact",
        "model": record.model,
        "version": record.version,
        "artifact": record.artifact.to_json(),
    }
    if record.revision is not None:
        line["revision"] = record.revision
    return line


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
        if kind not in ("artifact", "revision"):
            raise ValueError(
                f"unknown kind {kind!r} (expected model, version, artifact or revision)"
            )
        if version is not None and not isinstance(version, str):
            raise ValueError("'version' is neither text nor null")
        expected = ArtifactLevel.MODEL if version is None else ArtifactLevel.VERSION
        if kind == "revision":
            return _revision_record(value, model, version, expected, source)
        artifact = inputs.artifact_json(value.get("artifact"))
        if artifact.header.level != expected:
            raise ValueError(
                f"header.level is {artifact.header.level.value!r} but 'version' is "
                f"{'null' if version is None else 'set'}"
            )
        number = value.get("revision")
        if number is not None:
            number = inputs.revision(number)
        return Record("artifact", model, version, artifact, source=source, revision=number)
    except ValueError as exc:
        model_name = value.get("model") if isinstance(value, dict) else None
        return Record(
            "refused",
            model_name if isinstance(model_name, str) else "",
            reason=str(exc),
            source=source,
        )


def _revision_record(
    value: dict[str, Any], model: str, version: str | None, level: ArtifactLevel, source: str
) -> Record:
    """A `revision` line's record (ErrorInvalidInput, a ValueError, if it is not valid)."""
    content = value.get("artifact")
    if not isinstance(content, dict):
        raise ValueError("'artifact' is missing or not an object")
    fields = ("revision", "deleted", "digest", "recorded_at")
    entry = inputs.recorded({**{name: value.get(name) for name in fields}, **content}, level)
    return Record("revision", model, version, source=source, entry=entry)


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
            value = loads(line)
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
        elif record.kind == "revision":
            summary.revisions += 1
        else:
            summary.artifacts += 1
            if progress is not None:
                progress(summary.artifacts)
    return summary
