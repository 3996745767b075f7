"""Per-backend engine settings and URL handling."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from mlte_store import ArtifactRepository
from mlte_store.engine import DEFAULT_URL, URL_ENV_VAR, create_engine, resolve_url
from tests.helpers import connect_postgres, make_artifact


def test_bare_postgresql_url_gets_psycopg2_and_explicit_drivers_are_kept() -> None:
    assert resolve_url("postgresql://u@h/db").drivername == "postgresql+psycopg2"
    assert resolve_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert resolve_url("sqlite:///x.db").drivername == "sqlite"


def test_url_comes_from_the_environment_then_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(URL_ENV_VAR, "sqlite:///from_env.db")
    assert resolve_url(None).database == "from_env.db"
    monkeypatch.delenv(URL_ENV_VAR)
    assert resolve_url(None).render_as_string() == DEFAULT_URL


def test_sqlite_connections_have_the_store_settings(store_url: str, backend: str) -> None:
    engine = create_engine(store_url)
    try:
        with engine.connect() as connection:
            if backend == "sqlite":
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
            else:
                assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_pooled_connection_closed_by_the_server_is_replaced_at_checkout(store_url: str) -> None:
    """No pre-ping round trip: the checkout sees the closed socket and opens a new connection."""
    engine = create_engine(store_url, pool_size=1, max_overflow=0)
    admin = connect_postgres(store_url)
    try:
        with engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
            for _ in range(100):  # until the backend has ended (and closed its socket)
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
                if cursor.fetchone()[0] == 0:
                    break
                time.sleep(0.05)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        admin.close()
        engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_single_statement_reads_return_transactional_connections_to_the_pool(
    store_url: str,
) -> None:
    """A read runs in the driver's autocommit mode; the pooled connection leaves it again."""
    engine = create_engine(store_url, pool_size=1, max_overflow=0)
    try:
        repo = ArtifactRepository(engine)
        repo.write_artifact("m", "v", make_artifact("a"), parents=True)
        assert repo.read_artifact("m", "v", "a").header.identifier == "a"
        assert repo.count_artifacts("m", "v") == 1
        with engine.connect() as connection:
            assert connection.connection.dbapi_connection.autocommit is False  # type: ignore[union-attr]
    finally:
        engine.dispose()
