"""Alembic owns the schema: migrations build exactly the ORM's schema on every backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from mlte_store import ArtifactRepository, ErrorSchema, migrate
from mlte_store.engine import create_engine
from mlte_store.tables import VERSION_TABLE, Base

from .helpers import make_artifact


def schema_differences(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": VERSION_TABLE, "compare_type": True}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_build_the_orm_schema(empty_url_factory: Callable[[], str]) -> None:
    url = empty_url_factory()
    migrate.upgrade(url)
    assert schema_differences(url) == []
    assert migrate.current(url) == migrate.head()
    assert VERSION_TABLE in table_names(url)
    assert "alembic_version" not in table_names(url)


def test_upgrade_downgrade_upgrade(empty_url_factory: Callable[[], str]) -> None:
    url = empty_url_factory()
    migrate.upgrade(url)
    with ArtifactRepository(url) as repo:
        repo.write_artifact("m", "v", make_artifact("a"), parents=True)
    migrate.downgrade(url, "base")
    assert migrate.current(url) is None
    assert table_names(url) <= {VERSION_TABLE}
    migrate.upgrade(url)
    assert schema_differences(url) == []
    with ArtifactRepository(url) as repo:
        assert repo.list_models() == []


def test_repository_refuses_a_database_without_schema(
    empty_url_factory: Callable[[], str],
) -> None:
    url = empty_url_factory()
    with pytest.raises(ErrorSchema, match="mlte-store db upgrade"):
        ArtifactRepository(url)
    assert table_names(url) == set()  # the repository never creates tables


def test_repository_refuses_a_database_at_an_unknown_revision(store_url: str) -> None:
    engine = create_engine(store_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(f"UPDATE {VERSION_TABLE} SET version_num = :rev"), {"rev": "ffff0000"}
            )
        with pytest.raises(ErrorSchema, match=f"ffff0000.*{migrate.head()}"):
            ArtifactRepository(store_url)
        with engine.begin() as connection:
            connection.execute(text(f"DELETE FROM {VERSION_TABLE}"))
        with pytest.raises(ErrorSchema, match="no mlte_store revision"):
            ArtifactRepository(store_url)
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DELETE FROM {VERSION_TABLE}"))
            connection.execute(
                text(f"INSERT INTO {VERSION_TABLE} (version_num) VALUES (:rev)"),
                {"rev": migrate.head()},
            )
        engine.dispose()


def test_migrations_ship_with_the_package() -> None:
    directory = migrate.migrations_dir()
    assert (directory / "env.py").is_file()
    assert any((directory / "versions").glob("*.py"))
    assert [revision for revision, _, _ in migrate.history()][-1] == migrate.head()
