"""An MLTE folder store written file by file as MLTE writes it, and ways to compare stores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlte_store import ArtifactRepository
from mlte_store.transfer import read_store, record_to_json

from .helpers import same_json

#: model -> version -> version-level artifact identifiers; "" holds the model-level ones.
LAYOUT: dict[str, dict[str, list[str]]] = {
    "fraud/detector": {
        "": ["card/default", "négociation"],
        "v1": ["evidence/accuracy", "suite.default", "results"],
        "2024/06 release": ["evidence/accuracy", "report/final ✓"],
        "empty": [],
    },
    "modèle-ünïcode": {
        "": [],
        "版本一": ["証拠/精度", "report"],
    },
    "plain": {"": ["card"], "v1": []},
}

_TYPES = ["card", "evidence", "suite", "results", "report"]


def artifact_json(identifier: str, level: str, index: int) -> dict[str, Any]:
    """A full MLTE artifact JSON (every header field, as MLTE's model_dump writes it)."""
    artifact_type = _TYPES[index % len(_TYPES)]
    return {
        "header": {
            "identifier": identifier,
            "type": artifact_type,
            "timestamp": 1_700_000_000 + index,
            "creator": "ana" if index % 2 else None,
            "level": level,
        },
        "body": {
            "artifact_type": artifact_type,
            "note": f"Ünïcode ✓ {identifier}",
            "values": [index, index * 0.5, None, True, {"nested": ["a", "b"]}],
        },
    }


def name(identifier: str) -> str:
    return identifier.replace("/", "___")


def write_mlte_folder(root: Path) -> int:
    """Write LAYOUT as MLTE's folder store does; return the number of artifact files."""
    index = 0
    for model, versions in LAYOUT.items():
        model_dir = root / "models" / name(model)
        model_dir.mkdir(parents=True)
        for version, identifiers in versions.items():
            folder = model_dir if version == "" else model_dir / name(version)
            folder.mkdir(exist_ok=True)
            level = "model" if version == "" else "version"
            for identifier in identifiers:
                index += 1
                with open(folder / f"{name(identifier)}.json", "w", encoding="utf-8") as file:
                    json.dump(artifact_json(identifier, level, index), file, indent=4)
    return index


def folder_tree(root: Path) -> dict[str, Any]:
    """Every folder (None) and file (its JSON value) under root, by relative path."""
    tree: dict[str, Any] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        tree[relative] = None if path.is_dir() else json.loads(path.read_text(encoding="utf-8"))
    return tree


def same_tree(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)


def store_content(url: str) -> list[dict[str, Any]]:
    """The whole store as its dump records, in dump order."""
    with ArtifactRepository(url) as repo:
        return [record_to_json(record) for record in read_store(repo)]
