"""The repository contract (docs/contract.md section 2), on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from mlte_store import (
    MAX_PAGE_SIZE,
    Artifact,
    ArtifactRepository,
    ErrorAlreadyExists,
    ErrorInvalidInput,
    ErrorNotFound,
    Model,
    Version,
)
from mlte_store.models import ArtifactType
from mlte_store.samples import sample_artifact
from mlte_store.tables import ArtifactRow, ModelRow, VersionRow

from .helpers import count_rows, ids, make_artifact, same_json


def test_models_and_versions_crud(repo: ArtifactRepository) -> None:
    assert repo.create_model("m") == Model(identifier="m")
    assert repo.create_model(
        Model(identifier="n", versions=[Version(identifier="1")])
    ).versions == [Version(identifier="1")]
    repo.create_version("m", "v2")
    repo.create_version("m", Version(identifier="v1"))
    assert repo.list_models() == ["m", "n"]
    assert repo.list_versions("m") == ["v1", "v2"]
    assert repo.read_model("m").versions == [Version(identifier="v1"), Version(identifier="v2")]
    assert repo.read_version("m", "v1") == Version(identifier="v1")
    with pytest.raises(ErrorAlreadyExists, match="'m'"):
        repo.create_model("m")
    with pytest.raises(ErrorAlreadyExists, match="'v1'"):
        repo.create_version("m", "v1")
    with pytest.raises(ErrorNotFound, match="model 'zz'"):
        repo.create_version("zz", "v1")
    with pytest.raises(ErrorNotFound, match="version 'v9'"):
        repo.read_version("m", "v9")
    assert repo.delete_version("m", "v1") == Version(identifier="v1")
    assert repo.list_versions("m") == ["v2"]
    assert repo.delete_model("n").identifier == "n"
    assert repo.list_models() == ["m"]
    with pytest.raises(ErrorNotFound):
        repo.delete_model("n")
    with pytest.raises(ErrorNotFound):
        repo.list_versions("n")


def test_same_version_identifier_under_two_models(repo: ArtifactRepository) -> None:
    repo.write_artifact("a", "v", make_artifact("x", note="a"), parents=True)
    repo.write_artifact("b", "v", make_artifact("x", note="b"), parents=True)
    assert repo.read_artifact("a", "v", "x").body["note"] == "a"
    assert repo.read_artifact("b", "v", "x").body["note"] == "b"


def test_write_and_read_back_the_same_json(repo: ArtifactRepository) -> None:
    body = {
        "artifact_type": "evidence",
        "text": "Ünïcødé 模型 🧪 \u202eRTL\u0301",
        "numbers": [0, -1, 2**62, 2**70, 1.5, -2.5e-10, 1e300, True, False, None],
        "nested": {"a": {"b": [{"c": []}, {}]}},
        "quote": "'; DROP TABLE mlte_artifact; --",
    }
    artifact = Artifact.model_validate(
        {
            "header": {"identifier": "e", "type": "evidence", "timestamp": 5, "creator": "ü"},
            "body": body,
        }
    )
    stored = repo.write_artifact("m", "v", artifact, parents=True)
    assert stored.to_json() == artifact.to_json()
    assert same_json(repo.read_artifact("m", "v", "e").to_json(), artifact.to_json())


@pytest.mark.parametrize("artifact_type", list(ArtifactType))
def test_every_type_round_trips(repo: ArtifactRepository, artifact_type: ArtifactType) -> None:
    artifact = sample_artifact(artifact_type, f"{artifact_type.value}-1", size=20)
    repo.write_artifact("m", "v", artifact, parents=True)
    assert repo.read_artifact("m", "v", f"{artifact_type.value}-1").to_json() == artifact.to_json()


def test_missing_parents_are_not_found_and_nothing_is_written(repo: ArtifactRepository) -> None:
    with pytest.raises(ErrorNotFound, match="model 'm'"):
        repo.write_artifact("m", "v", make_artifact("a"))
    repo.create_model("m")
    with pytest.raises(ErrorNotFound, match="model 'm', version 'v'"):
        repo.write_artifact("m", "v", make_artifact("a"))
    assert count_rows(repo, ArtifactRow) == 0
    assert count_rows(repo, VersionRow) == 0


def test_parents_creates_missing_model_and_version(repo: ArtifactRepository) -> None:
    repo.write_artifact("m", "v", make_artifact("a"), parents=True)
    repo.write_artifact("m", "v", make_artifact("b"), parents=True)
    repo.write_artifact("m", "w", make_artifact("c"), parents=True)
    assert repo.list_models() == ["m"]
    assert repo.list_versions("m") == ["v", "w"]


def test_duplicate_without_force_is_refused(repo: ArtifactRepository) -> None:
    repo.write_artifact("m", "v", make_artifact("a", note="first"), parents=True)
    with pytest.raises(ErrorAlreadyExists, match="model 'm', version 'v', artifact 'a'"):
        repo.write_artifact("m", "v", make_artifact("a", note="second"))
    assert repo.read_artifact("m", "v", "a").body["note"] == "first"


def test_force_replaces(repo: ArtifactRepository) -> None:
    repo.write_artifact("m", "v", make_artifact("a", note="first"), parents=True)
    repo.write_artifact("m", "v", make_artifact("a", "report", note="second"), force=True)
    got = repo.read_artifact("m", "v", "a")
    assert got.header.type == ArtifactType.REPORT and got.body["note"] == "second"
    assert count_rows(repo, ArtifactRow) == 1


def test_model_level_artifacts_are_visible_from_every_version(repo: ArtifactRepository) -> None:
    repo.create_model(
        Model(identifier="m", versions=[Version(identifier="v1"), Version(identifier="v2")])
    )
    repo.write_artifact("m", "v1", make_artifact("card", "card", level="model"))
    assert repo.read_artifact("m", "v2", "card").header.level.value == "model"
    assert ids(repo.read_artifacts("m", "v2")) == ["card"]
    with pytest.raises(ErrorAlreadyExists):
        repo.write_artifact("m", "v2", make_artifact("card", "card"))
    with pytest.raises(ErrorAlreadyExists):
        repo.write_artifact("m", "v2", make_artifact("card", "card", level="model"))
    repo.delete_version("m", "v1")
    assert repo.read_artifact("m", "v2", "card").header.level.value == "model"


def test_artifacts_of_other_versions_never_conflict(repo: ArtifactRepository) -> None:
    repo.write_artifact("m", "v1", make_artifact("a", note="1"), parents=True)
    repo.write_artifact("m", "v2", make_artifact("a", note="2"), parents=True)
    assert repo.read_artifact("m", "v1", "a").body["note"] == "1"
    assert repo.read_artifact("m", "v2", "a").body["note"] == "2"
    with pytest.raises(ErrorNotFound, match="artifact 'b'"):
        repo.read_artifact("m", "v1", "b")


def test_version_level_shadows_model_level_and_force_replaces_both(
    repo: ArtifactRepository,
) -> None:
    repo.write_artifact("m", "v2", make_artifact("a", note="v2"), parents=True)
    repo.write_artifact("m", "v1", make_artifact("a", level="model", note="model"), parents=True)
    assert repo.read_artifact("m", "v2", "a").body["note"] == "v2"
    assert repo.read_artifact("m", "v1", "a").body["note"] == "model"
    assert [a.header.level.value for a in repo.read_artifacts("m", "v2")] == ["version", "model"]
    repo.write_artifact("m", "v2", make_artifact("a", note="new"), force=True)
    assert [a.body["note"] for a in repo.read_artifacts("m", "v2")] == ["new"]
    with pytest.raises(ErrorNotFound):
        repo.read_artifact("m", "v1", "a")


def test_write_with_header_stamps_time_and_user(repo: ArtifactRepository) -> None:
    before = int(time.time())
    stored = repo.write_artifact_with_header("m", "v", make_artifact("a"), parents=True, user="ana")
    after = int(time.time())
    got = repo.read_artifact("m", "v", "a")
    assert got.header.creator == "ana" == stored.header.creator
    assert got.header.timestamp is not None and before <= got.header.timestamp <= after
    with pytest.raises(ErrorInvalidInput):
        repo.write_artifact_with_header("m", "v", make_artifact("b"), user="x\x00y")


def test_delete_artifact_returns_it_and_prefers_the_version_level(
    repo: ArtifactRepository,
) -> None:
    repo.write_artifact("m", "v", make_artifact("a", note="version"), parents=True)
    repo.write_artifact("m", "w", make_artifact("a", level="model", note="model"), parents=True)
    assert repo.delete_artifact("m", "v", "a").body["note"] == "version"
    assert repo.delete_artifact("m", "v", "a").body["note"] == "model"
    with pytest.raises(ErrorNotFound, match="model 'm', version 'v', artifact 'a'"):
        repo.delete_artifact("m", "v", "a")
    with pytest.raises(ErrorNotFound, match="version 'nope'"):
        repo.delete_artifact("m", "nope", "a")


def test_deleting_a_model_removes_everything_under_it(repo: ArtifactRepository) -> None:
    repo.write_artifact("m", "v", make_artifact("a"), parents=True)
    repo.write_artifact("m", "v", make_artifact("b", level="model"))
    repo.write_artifact("keep", "v", make_artifact("a"), parents=True)
    repo.delete_model("m")
    assert count_rows(repo, ArtifactRow) == 1
    assert count_rows(repo, VersionRow) == 1
    assert count_rows(repo, ModelRow) == 1


def test_deleting_a_version_keeps_model_level_artifacts(repo: ArtifactRepository) -> None:
    repo.write_artifact("m", "v", make_artifact("a"), parents=True)
    repo.write_artifact("m", "v", make_artifact("b", level="model"))
    repo.delete_version("m", "v")
    assert count_rows(repo, ArtifactRow) == 1
    repo.create_version("m", "v")
    assert ids(repo.read_artifacts("m", "v")) == ["b"]


def test_paging_is_sliced_in_a_stable_documented_order(repo: ArtifactRepository) -> None:
    names = [f"a{i:03d}" for i in range(150)] + ["Z", "é", "b/1", "a 1"]
    for name in reversed(names):
        level = "model" if name.endswith("7") else "version"
        repo.write_artifact("m", "v", make_artifact(name, level=level), parents=True)
    expected = sorted(names)
    assert ids(repo.read_artifacts("m", "v")) == expected[:100]
    assert ids(repo.read_artifacts("m", "v", limit=100, offset=100)) == expected[100:]
    assert ids(repo.read_artifacts("m", "v", limit=7, offset=30)) == expected[30:37]
    assert repo.read_artifacts("m", "v", limit=0) == []
    assert repo.read_artifacts("m", "v", offset=10_000) == []
    assert ids(repo.read_artifacts("m", "v", limit=MAX_PAGE_SIZE)) == expected


@pytest.mark.parametrize(
    ("limit", "offset"),
    [(-1, 0), (MAX_PAGE_SIZE + 1, 0), (10, -1), (1.5, 0), ("10", 0), (True, 0), (10, None)],
)
def test_bad_paging_is_refused(repo: ArtifactRepository, limit: Any, offset: Any) -> None:
    repo.create_model(Model(identifier="m", versions=[Version(identifier="v")]))
    with pytest.raises(ErrorInvalidInput):
        repo.read_artifacts("m", "v", limit=limit, offset=offset)


HOSTILE = [
    "'; DROP TABLE mlte_artifact; --",
    'say "hi"',
    "back\\slash",
    "100%_done",
    "a/b/c",
    "spaces  inside ",
    "Ünïcødé 模型 𝔘 🧪",
    "e\u0301\u200f\u202e",
    "x" * 255,
    "$.[*]..",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_identifiers_are_stored_and_read_back_exactly(
    repo: ArtifactRepository, name: str
) -> None:
    repo.write_artifact(name, name, make_artifact(name, note=name), parents=True)
    assert repo.list_models() == [name]
    assert repo.list_versions(name) == [name]
    assert repo.read_artifact(name, name, name).body["note"] == name
    assert ids(repo.read_artifacts(name, name)) == [name]
    assert repo.delete_artifact(name, name, name).header.identifier == name


@pytest.mark.parametrize("bad", ["", "x" * 256, "a\x00b", "\ud800"])
def test_bad_identifiers_are_refused_before_writing(repo: ArtifactRepository, bad: str) -> None:
    calls: list[Callable[[], object]] = [
        lambda: repo.create_model(bad),
        lambda: repo.create_version("m", bad),
        lambda: repo.write_artifact(bad, "v", make_artifact("a"), parents=True),
        lambda: repo.write_artifact("m", bad, make_artifact("a"), parents=True),
        lambda: repo.read_artifact("m", "v", bad),
        lambda: repo.delete_artifact("m", "v", bad),
    ]
    for call in calls:
        with pytest.raises(ErrorInvalidInput):
            call()
    assert count_rows(repo, ModelRow) == 0


def test_bad_artifacts_are_refused_and_nothing_is_written(repo: ArtifactRepository) -> None:
    good = make_artifact("a")
    good.body["sneaky"] = "NUL\x00here"  # changed after validation
    for bad in (
        good,
        {"header": {"identifier": "a", "type": "card"}, "body": {"artifact_type": "report"}},
        {"header": {"identifier": "a", "type": "card"}, "body": ["not", "an", "object"]},
        {"header": {"identifier": "a", "type": "nope"}, "body": {"artifact_type": "nope"}},
    ):
        with pytest.raises(ErrorInvalidInput):
            repo.write_artifact("m", "v", bad, parents=True)  # type: ignore[arg-type]
    assert count_rows(repo, ModelRow) == 0


def test_plain_dicts_in_mlte_json_are_accepted(repo: ArtifactRepository) -> None:
    wire = {"header": {"identifier": "a", "type": "suite"}, "body": {"artifact_type": "suite"}}
    repo.write_artifact("m", "v", wire, parents=True)
    assert repo.read_artifact("m", "v", "a").to_json()["body"] == wire["body"]


def test_bulk_write_is_all_or_nothing(repo: ArtifactRepository) -> None:
    batch = [make_artifact(f"a{i}") for i in range(1200)] + [make_artifact("m1", level="model")]
    assert repo.write_artifacts("m", "v", batch, parents=True) == 1201
    assert len(repo.read_artifacts("m", "v", limit=MAX_PAGE_SIZE)) == 1201
    with pytest.raises(ErrorAlreadyExists, match="a5"):
        repo.write_artifacts("m", "v", [make_artifact("new"), make_artifact("a5")])
    with pytest.raises(ErrorAlreadyExists, match="twice"):
        repo.write_artifacts("m", "v", [make_artifact("x"), make_artifact("x")])
    with pytest.raises(ErrorInvalidInput, match="#1"):
        repo.write_artifacts("m", "v", [make_artifact("y"), {"header": {}}])  # type: ignore[list-item]
    assert count_rows(repo, ArtifactRow) == 1201
    repo.write_artifacts(
        "m", "v", [make_artifact("a5", note="new"), make_artifact("m1")], force=True
    )
    assert repo.read_artifact("m", "v", "a5").body["note"] == "new"
    assert repo.read_artifact("m", "v", "m1").header.level.value == "version"
    assert count_rows(repo, ArtifactRow) == 1201


def test_shared_engine_survives_close(store_url: str) -> None:
    from mlte_store.engine import create_engine

    engine = create_engine(store_url)
    try:
        with ArtifactRepository(engine) as first:
            first.create_model("m")
        with ArtifactRepository(engine) as second:
            assert second.list_models() == ["m"]
    finally:
        engine.dispose()
