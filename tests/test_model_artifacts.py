"""Model-level artifacts by model only: reachable whether or not the model has versions,
through the library, the command line and every transfer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlte_store import (
    Artifact,
    ArtifactRepository,
    ErrorAlreadyExists,
    ErrorInvalidInput,
    ErrorNotFound,
    migrate,
    transfer,
)
from mlte_store.cli import app
from mlte_store.tables import ArtifactRevisionRow, ArtifactRow

from .helpers import count_rows, ids, make_artifact

runner = CliRunner()


def _card(identifier: str = "card.default", **body: object) -> Artifact:
    return make_artifact(identifier, "card", level="model", **body)


def test_a_model_without_versions_keeps_readable_model_level_artifacts(
    repo: ArtifactRepository,
) -> None:
    repo.write_artifact("m", "v1", _card(note="a"), parents=True)
    repo.delete_version("m", "v1")
    assert repo.list_versions("m") == []
    assert repo.read_model_artifact("m", "card.default").body["note"] == "a"
    assert ids(repo.read_model_artifacts("m")) == ["card.default"]
    assert ids(list(repo.iter_model_artifacts("m", page_size=1))) == ["card.default"]


def test_write_list_iterate_and_delete_by_model_only(repo: ArtifactRepository) -> None:
    repo.create_model("m")
    for name in ("c", "a", "b"):
        repo.write_model_artifact("m", _card(name))
    assert ids(repo.read_model_artifacts("m", limit=2, offset=1)) == ["b", "c"]
    assert ids(list(repo.iter_model_artifacts("m", page_size=2))) == ["a", "b", "c"]
    removed = repo.delete_model_artifact("m", "b")
    assert removed.header.identifier == "b" and removed.header.level.value == "model"
    assert ids(repo.read_model_artifacts("m")) == ["a", "c"]
    # The deletion is recorded in the history like any other.
    assert count_rows(repo, ArtifactRevisionRow) == 4


def test_count_model_artifacts_counts_the_models_own_artifacts_only(
    repo: ArtifactRepository,
) -> None:
    repo.write_artifact("m", "v1", make_artifact("e"), parents=True)
    assert repo.count_model_artifacts("m") == 0
    for name in ("a", "b"):
        repo.write_model_artifact("m", _card(name))
    repo.write_model_artifact("other", _card("c"), parents=True)
    assert repo.count_model_artifacts("m") == 2 == len(repo.read_model_artifacts("m"))
    repo.delete_version("m", "v1")
    repo.delete_model_artifact("m", "a")
    assert repo.count_model_artifacts("m") == 1
    with pytest.raises(ErrorNotFound, match="model 'nope' not found"):
        repo.count_model_artifacts("nope")


def test_model_level_writes_are_visible_from_versions_and_conflict_at_model_level(
    repo: ArtifactRepository,
) -> None:
    repo.write_model_artifact("m", _card(n=1), parents=True)
    repo.create_version("m", "v1")
    assert repo.read_artifact("m", "v1", "card.default").body["n"] == 1
    with pytest.raises(ErrorAlreadyExists, match=r"model 'm', artifact 'card\.default'"):
        repo.write_model_artifact("m", _card(n=2))
    repo.write_model_artifact("m", _card(n=2), force=True)
    assert repo.read_model_artifact("m", "card.default").body["n"] == 2
    assert [r.revision for r in repo.read_artifact_history("m", "v1", "card.default")] == [1, 2]


def test_a_stamped_model_level_write_records_the_user_and_time(repo: ArtifactRepository) -> None:
    written = repo.write_model_artifact_with_header("m", _card(), parents=True, user="ana")
    stored = repo.read_model_artifact("m", "card.default")
    assert stored.header.creator == "ana" == written.header.creator
    assert stored.header.timestamp == written.header.timestamp and stored.header.timestamp > 0


def test_a_version_level_artifact_is_refused_and_nothing_is_written(
    repo: ArtifactRepository,
) -> None:
    repo.create_model("m")
    with pytest.raises(ErrorInvalidInput, match="level"):
        repo.write_model_artifact("m", make_artifact("e"))
    with pytest.raises(ErrorInvalidInput, match="level"):
        repo.write_model_artifacts("m", [_card("a"), make_artifact("e")])
    assert count_rows(repo, ArtifactRow) == 0


def test_missing_model_or_artifact_is_not_found(repo: ArtifactRepository) -> None:
    with pytest.raises(ErrorNotFound, match="model 'nope' not found"):
        repo.read_model_artifact("nope", "a")
    with pytest.raises(ErrorNotFound, match="model 'nope' not found"):
        repo.write_model_artifact("nope", _card())
    with pytest.raises(ErrorNotFound, match="model 'nope' not found"):
        list(repo.iter_model_artifacts("nope"))
    repo.create_model("m")
    with pytest.raises(ErrorNotFound, match="model 'm', artifact 'a' not found"):
        repo.read_model_artifact("m", "a")
    with pytest.raises(ErrorNotFound, match="model 'm', artifact 'a' not found"):
        repo.delete_model_artifact("m", "a")
    repo.write_model_artifact("new", _card(), parents=True)
    assert repo.list_models() == ["m", "new"]


def test_bulk_model_level_write_is_all_or_nothing(repo: ArtifactRepository) -> None:
    repo.create_model("m")
    assert repo.write_model_artifacts("m", [_card("a"), _card("b")]) == 2
    with pytest.raises(ErrorAlreadyExists):
        repo.write_model_artifacts("m", [_card("c"), _card("a")])
    assert ids(repo.read_model_artifacts("m")) == ["a", "b"]
    assert repo.write_model_artifacts("m", [_card("c"), _card("a", n=1)], force=True) == 2
    assert repo.read_model_artifact("m", "a").body["n"] == 1


def test_export_dump_and_copy_carry_model_level_artifacts_of_a_model_without_versions(
    store_url: str, tmp_path: Path
) -> None:
    with ArtifactRepository(store_url) as repo:
        repo.write_model_artifact("lonely", _card(note="kept"), parents=True)
        exported = transfer.export_folder(repo, tmp_path / "folder")
        dumped = transfer.dump(repo, tmp_path / "dump.jsonl")
    assert exported.warnings == [] and exported.artifacts == 1
    assert dumped.warnings == [] and dumped.artifacts == 1
    assert (tmp_path / "folder" / "models" / "lonely" / "card.default.json").is_file()
    for name, move in (
        ("from-folder", lambda r: transfer.import_folder(r, tmp_path / "folder")),
        ("from-dump", lambda r: transfer.load(r, tmp_path / "dump.jsonl")),
    ):
        target = f"sqlite:///{tmp_path / name}.db"
        migrate.upgrade(target)
        with ArtifactRepository(target) as other:
            summary = move(other)
            assert summary.refused == [] and summary.artifacts == 1
            assert other.list_versions("lonely") == []
            assert other.read_model_artifact("lonely", "card.default").body["note"] == "kept"


def test_the_command_line_reads_writes_and_removes_model_level_artifacts(
    store_url: str, tmp_path: Path
) -> None:
    card = tmp_path / "card.json"
    card.write_text(json.dumps(_card(note="cli").to_json()), encoding="utf-8")
    put = runner.invoke(app, ["model-artifacts", "put", "m", str(card), "--url", store_url])
    assert put.exit_code == 1 and "model 'm' not found" in put.output
    put = runner.invoke(
        app, ["model-artifacts", "put", "m", str(card), "--parents", "--url", store_url]
    )
    assert put.exit_code == 0, put.output
    listed = runner.invoke(app, ["model-artifacts", "ls", "m", "--json", "--url", store_url])
    assert [a["header"]["identifier"] for a in json.loads(listed.stdout)] == ["card.default"]
    got = runner.invoke(
        app, ["model-artifacts", "get", "m", "card.default", "--json", "--url", store_url]
    )
    assert json.loads(got.stdout)["body"]["note"] == "cli"
    removed = runner.invoke(app, ["model-artifacts", "rm", "m", "card.default", "--url", store_url])
    assert removed.exit_code == 0, removed.output
    again = runner.invoke(app, ["model-artifacts", "get", "m", "card.default", "--url", store_url])
    assert again.exit_code == 1


def test_a_version_level_artifact_shadowing_a_model_level_one_travels_without_history(
    store_url: str, tmp_path: Path
) -> None:
    with ArtifactRepository(store_url) as repo:
        repo.write_artifact("m", "v1", make_artifact("x", n=1), parents=True)
        repo.create_version("m", "v2")
        repo.write_artifact("m", "v2", _card("x", n=2))
        transfer.export_folder(repo, tmp_path / "folder")
        transfer.dump(repo, tmp_path / "dump.jsonl")
        moves = {
            "copy": lambda other: transfer.copy(repo, other, history=False),
            "folder": lambda other: transfer.import_folder(other, tmp_path / "folder"),
            "dump": lambda other: transfer.load(other, tmp_path / "dump.jsonl"),
        }
        for name, move in moves.items():
            target = f"sqlite:///{tmp_path / name}.db"
            migrate.upgrade(target)
            with ArtifactRepository(target) as other:
                summary = move(other)
                assert (summary.artifacts, summary.skipped, summary.refused) == (2, 0, []), name
                assert other.read_artifact("m", "v1", "x").body["n"] == 1, name
                assert other.read_artifact("m", "v2", "x").body["n"] == 2, name
