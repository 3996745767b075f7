"""Faults: every call is atomic, and dead connections are the library's error, then healed.

Atomicity (both backends): every writing call is run again and again with a
driver error injected at its 1st, 2nd, 3rd... statement until it gets through;
after each failure the store must be exactly as before. Dead connections
(PostgreSQL): the server terminates the backend in the middle of a write, or
the idle pooled connections, or restarts; the next call must just work.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.exc import DBAPIError

from mlte_store import (
    ArtifactRepository,
    ErrorDatabase,
    Model,
    Version,
)
from mlte_store import engine as engine_module
from mlte_store.tables import ArtifactRevisionRow, ArtifactRow, ModelRow, VersionRow

from .docs_pages import figures
from .helpers import connect_postgres, count_rows, ids, make_artifact

#: The figures docs/guarantees.md states: kinds of writing call, faults injected per backend.
(STATED_CALL_KINDS,) = figures("guarantees.md", r"Each public writing call \((\d+) kinds")
STATED_FAULTS = dict(
    zip(
        ("sqlite", "postgresql"),
        figures("guarantees.md", r"(\d+) injected faults on SQLite, (\d+) on PostgreSQL"),
        strict=True,
    )
)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the store's tables, in key order."""
    with engine.connect() as connection:
        return {
            table.__tablename__: [
                tuple(row)
                for row in connection.execute(
                    select(table.__table__).order_by(table.__table__.c.id)  # type: ignore[attr-defined]
                )
            ]
            for table in (ModelRow, VersionRow, ArtifactRow, ArtifactRevisionRow)
        }


