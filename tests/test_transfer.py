"""mlte_store.transfer: MLTE folder stores, JSON lines and copies, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mlte_store import ArtifactRepository, ErrorNotFound, migrate, transfer

from .conftest import PostgresServer
from .helpers import ids, make_artifact, same_json
from .mlte_folder import (
    LAYOUT,
    artifact_json,
    folder_tree,
    same_tree,
    store_content,
    write_mlte_folder,
)


def fresh_store(factory: Callable[[], str]) -> str:
    url = factory()
    migrate.upgrade(url)
    return url


def test_folder_import_export_import_round_trip(
    store_url: str, empty_url_factory: Callable[[], str], tmp_path: Path
) -> None:
    source = tmp_path / "mlte"
    files = write_mlte_folder(source)
    with ArtifactRepository(store_url) as repo:
        summary = transfer.import_folder(repo, source, batch_size=2)
        assert (summary.artifacts, summary.skipped, summary.refused) == (files, 0, [])
        assert summary.models == len(LAYOUT)
        assert summary.versions == sum(len(v) - 1 for v in LAYOUT.values())
        assert repo.list_models() == sorted(LAYOUT)
        assert repo.list_versions("fraud/detector") == sorted(["v1", "2024/06 release", "empty"])
        seen = repo.read_artifact("fraud/detector", "2024/06 release", "card/default")
        assert same_json(
            seen.to_json(),
            json.loads((source / "models/fraud___detector/card___default.json").read_text("utf-8")),
        )
        assert seen.header.level.value == "model"
        assert ids(repo.read_artifacts("modèle-ünïcode", "版本一")) == ["report", "証拠/精度"]

        exported = tmp_path / "exported"
        summary = transfer.export_folder(repo, exported)
        assert (summary.artifacts, summary.refused, summary.warnings) == (files, [], [])
    assert same_tree(folder_tree(exported), folder_tree(source))

    second = fresh_store(empty_url_factory)
    with ArtifactRepository(second) as repo:
        assert transfer.import_folder(repo, exported).artifacts == files
    assert same_json(store_content(second), store_content(store_url))


def test_broken_files_are_refused_with_path_and_reason_and_the_rest_imports(
    store_url: str, tmp_path: Path
) -> None:
    version = tmp_path / "models" / "m" / "v"
    version.mkdir(parents=True)
    good = artifact_json("good", "version", 1)
    (version / "good.json").write_text(json.dumps(good), "utf-8")
    broken = {
        "not-json.json": '{"header": ',
        "wrong-type.json": json.dumps(
            {**good, "header": {**good["header"], "identifier": "wrong-type", "type": "card"}}
        ),
        "renamed.json": json.dumps(good),
        "nul.json": json.dumps(
            {
                **good,
                "header": {**good["header"], "identifier": "nul"},
                "body": {"artifact_type": "evidence", "text": "a\u0000b"},
            }
        ),
        "model-level.json": json.dumps(
            {**good, "header": {**good["header"], "identifier": "model-level", "level": "model"}}
        ),
        "notes.txt": "hello",
    }
    for file_name, text in broken.items():
        (version / file_name).write_text(text, "utf-8")
    with ArtifactRepository(store_url) as repo:
        summary = transfer.import_folder(repo, tmp_path)
        assert summary.artifacts == 1
        reasons = {Path(p.source).name: p.reason for p in summary.refused}
        assert set(reasons) == set(broken)
        assert "not JSON" in reasons["not-json.json"]
        assert "artifact_type" in reasons["wrong-type.json"]
        assert "'good'" in reasons["renamed.json"] and "'renamed'" in reasons["renamed.json"]
        assert "NUL" in reasons["nul.json"]
        assert "level" in reasons["model-level.json"]
        assert all(str(version) in p.source for p in summary.refused)
        assert ids(repo.read_artifacts("m", "v")) == ["good"]


def test_existing_artifacts_are_skipped_in_a_failed_batch_and_replaced_with_force(
    store_url: str, tmp_path: Path
) -> None:
    files = write_mlte_folder(tmp_path)
    with ArtifactRepository(store_url) as repo:
        repo.write_artifact("fraud/detector", "v1", make_artifact("results"), parents=True)
        summary = transfer.import_folder(repo, tmp_path, batch_size=2)
        # the batch holding "results" fell back to single writes: only that one is skipped
        assert (summary.artifacts, summary.skipped, summary.refused) == (files - 1, 1, [])
        assert repo.read_artifact("fraud/detector", "v1", "results").body == {
            "artifact_type": "evidence"
        }
        summary = transfer.import_folder(repo, tmp_path, force=True)
        assert (summary.artifacts, summary.skipped) == (files, 0)
        on_disk = json.loads(
            (tmp_path / "models/fraud___detector/v1/results.json").read_text("utf-8")
        )
        assert same_json(repo.read_artifact("fraud/detector", "v1", "results").to_json(), on_disk)


def test_export_keeps_existing_files_unless_forced(store_url: str, tmp_path: Path) -> None:
    with ArtifactRepository(store_url) as repo:
        repo.write_artifact("m", "v", make_artifact("a/b", x=1), parents=True)
        target = tmp_path / "out"
        assert transfer.export_folder(repo, target).artifacts == 1
        path = target / "models" / "m" / "v" / "a___b.json"
        path.write_text("{}", "utf-8")
        assert transfer.export_folder(repo, target).skipped == 1
        assert path.read_text("utf-8") == "{}"
        assert transfer.export_folder(repo, target, force=True).artifacts == 1
        assert json.loads(path.read_text("utf-8"))["body"]["x"] == 1


def test_import_of_a_folder_without_models_is_not_found(store_url: str, tmp_path: Path) -> None:
    with ArtifactRepository(store_url) as repo, pytest.raises(ErrorNotFound, match="models/"):
        transfer.import_folder(repo, tmp_path)


def test_dump_and_load_round_trip_in_batches(
    store_url: str, empty_url_factory: Callable[[], str], tmp_path: Path
) -> None:
    write_mlte_folder(tmp_path / "mlte")
    with ArtifactRepository(store_url) as repo:
        transfer.import_folder(repo, tmp_path / "mlte")
        repo.write_artifacts(
            "plain", "v1", [make_artifact(f"bulk-{i:03d}", i=i) for i in range(120)]
        )
        dumped = transfer.dump(repo, tmp_path / "store.jsonl")
    lines = [
        json.loads(line) for line in (tmp_path / "store.jsonl").read_text("utf-8").splitlines()
    ]
    assert {line["kind"] for line in lines} == {"model", "version", "artifact"}
    assert dumped.artifacts == sum(line["kind"] == "artifact" for line in lines)
    second = fresh_store(empty_url_factory)
    with ArtifactRepository(second) as repo:
        loaded = transfer.load(repo, tmp_path / "store.jsonl", batch_size=7)
        assert (loaded.artifacts, loaded.refused) == (dumped.artifacts, [])
        assert (loaded.models, loaded.versions) == (dumped.models, dumped.versions)
    assert same_json(store_content(second), store_content(store_url))


def test_load_refuses_bad_lines_and_loads_the_rest(store_url: str, tmp_path: Path) -> None:
    good = artifact_json("x", "version", 2)
    lines = [
        {"kind": "model", "model": "m"},
        {"kind": "version", "model": "m", "version": "v"},
        {"kind": "artifact", "model": "m", "version": "v", "artifact": good},
        {"kind": "artifact", "model": "m", "version": None, "artifact": good},
        {"kind": "artifact", "model": "m", "version": "nope", "artifact": good},
        {"kind": "spaceship", "model": "m"},
        {"kind": "version", "model": "", "version": "v"},
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "\n".join(json.dumps(line) for line in lines) + "\nnot json\n\n", encoding="utf-8"
    )
    with ArtifactRepository(store_url) as repo:
        summary = transfer.load(repo, path)
        assert summary.artifacts == 1
        refused = {p.source.rsplit(":", 1)[1]: p.reason for p in summary.refused}
        assert set(refused) == {"4", "5", "6", "7", "8"}
        assert "level" in refused["4"]
        assert "'nope' not found" in refused["5"]
        assert "spaceship" in refused["6"]
        assert "empty" in refused["7"]
        assert "not JSON" in refused["8"]
        assert ids(repo.read_artifacts("m", "v")) == ["x"]


def test_copy_between_stores_of_one_backend(
    store_url: str, empty_url_factory: Callable[[], str], tmp_path: Path
) -> None:
    write_mlte_folder(tmp_path)
    with ArtifactRepository(store_url) as repo:
        transfer.import_folder(repo, tmp_path)
    target = fresh_store(empty_url_factory)
    with ArtifactRepository(store_url) as source, ArtifactRepository(target) as destination:
        summary = transfer.copy(source, destination)
        assert summary.refused == []
        again = transfer.copy(source, destination)
        assert (again.artifacts, again.skipped) == (0, summary.artifacts)
    assert same_json(store_content(target), store_content(store_url))


def test_copy_sqlite_to_postgresql_and_back(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    write_mlte_folder(tmp_path / "mlte")
    sqlite_url = f"sqlite:///{tmp_path / 'small.db'}"
    migrate.upgrade(sqlite_url)
    with ArtifactRepository(sqlite_url) as repo:
        transfer.import_folder(repo, tmp_path / "mlte")
    postgres_url = postgres_server.create_database()
    migrate.upgrade(postgres_url)
    back_url = f"sqlite:///{tmp_path / 'back.db'}"
    migrate.upgrade(back_url)
    with ArtifactRepository(sqlite_url) as a, ArtifactRepository(postgres_url) as b:
        assert transfer.copy(a, b).refused == []
    with ArtifactRepository(postgres_url) as b, ArtifactRepository(back_url) as c:
        assert transfer.copy(b, c).refused == []
    expected = store_content(sqlite_url)
    assert same_json(store_content(postgres_url), expected)
    assert same_json(store_content(back_url), expected)


def test_a_model_without_versions_is_exported_without_a_warning(
    store_url: str, tmp_path: Path
) -> None:
    with ArtifactRepository(store_url) as repo:
        repo.create_model("lonely")
        summary = transfer.export_folder(repo, tmp_path)
        assert summary.models == 1 and (tmp_path / "models" / "lonely").is_dir()
        assert summary.warnings == []
