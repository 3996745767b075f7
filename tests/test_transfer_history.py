"""Transfers with history: every revision, deletion markers, digests and recorded times
travel, with the same numbers on both sides, and `verify` is clean afterwards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from mlte_store import ArtifactRepository, migrate, transfer
from mlte_store.cli import app

from .conftest import PostgresServer
from .helpers import make_artifact

runner = CliRunner()


def _fill(repo: ArtifactRepository) -> None:
    """History at both levels: rewrites, a deletion, a re-creation, a deleted-only identifier,
    and a model whose versions were all deleted."""
    repo.write_artifact("m", "v1", make_artifact("e", n=1), parents=True)
    repo.write_artifact("m", "v1", make_artifact("e", n=2), force=True)
    repo.delete_artifact("m", "v1", "e")
    repo.write_artifact("m", "v1", make_artifact("e", n=3, text="Straße"))
    repo.write_artifact("m", "v1", make_artifact("gone"))
    repo.delete_artifact("m", "v1", "gone")
    repo.write_artifact("m", "v2", make_artifact("card", "card", level="model", v=1), parents=True)
    repo.write_artifact("m", "v2", make_artifact("card", "card", level="model", v=2), force=True)
    repo.write_artifact("lonely", "v", make_artifact("c", "card", level="model"), parents=True)
    repo.delete_version("lonely", "v")


def _history(url: str) -> list[Any]:
    """Every owner's revisions (all fields) and current artifacts with their numbers."""
    found: list[Any] = []
    with ArtifactRepository(url) as repo:
        for model_id in repo.list_models():
            for owner in [None, *repo.list_versions(model_id)]:
                found.append(
                    (
                        model_id,
                        owner,
                        [r.model_dump(mode="json") for r in repo.iter_revisions(model_id, owner)],
                        [(a.to_json(), n) for a, n in repo.iter_current(model_id, owner)],
                    )
                )
    return found


def test_copy_sqlite_to_postgresql_keeps_the_audit_trail(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'source.db'}"
    migrate.upgrade(sqlite_url)
    with ArtifactRepository(sqlite_url) as source:
        _fill(source)
    postgres_url = postgres_server.create_database()
    migrate.upgrade(postgres_url)
    with ArtifactRepository(sqlite_url) as a, ArtifactRepository(postgres_url) as b:
        summary = transfer.copy(a, b, batch_size=2)
        assert summary.refused == []
        assert (summary.artifacts, summary.revisions) == (3, 9)
        assert b.verify() == []
        history = b.read_artifact_history("m", "v1", "e")
        assert [(r.revision, r.deleted) for r in history] == [
            (1, False),
            (2, False),
            (3, True),
            (4, False),
        ]
        # Copying again writes nothing new.
        again = transfer.copy(a, b)
        assert (again.artifacts, again.revisions, again.skipped) == (0, 0, 3)
    expected = _history(sqlite_url)
    assert _history(postgres_url) == expected
    # A write after the copy continues the numbering.
    with ArtifactRepository(postgres_url) as b:
        b.write_artifact("m", "v1", make_artifact("e", n=5), force=True)
        assert b.read_artifact_history("m", "v1", "e")[-1].revision == 5


def test_dump_with_history_and_load_round_trip(store_url: str, tmp_path: Path) -> None:
    with ArtifactRepository(store_url) as repo:
        _fill(repo)
    dumped = runner.invoke(
        app, ["dump", str(tmp_path / "d.jsonl"), "--history", "--url", store_url]
    )
    assert dumped.exit_code == 0, dumped.output
    lines = [json.loads(line) for line in (tmp_path / "d.jsonl").read_text("utf-8").splitlines()]
    markers = [x for x in lines if x["kind"] == "revision" and x["deleted"]]
    assert len(markers) == 2 and all(x["artifact"]["body"] is None for x in markers)
    target = f"sqlite:///{tmp_path / 'target.db'}"
    migrate.upgrade(target)
    loaded = runner.invoke(app, ["load", str(tmp_path / "d.jsonl"), "--url", target, "--json"])
    assert loaded.exit_code == 0, loaded.output
    assert json.loads(loaded.stdout)["revisions"] == 9
    assert _history(target) == _history(store_url)


def test_without_history_only_current_artifacts_travel_as_revision_one(
    store_url: str, tmp_path: Path
) -> None:
    with ArtifactRepository(store_url) as repo:
        _fill(repo)
    transfer.dump(ArtifactRepository(store_url), tmp_path / "d.jsonl", history=True)
    target = f"sqlite:///{tmp_path / 'target.db'}"
    migrate.upgrade(target)
    with ArtifactRepository(target) as other:
        summary = transfer.load(other, tmp_path / "d.jsonl", history=False)
        assert (summary.artifacts, summary.revisions) == (3, 0)
        assert [r.revision for r in other.read_artifact_history("m", "v1", "e")] == [1]
        assert other.read_artifact("m", "v1", "e").body["n"] == 3


def test_a_bad_revision_line_is_refused_and_the_rest_loads(store_url: str, tmp_path: Path) -> None:
    with ArtifactRepository(store_url) as repo:
        _fill(repo)
        transfer.dump(repo, tmp_path / "d.jsonl", history=True)
    lines = (tmp_path / "d.jsonl").read_text("utf-8").splitlines()
    broken = json.loads(next(line for line in lines if '"revision", "model": "m"' in line))
    broken["revision"] = 0
    lines.append(json.dumps(broken))
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    target = f"sqlite:///{tmp_path / 'target.db'}"
    migrate.upgrade(target)
    with ArtifactRepository(target) as other:
        summary = transfer.load(other, tmp_path / "d.jsonl")
        assert [p.source for p in summary.refused] == [f"{tmp_path / 'd.jsonl'}:{len(lines)}"]
        assert summary.revisions == 9
