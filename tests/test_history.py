"""Artifact revision history (issue 6), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text, update

from mlte_store import (
    ArtifactRepository,
    ErrorInvalidInput,
    ErrorNotFound,
    body_digest,
    migrate,
)
from mlte_store.engine import create_engine
from mlte_store.tables import ArtifactRevisionRow, ArtifactRow

from .helpers import make_artifact
from .test_migrations import schema_differences, table_names


def numbers(repo: ArtifactRepository, artifact_id: str, **kwargs: object) -> list[int]:
    return [r.revision for r in repo.read_artifact_history("m", "v", artifact_id, **kwargs)]  # type: ignore[arg-type]


def test_every_write_and_delete_is_a_revision(repo: ArtifactRepository) -> None:
    repo.write_artifact("m", "v", make_artifact("a", n=1), parents=True)
    repo.write_artifact("m", "v", make_artifact("a", n=2), force=True)
    repo.delete_artifact("m", "v", "a")
    history = repo.read_artifact_history("m", "v", "a")
    assert [(r.revision, r.deleted) for r in history] == [(1, False), (2, False), (3, True)]
    assert [r.body["n"] for r in history[:2] if r.body] == [1, 2]
    assert history[2].body is None and history[2].digest is None
    assert history[1].digest == body_digest({"artifact_type": "evidence", "n": 2})
    assert all(r.recorded_at.tzinfo is not None for r in history)
    with pytest.raises(ErrorNotFound):
        repo.read_artifact("m", "v", "a")
    assert repo.read_artifacts("m", "v") == []
    # A new write after deletion continues the numbering.
    repo.write_artifact("m", "v", make_artifact("a", n=4))
    assert numbers(repo, "a") == [1, 2, 3, 4]


def test_idempotent_force_write_records_nothing(repo: ArtifactRepository) -> None:
    artifact = make_artifact("a", n=1)
    repo.write_artifact("m", "v", artifact, parents=True)
    repo.write_artifact("m", "v", artifact, force=True)
    repo.write_artifacts("m", "v", [artifact], force=True)
    assert numbers(repo, "a") == [1]
    changed = artifact.model_copy(
        update={"header": artifact.header.model_copy(update={"creator": "x"})}
    )
    repo.write_artifact("m", "v", changed, force=True)
    assert numbers(repo, "a") == [1, 2]


def test_read_an_old_revision_and_restore_it(repo: ArtifactRepository) -> None:
    repo.write_artifact("m", "v", make_artifact("a", n=1), parents=True)
    repo.write_artifact("m", "v", make_artifact("a", n=2), force=True)
    assert repo.read_artifact("m", "v", "a", revision=1).body["n"] == 1
    repo.delete_artifact("m", "v", "a")
    with pytest.raises(ErrorNotFound, match="deletion marker"):
        repo.read_artifact("m", "v", "a", revision=3)
    with pytest.raises(ErrorNotFound, match="revision 9"):
        repo.read_artifact("m", "v", "a", revision=9)
    restored = repo.restore_artifact("m", "v", "a", revision=1, user="ana")
    assert restored.header.creator == "ana"
    current = repo.read_artifact("m", "v", "a")
    assert current.body["n"] == 1 and current.header.creator == "ana"
    last = repo.read_artifact_history("m", "v", "a")[-1]
    assert last.revision == 4 and last.artifact() == current


def test_model_and_version_level_histories_are_separate(repo: ArtifactRepository) -> None:
    repo.write_artifact("m", "v", make_artifact("a", level="model", n=1), parents=True)
    # A version-level force write replaces the visible model-level artifact: its
    # removal is recorded in the model-level history.
    repo.write_artifact("m", "v", make_artifact("a", n=2), force=True)
    assert numbers(repo, "a") == [1]
    model_history = repo.read_artifact_history("m", "v", "a", level="model")
    assert [(r.revision, r.deleted) for r in model_history] == [(1, False), (2, True)]
    assert model_history[0].header.level.value == "model"
    assert repo.read_artifact("m", "v", "a", revision=1, level="model").body["n"] == 1


def test_bad_history_input_is_refused(repo: ArtifactRepository) -> None:
    repo.write_artifact("m", "v", make_artifact("a"), parents=True)
    with pytest.raises(ErrorNotFound, match="'b'"):
        repo.read_artifact_history("m", "v", "b")
    with pytest.raises(ErrorNotFound, match="version 'w'"):
        repo.read_artifact_history("m", "w", "a")
    for bad in (0, -1, True, "1"):
        with pytest.raises(ErrorInvalidInput, match="revision"):
            repo.restore_artifact("m", "v", "a", revision=bad)  # type: ignore[arg-type]
    with pytest.raises(ErrorInvalidInput, match="level"):
        repo.read_artifact_history("m", "v", "a", level="team")
    with pytest.raises(ErrorInvalidInput, match="model_id"):
        repo.purge_history(version_id="v")
    assert numbers(repo, "a") == [1]


def test_history_off_records_nothing(store_url: str) -> None:
    with ArtifactRepository(store_url, history=False) as plain:
        plain.write_artifact("m", "v", make_artifact("a", n=1), parents=True)
        plain.write_artifact("m", "v", make_artifact("a", n=2), force=True)
        plain.write_artifacts("m", "v", [make_artifact("b")])
        plain.delete_artifact("m", "v", "b")
        assert plain.read_artifact_history("m", "v", "a") == []
        assert plain.read_artifact("m", "v", "a").body["n"] == 2
        assert plain.verify() == []


def test_purge_keeps_current_revisions(repo: ArtifactRepository) -> None:
    for n in range(3):
        repo.write_artifact("m", "v", make_artifact("a", n=n), parents=True, force=True)
    repo.write_artifact("m", "w", make_artifact("b"), parents=True)
    repo.delete_artifact("m", "w", "b")
    assert repo.purge_history("m", "v", older_than=datetime(2000, 1, 1)) == 0
    assert repo.purge_history("m", "v") == 2
    assert numbers(repo, "a") == [3]
    future = datetime.now(timezone.utc) + timedelta(days=1)
    assert repo.purge_history(older_than=future) == 2  # both revisions of the deleted 'b'
    assert numbers(repo, "a") == [3]
    repo.write_artifact("m", "v", make_artifact("a", n=9), force=True)
    assert numbers(repo, "a") == [3, 4]


def test_bulk_writes_are_recorded(repo: ArtifactRepository) -> None:
    repo.write_artifacts("m", "v", [make_artifact("a"), make_artifact("b")], parents=True)
    repo.write_artifact("m", "v", make_artifact("c", level="model"))
    repo.write_artifacts(
        "m", "v", [make_artifact("a", n=1), make_artifact("b"), make_artifact("c")], force=True
    )
    assert numbers(repo, "a") == [1, 2]
    assert numbers(repo, "b") == [1]  # unchanged
    assert numbers(repo, "c") == [1]
    assert [r.deleted for r in repo.read_artifact_history("m", "v", "c", level="model")] == [
        False,
        True,
    ]


def test_verify_finds_a_body_changed_behind_the_library(repo: ArtifactRepository) -> None:
    repo.write_artifact("m", "v", make_artifact("a", n=1.5e300, s="ü"), parents=True)
    repo.write_artifact("m", "v", make_artifact("a", n=2), force=True)
    repo.write_artifact("m", "v", make_artifact("z", level="model"))
    assert repo.verify() == []
    tampered = {"artifact_type": "evidence", "n": 3}
    with repo.engine.begin() as connection:
        connection.execute(update(ArtifactRow).values(body=tampered))
        connection.execute(
            update(ArtifactRevisionRow)
            .where(ArtifactRevisionRow.revision == 1, ArtifactRevisionRow.identifier == "a")
            .values(body=tampered)
        )
    problems = repo.verify()
    assert {(p.artifact_id, p.revision, p.version_id) for p in problems} == {
        ("a", None, "v"),
        ("z", None, None),
        ("a", 1, "v"),
    }
    assert all(p.computed_digest == body_digest(tampered) for p in problems)


def test_concurrent_force_writers_number_revisions_without_gaps(store_url: str) -> None:
    writers, writes = 8, 50
    with ArtifactRepository(store_url) as repo:
        repo.write_artifact("m", "v", make_artifact("seed"), parents=True)
        barrier = threading.Barrier(writers)
        failures: list[BaseException] = []

        def writer(n: int) -> None:
            try:
                barrier.wait()
                for i in range(writes):
                    repo.write_artifact("m", "v", make_artifact("a", w=n, i=i), force=True)
                    if n == 0 and i % 10 == 5:
                        repo.delete_artifact("m", "v", "a")
            except BaseException as exc:  # reported below
                failures.append(exc)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        history = repo.read_artifact_history("m", "v", "a")
        assert [r.revision for r in history] == list(range(1, len(history) + 1))
        assert len([r for r in history if not r.deleted]) == writers * writes
        assert history[-1].artifact() == repo.read_artifact("m", "v", "a")
        with repo.engine.connect() as connection:
            current = connection.execute(
                select(ArtifactRow.revision).where(ArtifactRow.identifier == "a")
            ).scalar_one()
        assert current == history[-1].revision


def test_upgrade_and_downgrade_with_data(empty_url_factory: Callable[[], str]) -> None:
    url = empty_url_factory()
    migrate.upgrade(url, "0001")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO mlte_model (identifier) VALUES ('m')"))
            connection.execute(
                text("INSERT INTO mlte_version (model_id, identifier) VALUES (1, 'v')")
            )
            for identifier, owner in (("a", "version_id"), ("b", "model_id")):
                connection.execute(
                    text(
                        "INSERT INTO mlte_artifact (model_id, version_id, identifier, type,"
                        " timestamp, creator, body, search)"
                        " VALUES (:model, :version, :identifier, 'evidence', 7, 'ana', :body, '{}')"
                    ),
                    {
                        "model": 1 if owner == "model_id" else None,
                        "version": 1 if owner == "version_id" else None,
                        "identifier": identifier,
                        "body": '{"artifact_type": "evidence", "x": 2.5e300, "t": "ü"}',
                    },
                )
    finally:
        engine.dispose()
    migrate.upgrade(url)
    assert schema_differences(url) == []
    with ArtifactRepository(url) as repo:
        for identifier in ("a", "b"):
            history = repo.read_artifact_history("m", "v", identifier)
            assert [(r.revision, r.header.creator) for r in history] == [(1, "ana")]
            assert history[0].artifact() == repo.read_artifact("m", "v", identifier)
        assert repo.verify() == []
        repo.write_artifact("m", "v", make_artifact("a", n=1), force=True)
        assert [r.revision for r in repo.read_artifact_history("m", "v", "a")] == [1, 2]
    migrate.downgrade(url, "0001")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT identifier, creator FROM mlte_artifact ORDER BY identifier")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [("a", None), ("b", "ana")]
    assert "mlte_artifact_revision" not in table_names(url)
    migrate.upgrade(url)
    assert schema_differences(url) == []
