"""Fixtures that run every database test against SQLite and PostgreSQL.

PostgreSQL: a scratch database is created for the test session through the
admin URL in MLTE_STORE_TEST_POSTGRES_URL (default
postgresql://root@127.0.0.1:5432/postgres) and dropped afterwards. When
MLTE_STORE_REQUIRE_POSTGRES=1 (as in CI) an unreachable server fails the
PostgreSQL tests instead of skipping them. Tests are marked `sqlite` or
`postgresql` by the backend they use: `pytest -m "not postgresql"` needs no server.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from mlte_store import ArtifactRepository, migrate
from mlte_store.engine import create_engine

from .helpers import connect_postgres

ADMIN_URL = os.environ.get(
    "MLTE_STORE_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("MLTE_STORE_REQUIRE_POSTGRES") == "1"
#: The backends every database test runs on, each marked with its name, so that
#: `-m "not postgresql"` runs the suite without a PostgreSQL server.
BACKENDS = [
    pytest.param("sqlite", marks=pytest.mark.sqlite),
    pytest.param("postgresql", marks=pytest.mark.postgresql),
]

#: Fixtures that need the PostgreSQL server.
_POSTGRES_FIXTURES = ("postgres_server", "postgres_store_url")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that pin their backend (`parametrize("backend", ...)`) or use the
    server directly with the backend's mark too: a test declares what it needs."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec is not None else None
        if backend in ("sqlite", "postgresql"):
            item.add_marker(backend)
        elif any(name in _POSTGRES_FIXTURES for name in getattr(item, "fixturenames", ())):
            item.add_marker("postgresql")


class PostgresServer:
    """Creates and drops scratch databases on the test server."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = make_url(admin_url)
        self.created: list[str] = []

    def _admin(self) -> psycopg2.extensions.connection:
        connection: psycopg2.extensions.connection = connect_postgres(
            self.admin_url.render_as_string(hide_password=False)
        )
        return connection

    def check(self) -> None:
        self._admin().close()

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        name = f"mlte_store_test_{uuid.uuid4().hex[:12]}"
        connection = self._admin()
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        finally:
            connection.close()
        self.created.append(name)
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        connection = self._admin()
        try:
            with connection.cursor() as cursor:
                for name in self.created:
                    cursor.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(name)
                        )
                    )
        finally:
            connection.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer(ADMIN_URL)
    try:
        server.check()
    except psycopg2.OperationalError as exc:
        message = f"PostgreSQL at {ADMIN_URL} is not reachable: {exc}"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (MLTE_STORE_REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def postgres_store_url(postgres_server: PostgresServer) -> str:
    """One migrated PostgreSQL database shared by the session (emptied after each test)."""
    url = postgres_server.create_database()
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("template") / "store.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "TRUNCATE mlte_grant, mlte_user, mlte_server_secret, mlte_artifact_revision,"
                    " mlte_artifact, mlte_version, mlte_model"
                    " RESTART IDENTITY CASCADE"
                )
            )
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a migrated, empty store on the test's backend."""
    if backend == "sqlite":
        path = tmp_path / "store.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_store_url")
    yield url
    _empty_postgres(url)


@pytest.fixture
def empty_url_factory(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[[], str]:
    """Makes URLs of new databases without any schema, on the test's backend."""

    def make() -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / uuid.uuid4().hex}.db"
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return server.create_database()

    return make


@pytest.fixture
def repo(store_url: str) -> Iterator[ArtifactRepository]:
    with ArtifactRepository(store_url) as repository:
        yield repository
