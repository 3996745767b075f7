"""Folder export writes MLTE 2.7.0's own folder-store files: the same names, the same
indentation and escaping, byte for byte where the stored JSON keeps MLTE's key order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlte.artifact.model import ArtifactHeaderModel, ArtifactModel
from mlte.context.model import Model as MlteModel
from mlte.context.model import Version as MlteVersion
from mlte.negotiation.model import GoalDescriptor, NegotiationCardModel, SystemDescriptor
from mlte.results.model import TestResultsModel as ResultsModel
from mlte.store.artifact.underlying.fs import LocalFileSystemStore
from mlte.store.base import StoreURI
from mlte.suite.model import TestSuiteModel as SuiteModel

from mlte_store import ArtifactRepository, transfer


def _header(identifier: str, kind: str, level: str = "version") -> ArtifactHeaderModel:
    return ArtifactHeaderModel(
        identifier=identifier, type=kind, timestamp=1_700_000_000, creator="ana", level=level
    )


def _write_with_mlte(root: Path) -> None:
    """A folder store written by MLTE itself: a model-level card with non-ASCII text,
    quotes and backslashes, and version-level suite and results, `/` in identifiers."""
    session = LocalFileSystemStore(StoreURI.from_string(f"local://{root}")).session()
    model, version = "fraud/detector", "2024/06 release ✓"
    session.model_mapper.create(MlteModel(identifier=model))
    session.version_mapper.create(MlteVersion(identifier=version), model)
    card = NegotiationCardModel(
        system=SystemDescriptor(
            task="Détecter la fraude ✿",
            goals=[GoalDescriptor(description="Précision ≥ 0.9")],
            risks=['a "quoted" risk', "a back\\slash", "日本語", "emoji 🌸"],
        )
    )
    suite = SuiteModel()
    for artifact in (
        ArtifactModel(header=_header("card/default", "card", "model"), body=card),
        ArtifactModel(header=_header("suite.default", "suite"), body=suite),
        ArtifactModel(
            header=_header("results/run 1", "results"),
            body=ResultsModel(test_suite_id="suite.default", test_suite=suite),
        ),
    ):
        session.artifact_mapper.write_artifact(model, version, artifact)


def _files(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under root, by relative path."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes() if path.is_file() else None
        for path in sorted(root.rglob("*"))
    }


def _ordered_like(value: Any, like: Any) -> Any:
    """`value` with its objects' keys in the order `like` has them (same JSON value)."""
    if isinstance(value, dict) and isinstance(like, dict):
        return {key: _ordered_like(value[key], like[key]) for key in like}
    if isinstance(value, list) and isinstance(like, list):
        return [_ordered_like(v, w) for v, w in zip(value, like, strict=True)]
    return value


def test_export_writes_the_files_mlte_writes(backend: str, store_url: str, tmp_path: Path) -> None:
    _write_with_mlte(tmp_path / "mlte")
    with ArtifactRepository(store_url) as repo:
        assert transfer.import_folder(repo, tmp_path / "mlte").refused == []
        assert transfer.export_folder(repo, tmp_path / "out").refused == []
    written, exported = _files(tmp_path / "mlte"), _files(tmp_path / "out")
    assert list(exported) == list(written)  # the same names, model- and version-level
    files = {name: data for name, data in written.items() if data is not None}
    assert len(files) == 3
    for name, mlte_bytes in files.items():
        if backend == "sqlite":  # SQLite keeps the body's key order: byte for byte
            assert exported[name] == mlte_bytes, name
        else:  # JSONB orders keys its own way; everything else is MLTE's
            ours = json.loads(exported[name] or b"")
            theirs = json.loads(mlte_bytes)
            assert ours == theirs, name
            assert exported[name] == json.dumps(_ordered_like(theirs, ours), indent=4).encode()