class StatementFault:
    """Makes the n-th SQL statement executed on an engine fail with a driver error."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.fail_at = 0
        self.seen = 0
        event.listen(engine, "before_cursor_execute", self._before)

    def arm(self, fail_at: int) -> None:
        self.fail_at, self.seen = fail_at, 0

    def disarm(self) -> bool:
        """Stop injecting; True if the armed fault fired."""
        fired = 0 < self.fail_at <= self.seen
        self.fail_at = 0
        return fired

    def _before(self, *_: Any) -> None:
        if self.fail_at:
            self.seen += 1
            if self.seen == self.fail_at:
                raise self.engine.dialect.loaded_dbapi.OperationalError("injected fault")

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)


def writing_calls(repo: ArtifactRepository) -> list[tuple[str, Callable[[], object]]]:
    """Every public writing call, in an order where each one has something to do."""
    batch = [make_artifact(f"b{i}") for i in range(5)] + [make_artifact("mm", level="model")]
    changed = [make_artifact(f"b{i}", note="changed") for i in range(3)]
    model = Model(identifier="m", versions=[Version(identifier="v")])
    model_level = make_artifact("ml", level="model")
    a_at_model_level = make_artifact("a", level="model")
    ml_version, header = make_artifact("ml", note="2"), make_artifact("h")
    r = repo
    return [
        ("create_model", partial(r.create_model, model)),
        ("create_version", partial(r.create_version, "m", "w")),
        ("write parents", partial(r.write_artifact, "n", "v", make_artifact("a"), parents=True)),
        ("write", partial(r.write_artifact, "m", "v", make_artifact("a", note="1"))),
        ("write model level", partial(r.write_artifact, "m", "w", model_level)),
        ("force over model", partial(r.write_artifact, "m", "v", ml_version, force=True)),
        ("force at model level", partial(r.write_artifact, "m", "v", a_at_model_level, force=True)),
        ("with header", partial(r.write_artifact_with_header, "m", "w", header, user="u")),
        ("bulk write", partial(r.write_artifacts, "m", "v", batch)),
        ("bulk force", partial(r.write_artifacts, "m", "v", changed, force=True)),
        ("restore", partial(r.restore_artifact, "m", "v", "b1", revision=1, user="u")),
        ("delete_artifact", partial(r.delete_artifact, "m", "v", "b0")),
        ("purge_history", partial(r.purge_history, "m", "v")),
        ("delete_version", partial(r.delete_version, "m", "w")),
        ("delete_model", partial(r.delete_model, "n")),
        ("bulk write parents", partial(r.write_artifacts, "p", "v", batch, parents=True)),
        ("delete_model with artifacts", partial(r.delete_model, "m")),
    ]  # fmt: skip


def test_every_writing_call_is_atomic_under_a_fault_at_any_statement(
    repo: ArtifactRepository, backend: str
) -> None:
    fault = StatementFault(repo.engine)
    calls = writing_calls(repo)
    faults = 0
    try:
        for name, call in calls:
            for fail_at in range(1, 50):
                before = snapshot(repo.engine)
                fault.arm(fail_at)
                try:
                    call()
                except ErrorDatabase as exc:
                    assert fault.disarm(), f"{name}: {exc}"
                    assert "nothing was written" in str(exc)
                    assert isinstance(exc.__cause__, DBAPIError)
                    assert snapshot(repo.engine) == before, f"{name} left a partial write"
                    faults += 1
                    continue
                assert not fault.disarm(), f"{name} succeeded although statement {fail_at} failed"
                assert snapshot(repo.engine) != before, f"{name} did nothing"
                break
            else:
                pytest.fail(f"{name} never got through")
    finally:
        fault.remove()
    assert repo.list_models() == ["p"]
    assert ids(repo.read_artifacts("p", "v")) == ["b0", "b1", "b2", "b3", "b4", "mm"]
    assert (len(calls), faults) == (STATED_CALL_KINDS, STATED_FAULTS[backend])


# -- dead connections (PostgreSQL) ----------------------------------------------------


def wait_for_lock_waiter(admin: Any, excluded: set[int], timeout: float = 30) -> int:
    """The pid of the backend of this database waiting for a lock (polls until one is)."""
    deadline = time.monotonic() + timeout
    with admin.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            pids = [pid for (pid,) in cursor.fetchall() if pid not in excluded]
            if pids:
                return int(pids[0])
            time.sleep(0.05)
    raise AssertionError("the write never waited for the lock")


def terminate_other_backends(admin: Any) -> int:
    """Terminate every other connection to this database; return how many there were."""
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


@contextmanager
def uncommitted_model_artifact(url: str, model_pk: int, identifier: str) -> Iterator[Any]:
    """Another transaction holding an uncommitted model-level artifact: writers of it wait."""
    blocker = connect_postgres(url)
    blocker.autocommit = False
    try:
        with blocker.cursor() as cursor:
            cursor.execute(
                "INSERT INTO mlte_artifact "
                "(model_id, identifier, type, body, search, revision, digest, folded_with) "
                "VALUES (%s, %s, 'evidence', '{}', '{}', 1, '', '15.0.0')",
                (model_pk, identifier),
            )
            cursor.execute("SELECT pg_backend_pid()")
            yield cursor.fetchone()[0]
    finally:
        blocker.rollback()
        blocker.close()


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("bulk", [False, True], ids=["write_artifact", "write_artifacts"])
def test_connection_killed_during_a_write(store_url: str, bulk: bool) -> None:
    """The write waits on a lock after writing a version (and 1,000 artifacts), then is killed."""
    victim = make_artifact("victim", level="model")
    batch = [make_artifact(f"b{i:04d}") for i in range(1500)] + [victim]
    with ArtifactRepository(store_url) as repo:
        repo.write_artifact("m", "v", make_artifact("before"), parents=True)
        admin = connect_postgres(store_url)
        with admin.cursor() as cursor:
            cursor.execute("SELECT id FROM mlte_model WHERE identifier = 'm'")
            (model_pk,) = cursor.fetchone()
        outcome: list[BaseException] = []

        def write() -> None:
            try:
                if bulk:
                    repo.write_artifacts("m", "v2", batch, parents=True)
                else:
                    repo.write_artifact("m", "v2", victim, parents=True)
            except BaseException as exc:
                outcome.append(exc)

        try:
            with uncommitted_model_artifact(store_url, model_pk, "victim") as blocker_pid:
                writer = threading.Thread(target=write)
                writer.start()
                pid = wait_for_lock_waiter(admin, {blocker_pid})
                with admin.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
                writer.join(timeout=30)
        finally:
            admin.close()
        assert len(outcome) == 1
        error = outcome[0]
        assert isinstance(error, ErrorDatabase), repr(error)
        assert "lost" in str(error) and "nothing was written" in str(error)
        assert isinstance(error.__cause__, DBAPIError)
        # Nothing partial: no version v2, no artifact of the batch; the next call just works.
        assert repo.list_versions("m") == ["v"]
        assert count_rows(repo, ArtifactRow) == 1
        if bulk:
            assert repo.write_artifacts("m", "v2", batch, parents=True) == len(batch)
        else:
            repo.write_artifact("m", "v2", victim, parents=True)
        assert repo.read_artifact("m", "v2", "victim").header.level.value == "model"


@pytest.mark.parametrize("backend", ["postgresql"])
def test_idle_pooled_connections_killed_between_calls(store_url: str) -> None:
    with ArtifactRepository(store_url) as repo:
        repo.write_artifact("m", "v", make_artifact("a"), parents=True)
        admin = connect_postgres(store_url)
        try:
            assert terminate_other_backends(admin) >= 1
        finally:
            admin.close()
        repo.write_artifact("m", "v", make_artifact("b"))
        assert ids(repo.read_artifacts("m", "v")) == ["a", "b"]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_connection_lost_before_the_first_statement_is_retried_once(store_url: str) -> None:
    """A dead pooled connection that the checkout does not notice fails at the call's
    first statement; nothing was written, so the call runs again on a new connection."""
    with ArtifactRepository(store_url) as repo:
        repo.write_artifact("m", "v", make_artifact("a"), parents=True)
        event.remove(repo.engine, "checkout", engine_module._drop_closed_connections)
        admin = connect_postgres(store_url)
        try:
            pids = terminate_other_backends_and_wait(admin)
        finally:
            admin.close()
        assert pids >= 1
        repo.write_artifact("m", "v", make_artifact("b"))
        assert ids(repo.read_artifacts("m", "v")) == ["a", "b"]
        assert [r.revision for r in repo.read_artifact_history("m", "v", "b")] == [1]


def terminate_other_backends_and_wait(admin: Any) -> int:
    """`terminate_other_backends`, then wait until those backends have ended."""
    count = terminate_other_backends(admin)
    with admin.cursor() as cursor:
        for _ in range(200):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.05)
    return count


def restart_postgres(url: str, timeout: float = 60) -> None:
    """Restart the local PostgreSQL cluster and wait until it accepts connections."""
    version = next(Path("/etc/postgresql").iterdir()).name
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        capture_output=True,
        timeout=timeout,
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            connect_postgres(url).close()
            return
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.restarts_server
@pytest.mark.parametrize("backend", ["postgresql"])
def test_server_restart_between_calls(store_url: str) -> None:
    with ArtifactRepository(store_url) as repo:
        repo.write_artifact("m", "v", make_artifact("a"), parents=True)
        restart_postgres(store_url)
        repo.write_artifact("m", "v", make_artifact("b"))
        assert ids(repo.read_artifacts("m", "v")) == ["a", "b"]


def test_unreachable_server_is_the_librarys_error() -> None:
    with pytest.raises(ErrorDatabase, match="nothing was written") as caught:
        ArtifactRepository("postgresql://nobody@127.0.0.1:1/none")
    assert isinstance(caught.value.__cause__, DBAPIError)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_delete_that_waited_for_a_write_numbers_its_marker_after_that_write(
    store_url: str,
) -> None:
    """The delete's statement starts while another transaction rewrites the artifact (row
    updated, revision 2 recorded) and waits for its row lock: the marker is then numbered 3
    from the history committed meanwhile, not 2 from the statement's older snapshot."""
    with ArtifactRepository(store_url) as repo:
        repo.write_artifact("m", "v", make_artifact("a"), parents=True)
        admin, writer = connect_postgres(store_url), connect_postgres(store_url)
        writer.autocommit = False
        outcome: list[BaseException] = []

        def delete() -> None:
            try:
                repo.delete_artifact("m", "v", "a")
            except BaseException as exc:
                outcome.append(exc)

        try:
            with writer.cursor() as cursor:
                cursor.execute("UPDATE mlte_artifact SET revision = 2 WHERE identifier = 'a'")
                cursor.execute(
                    "INSERT INTO mlte_artifact_revision (model_id, version_id, identifier, type, "
                    "timestamp, creator, revision, body, digest, deleted, recorded_at) "
                    "SELECT model_id, version_id, identifier, type, timestamp, creator, 2, body, "
                    "digest, false, now() FROM mlte_artifact WHERE identifier = 'a'"
                )
                cursor.execute("SELECT pg_backend_pid()")
                (writer_pid,) = cursor.fetchone()
            deleter = threading.Thread(target=delete)
            deleter.start()
            wait_for_lock_waiter(admin, {writer_pid})
            writer.commit()
            deleter.join(timeout=30)
        finally:
            writer.close()
            admin.close()
        assert outcome == []
        history = repo.read_artifact_history("m", "v", "a")
        assert [(r.revision, r.deleted) for r in history] == [(1, False), (2, False), (3, True)]
