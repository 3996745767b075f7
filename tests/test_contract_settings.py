"""Documented settings and bounds, asserted exactly (docs/configuration.md, docs/python-api.md).

SQLite: foreign keys on, WAL journal, a 30 s busy timeout and `BEGIN IMMEDIATE` for
writing transactions, also on an engine the caller built. PostgreSQL: a pooled
connection the server closed is replaced at checkout, also on the caller's engine.
Paging: `limit` 0 to 10,000, `offset` 0 or more (2^62 gives an empty page, 2^63 is
refused); identifiers 1 to 255 characters.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import Engine, event

from mlte_store import (
    MAX_IDENTIFIER_LENGTH,
    MAX_PAGE_SIZE,
    ArtifactRepository,
    ErrorInvalidInput,
    Query,
)
from mlte_store.engine import create_engine, resolve_url

from .helpers import connect_postgres, ids, make_artifact


def sqlite_pragmas(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        return {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("busy_timeout", "foreign_keys", "journal_mode")
        }


SQLITE_SETTINGS = {"busy_timeout": 30_000, "foreign_keys": 1, "journal_mode": "wal"}


def statements_of(engine: Engine, call: Any) -> list[str]:
    """The SQL statements a call sends, in order."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def terminate_idle_connections(url: str) -> int:
    admin = connect_postgres(url)
    try:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return int(cursor.fetchone()[0])
    finally:
        admin.close()


@pytest.mark.parametrize("origin", ["url", "create_engine", "user engine"])
def test_backend_settings_apply_to_every_way_of_building_a_repository(
    store_url: str, backend: str, origin: str
) -> None:
    engine: Engine | None = None
    if origin == "create_engine":
        engine = create_engine(store_url)
    elif origin == "user engine":
        # The caller's own engine, built by SQLAlchemy without any of the store's settings.
        engine = sqlalchemy.create_engine(resolve_url(store_url))
    try:
        with ArtifactRepository(engine or store_url) as repo:
            repo.write_artifact("m", "v", make_artifact("a"), parents=True)
            if backend == "sqlite":
                assert sqlite_pragmas(repo.engine) == SQLITE_SETTINGS
                writes = statements_of(
                    repo.engine, lambda: repo.write_artifact("m", "v", make_artifact("b"))
                )
                assert writes[0] == "BEGIN IMMEDIATE"
                assert "BEGIN IMMEDIATE" not in statements_of(
                    repo.engine, lambda: repo.read_artifacts("m", "v")
                )
            else:
                assert terminate_idle_connections(store_url) >= 1
                repo.write_artifact("m", "v", make_artifact("b"))
            assert ids(repo.read_artifacts("m", "v")) == ["a", "b"]
    finally:
        if engine is not None:
            engine.dispose()


# -- paging bounds ----------------------------------------------------------------------


@pytest.fixture
def full_page_plus_one(repo: ArtifactRepository) -> ArtifactRepository:
    """MAX_PAGE_SIZE + 1 artifacts in m/v."""
    batch = [make_artifact(f"a{i:05d}") for i in range(MAX_PAGE_SIZE + 1)]
    assert repo.write_artifacts("m", "v", batch, parents=True) == MAX_PAGE_SIZE + 1
    return repo


def test_limit_bounds_at_their_edges(full_page_plus_one: ArtifactRepository) -> None:
    repo = full_page_plus_one
    assert MAX_PAGE_SIZE == 10_000  # the documented figure
    assert repo.read_artifacts("m", "v", limit=0) == []
    assert ids(repo.read_artifacts("m", "v", limit=1)) == ["a00000"]
    page = repo.read_artifacts("m", "v", limit=MAX_PAGE_SIZE)
    assert len(page) == MAX_PAGE_SIZE and page[-1].header.identifier == "a09999"
    assert ids(repo.search_artifacts("m", "v", Query(), limit=MAX_PAGE_SIZE, offset=1))[-1] == (
        "a10000"
    )
    for bad in (MAX_PAGE_SIZE + 1, -1):
        with pytest.raises(ErrorInvalidInput, match=f"limit .*{bad}"):
            repo.read_artifacts("m", "v", limit=bad)
        with pytest.raises(ErrorInvalidInput, match="limit"):
            repo.search_artifacts("m", "v", Query(), limit=bad)


def test_offset_bounds_at_their_edges(repo: ArtifactRepository) -> None:
    repo.write_artifacts("m", "v", [make_artifact(f"a{i}") for i in range(5)], parents=True)
    assert ids(repo.read_artifacts("m", "v", offset=0)) == ["a0", "a1", "a2", "a3", "a4"]
    assert ids(repo.read_artifacts("m", "v", offset=4)) == ["a4"]
    assert repo.read_artifacts("m", "v", offset=5) == []
    assert repo.read_artifacts("m", "v", offset=2**62) == []
    assert repo.search_artifacts("m", "v", Query(), offset=2**62) == []
    for bad in (-1, 2**63, 2**64):
        with pytest.raises(ErrorInvalidInput, match="offset"):
            repo.read_artifacts("m", "v", offset=bad)
        with pytest.raises(ErrorInvalidInput, match="offset"):
            repo.search_artifacts("m", "v", Query(), offset=bad)


def test_identifier_length_bounds_at_their_edges(repo: ArtifactRepository) -> None:
    assert MAX_IDENTIFIER_LENGTH == 255  # the documented figure
    longest = "x" * MAX_IDENTIFIER_LENGTH
    repo.write_artifact(longest, longest, make_artifact(longest), parents=True)
    assert repo.read_artifact(longest, longest, longest).header.identifier == longest
    too_long = "y" * (MAX_IDENTIFIER_LENGTH + 1)
    for model, version, artifact in ((too_long, "v", "a"), ("m", too_long, "a")):
        with pytest.raises(ErrorInvalidInput, match="256"):
            repo.write_artifact(model, version, make_artifact(artifact), parents=True)
    with pytest.raises(ValueError, match="256"):
        make_artifact(too_long)
    assert repo.list_models() == [longest]


@pytest.mark.parametrize("bad", [1.0, "10", True, None])
def test_non_integer_paging_is_refused_naming_the_argument(
    repo: ArtifactRepository, bad: Any
) -> None:
    repo.write_artifact("m", "v", make_artifact("a"), parents=True)
    with pytest.raises(ErrorInvalidInput, match=r"^limit must be an integer"):
        repo.read_artifacts("m", "v", limit=bad)
    with pytest.raises(ErrorInvalidInput, match=r"^offset must be an integer"):
        repo.read_artifacts("m", "v", offset=bad)
    with pytest.raises(ErrorInvalidInput, match=r"^offset must be an integer"):
        repo.search_artifacts("m", "v", Query(), offset=bad)
