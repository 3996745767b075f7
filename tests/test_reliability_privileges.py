"""Least privilege on PostgreSQL: migrations as the owner, the whole contract as a role
with only SELECT/INSERT/UPDATE/DELETE on the tables (and sequence USAGE), no DDL.

The GRANT statements are read from docs/schema.md, so the documented grants are the
tested ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg2
import pytest
from psycopg2 import sql
from sqlalchemy.engine import make_url

from mlte_store import (
    ArtifactRepository,
    ErrorAlreadyExists,
    ErrorDatabase,
    ErrorNotFound,
    Model,
    PropertyFilter,
    Query,
    TagFilter,
    TypeFilter,
    UserStore,
    Version,
    migrate,
)
from mlte_store.models import ArtifactType

from .conftest import PostgresServer
from .docs_pages import blocks, page, section
from .helpers import connect_postgres, ids, make_artifact

#: The role and database names the documented grants are written for.
DOCS_ROLE, DOCS_DATABASE = "mlte_app", "DATABASE mlte "


def documented_grants() -> str:
    """The SQL block of the least-privilege section of docs/schema.md."""
    (grants,) = blocks(section(page("schema.md"), "Least privilege (PostgreSQL)"), "sql")
    return grants


@dataclass
class Roles:
    owner_url: str
    app_url: str
    app: str


def run_sql(url: str, statement: Any, params: tuple[Any, ...] = ()) -> None:
    connection = connect_postgres(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
    finally:
        connection.close()


@pytest.fixture
def roles(postgres_server: PostgresServer) -> Iterator[Roles]:
    """A database owned by a fresh owner role, migrated by it, and a fresh app role.

    Roles are cluster-wide: unique names, dropped (with the database) afterwards.
    """
    suffix = uuid.uuid4().hex[:10]
    owner, app = f"mlte_owner_{suffix}", f"mlte_app_{suffix}"
    admin_url = postgres_server.admin_url.render_as_string(hide_password=False)
    for role in (owner, app):
        run_sql(admin_url, sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    url = postgres_server.create_database()
    database = sql.Identifier(str(make_url(url).database))
    try:
        run_sql(
            admin_url,
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(database, sql.Identifier(owner)),
        )
        run_sql(admin_url, sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database))
        owner_url = make_url(url).set(username=owner).render_as_string(hide_password=False)
        migrate.upgrade(owner_url)
        grants = sql.SQL(
            documented_grants()
            .replace(DOCS_ROLE, "{app}")
            .replace(DOCS_DATABASE, "DATABASE {database} ")
        ).format(app=sql.Identifier(app), database=database)
        run_sql(owner_url, grants)
        yield Roles(owner_url, make_url(url).set(username=app).render_as_string(False), app)
    finally:
        run_sql(admin_url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        for role in (app, owner):
            run_sql(admin_url, sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def exercise_contract(repo: ArtifactRepository) -> None:
    """Every public call of the repository, with the outcomes the contract promises."""
    assert repo.create_model(Model(identifier="m", versions=[Version(identifier="v1")])).versions
    repo.create_version("m", "v2")
    with pytest.raises(ErrorAlreadyExists):
        repo.create_model("m")
    with pytest.raises(ErrorAlreadyExists):
        repo.create_version("m", "v2")
    assert repo.list_models() == ["m"] and repo.list_versions("m") == ["v1", "v2"]
    assert repo.read_model("m").identifier == "m"
    assert repo.read_version("m", "v1") == Version(identifier="v1")
    repo.write_artifact("m", "v1", make_artifact("a", note="Needle", tags=["x", "Tag"]))
    repo.write_artifact("m", "v1", make_artifact("card", "card", level="model"))
    repo.write_artifact_with_header("n", "w", make_artifact("h"), parents=True, user="ana")
    with pytest.raises(ErrorAlreadyExists):
        repo.write_artifact("m", "v2", make_artifact("card", "card"))
    repo.write_artifact("m", "v1", make_artifact("a", "report", note="forced"), force=True)
    repo.write_artifact("m", "v2", make_artifact("card", "card", note="v2"), force=True)
    batch = [make_artifact(f"b{i}") for i in range(20)]
    assert repo.write_artifacts("m", "v1", batch) == 20
    assert repo.write_artifacts("m", "v1", batch[:5], force=True) == 5
    assert repo.read_artifact("m", "v1", "a").body["note"] == "forced"
    assert repo.read_artifact("n", "w", "h").header.creator == "ana"
    assert ids(repo.read_artifacts("m", "v1", limit=3, offset=1)) == ["b0", "b1", "b10"]
    assert len(list(repo.iter_artifacts("m", "v1", page_size=7))) == 21
    assert repo.count_artifacts("m", "v1") == 21

    def search(version: str, filter: Any) -> list[str]:
        return ids(repo.search_artifacts("m", version, Query(filter=filter)))

    assert search("v1", TypeFilter(item_type=ArtifactType.REPORT)) == ["a"]
    assert search("v1", PropertyFilter(name="body.note", property="FORCED")) == ["a"]
    assert search("v1", TagFilter(name="body.tags", tag="TAG")) == []  # replaced by force
    assert search("v2", PropertyFilter(name="body.note", property="V2")) == ["card"]
    assert repo.delete_artifact("m", "v1", "b0").header.identifier == "b0"
    with pytest.raises(ErrorNotFound):
        repo.delete_artifact("m", "v1", "b0")
    # History: read, read a revision, restore (also after deletion), verify, purge.
    # (b0's forced rewrite with equal content recorded nothing: written, then deleted.)
    b0_history = repo.read_artifact_history("m", "v1", "b0")
    assert [(r.revision, r.deleted) for r in b0_history] == [(1, False), (2, True)]
    assert repo.read_artifact("m", "v1", "a", revision=1).body.get("note") == "Needle"
    assert repo.restore_artifact("m", "v1", "b0", revision=1, user="ana").header.creator == "ana"
    assert repo.read_artifact("m", "v1", "b0").header.creator == "ana"
    assert repo.verify() == []
    assert repo.purge_history("m", "v1") == 2 + 1  # b0: 1 and 2 (3 is current); a: 1
    assert [r.revision for r in repo.read_artifact_history("m", "v1", "b0")] == [3]
    assert repo.delete_version("m", "v2") == Version(identifier="v2")
    assert repo.delete_model("n").identifier == "n"
    assert repo.delete_model("m").identifier == "m"
    assert repo.list_models() == []


def test_the_whole_contract_runs_as_a_dml_only_role(roles: Roles) -> None:
    with ArtifactRepository(roles.app_url) as repo:
        exercise_contract(repo)


def test_the_server_users_and_grants_run_as_a_dml_only_role(roles: Roles) -> None:
    with ArtifactRepository(roles.app_url) as repo, UserStore(repo.engine) as users:
        repo.create_model("m")
        users.add("ana", "a long password")
        users.grant("ana", "m", "write")
        users.passwd("ana", "another long password")
        assert users.authenticate("ana", "another long password") is not None
        assert users.signing_key() == users.signing_key()
        users.revoke("ana", "m")
        users.disable("ana")
        repo.delete_model("m")
        assert users.remove("ana").name == "ana"


DDL = [
    "CREATE TABLE intruder (id int)",
    "DROP TABLE mlte_artifact",
    "ALTER TABLE mlte_artifact ADD COLUMN intruder int",
    "CREATE INDEX intruder ON mlte_artifact (creator)",
    "TRUNCATE mlte_artifact",
    "CREATE SCHEMA intruder",
    "CREATE TEMPORARY TABLE intruder (id int)",
    "UPDATE mlte_store_alembic_version SET version_num = 'x'",
]


def test_the_app_role_has_no_ddl_rights(roles: Roles) -> None:
    connection = connect_postgres(roles.app_url)
    try:
        for statement in DDL:
            with connection.cursor() as cursor, pytest.raises(psycopg2.Error) as caught:
                cursor.execute(statement)
            assert caught.value.pgcode == "42501", statement  # insufficient_privilege
    finally:
        connection.close()
    with pytest.raises(ErrorDatabase, match="InsufficientPrivilege"):
        migrate.downgrade(roles.app_url, "base")
    assert migrate.current(roles.owner_url) == migrate.head()


def test_a_missing_grant_is_a_clear_error_and_nothing_is_written(roles: Roles) -> None:
    run_sql(
        roles.owner_url,
        sql.SQL("REVOKE USAGE ON ALL SEQUENCES IN SCHEMA public FROM {}").format(
            sql.Identifier(roles.app)
        ),
    )
    with ArtifactRepository(roles.app_url) as repo:
        with pytest.raises(ErrorDatabase, match="permission denied for sequence"):
            repo.write_artifact("m", "v", make_artifact("a"), parents=True)
        assert repo.list_models() == []
