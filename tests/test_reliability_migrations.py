"""Migration safety on populated databases, generic over the packaged revisions.

`database_at` builds a database at any revision R and fills it through the tables
as they exist at R (reflected, not the ORM's current ones); the tests then upgrade
to head and check that every row is kept and readable through the repository. Each
new revision is covered automatically: it is a new R, and every older R now
upgrades through it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import Connection, MetaData, Table, insert, select

from mlte_store import (
    ArtifactRepository,
    ArtifactType,
    ErrorSchema,
    PropertyFilter,
    Query,
    TagFilter,
    UserStore,
    migrate,
)
from mlte_store.casefold import UNICODE_VERSION, search_document
from mlte_store.engine import create_engine
from mlte_store.models import body_digest
from mlte_store.tables import VERSION_TABLE

from .helpers import ids, make_artifact, same_json
from .test_migrations import schema_differences, table_names

REVISIONS = [revision for revision, _, _ in migrate.history()]

RECORDED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)

MODELS = {"m": ["v1", "v2"], "mø 🧪 'quoted'": ["1.0", "ver/sion"]}


@dataclass(frozen=True)
class Stored:
    model: str
    version: str
    identifier: str
    level: str
    json: dict[str, Any]


def sample_artifacts() -> list[Stored]:
    """Artifacts of every type at both levels in every model, with unicode bodies."""
    stored = []
    for model, versions in MODELS.items():
        for artifact_type in ArtifactType:
            for level, version in (("model", versions[0]), ("version", versions[1])):
                identifier = f"{artifact_type.value}.{level} ✓"
                artifact = make_artifact(
                    identifier,
                    artifact_type.value,
                    level=level,
                    note=f"Größe {model} {identifier}",
                    tags=["Alpha", level],
                    nested={"list": [1, 2.5, None, True, {"deep": "é"}]},
                )
                artifact.header.timestamp, artifact.header.creator = 1_700_000_000, "ana"
                stored.append(Stored(model, version, identifier, level, artifact.to_json()))
    return stored


def fill_through_tables(url: str) -> None:
    """Insert models, versions and artifacts through the tables reflected at the revision."""
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        model, version, artifact = (
            metadata.tables[name] for name in ("mlte_model", "mlte_version", "mlte_artifact")
        )
        with engine.begin() as connection:
            version_pks: dict[tuple[str, str], tuple[int, int]] = {}
            for model_id, versions in MODELS.items():
                model_pk = connection.execute(
                    insert(model).values(identifier=model_id).returning(model.c.id)
                ).scalar_one()
                for version_id in versions:
                    version_pks[model_id, version_id] = (
                        model_pk,
                        connection.execute(
                            insert(version)
                            .values(model_id=model_pk, identifier=version_id)
                            .returning(version.c.id)
                        ).scalar_one(),
                    )
            revisions = metadata.tables.get("mlte_artifact_revision")
            for item in sample_artifacts():
                model_pk, version_pk = version_pks[item.model, item.version]
                header = item.json["header"]
                # Every column any revision has had; each table takes those it has at R.
                values = {
                    "model_id": model_pk if item.level == "model" else None,
                    "version_id": version_pk if item.level == "version" else None,
                    "identifier": item.identifier,
                    "type": header["type"],
                    "timestamp": header["timestamp"],
                    "creator": header["creator"],
                    "body": item.json["body"],
                    "search": search_document(item.json),
                    "revision": 1,
                    "digest": body_digest(item.json["body"]),
                    "deleted": False,
                    "recorded_at": RECORDED_AT,
                    "folded_with": UNICODE_VERSION,
                }
                for table in (artifact, revisions):
                    if table is not None:
                        connection.execute(
                            insert(table).values({k: v for k, v in values.items() if k in table.c})
                        )
            fill_users(connection, metadata, version_pks)
    finally:
        engine.dispose()


def fill_users(
    connection: Connection, metadata: MetaData, version_pks: dict[tuple[str, str], tuple[int, int]]
) -> None:
    """Users, grants and the server secret, at the revisions that have them."""
    if "mlte_user" not in metadata.tables:
        return
    user, grant, secret = (
        metadata.tables[name] for name in ("mlte_user", "mlte_grant", "mlte_server_secret")
    )
    model_pks = {model_id: pks[0] for (model_id, _), pks in version_pks.items()}
    for name, role in (("ana", "admin"), ("bø.b", "user")):
        user_pk = connection.execute(
            insert(user)
            .values(
                name=name,
                password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
                role=role,
                disabled=role == "user",
                token_generation=3,
                created_at=RECORDED_AT,
            )
            .returning(user.c.id)
        ).scalar_one()
        for model_id, model_pk in model_pks.items():
            if model_id == "m" or role == "user":
                connection.execute(
                    insert(grant).values(user_id=user_pk, model_id=model_pk, permission="write")
                )
    connection.execute(insert(secret).values(id=1, secret="k" * 64, created_at=RECORDED_AT))


def every_row(url: str) -> dict[str, dict[Any, dict[str, Any]]]:
    """Every row of every table but Alembic's, keyed by table and primary key."""
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        rows: dict[str, dict[Any, dict[str, Any]]] = {}
        with engine.connect() as connection:
            for name, table in metadata.tables.items():
                if name == VERSION_TABLE:
                    continue
                key = [column.name for column in table.primary_key.columns]
                rows[name] = {
                    tuple(row[k] for k in key): dict(row)
                    for row in connection.execute(select(table)).mappings()
                }
        return rows
    finally:
        engine.dispose()


@pytest.fixture
def database_at(empty_url_factory: Callable[[], str]) -> Callable[[str], str]:
    """Makes a database at a given revision, filled through that revision's tables."""

    def make(revision: str) -> str:
        url = empty_url_factory()
        migrate.upgrade(url, revision)
        assert migrate.current(url) == revision
        fill_through_tables(url)
        return url

    return make


@pytest.mark.parametrize("revision", REVISIONS)
def test_upgrading_from_any_revision_keeps_every_row(
    database_at: Callable[[str], str], revision: str
) -> None:
    url = database_at(revision)
    before = every_row(url)
    assert len(before["mlte_model"]) == len(MODELS)
    assert len(before["mlte_artifact"]) == len(sample_artifacts())
    if revision != migrate.head():
        with pytest.raises(ErrorSchema, match=f"{revision}.*behind.*{migrate.head()}"):
            ArtifactRepository(url)
    migrate.upgrade(url)
    after = every_row(url)
    for table, rows in before.items():
        assert table in after, f"table {table} was lost"
        for key, row in rows.items():
            kept = after[table].get(key)
            assert kept is not None, f"{table} row {key} was lost"
            assert same_json({c: kept[c] for c in row}, row), f"{table} row {key} changed"
    with ArtifactRepository(url) as repo:
        for item in sample_artifacts():
            got = repo.read_artifact(item.model, item.version, item.identifier)
            assert same_json(got.to_json(), item.json)
        note = Query(filter=PropertyFilter(name="body.note", property="GRÖSSE M "))
        assert len(repo.search_artifacts("m", "v2", note)) == 10
        tag = Query(filter=TagFilter(name="body.tags", tag="MODEL"))
        assert len(repo.search_artifacts("m", "v1", tag)) == 5
        repo.write_artifact("m", "v1", make_artifact("after upgrade"))  # sequences intact
        assert "after upgrade" in ids(repo.read_artifacts("m", "v1"))


def test_populated_database_down_to_base_and_up_again_step_by_step(
    empty_url_factory: Callable[[], str],
) -> None:
    url = empty_url_factory()
    migrate.upgrade(url)
    with ArtifactRepository(url) as repo:
        for item in sample_artifacts():
            repo.write_artifact(item.model, item.version, item.json, parents=True)
        assert len(repo.read_artifacts("m", "v2")) == 10
    for revision, down_revision, _ in reversed(migrate.history()):
        assert migrate.current(url) == revision
        migrate.downgrade(url, down_revision or "base")
        assert migrate.current(url) == down_revision
        with pytest.raises(ErrorSchema):
            ArtifactRepository(url)
    assert table_names(url) <= {VERSION_TABLE}
    for revision in REVISIONS:
        migrate.upgrade(url, revision)
        assert migrate.current(url) == revision
    assert schema_differences(url) == []
    with ArtifactRepository(url) as repo:
        assert repo.list_models() == []
        repo.write_artifact("m", "v", make_artifact("a"), parents=True)


def test_a_database_ahead_of_the_code_names_both_revisions(
    database_at: Callable[[str], str],
) -> None:
    url = database_at(migrate.head())
    engine = create_engine(url)
    try:
        version_table = Table(VERSION_TABLE, MetaData(), autoload_with=engine)
        with engine.begin() as connection:
            connection.execute(version_table.update().values(version_num="9999_from_the_future"))
    finally:
        engine.dispose()
    with pytest.raises(ErrorSchema) as caught:
        ArtifactRepository(url)
    message = str(caught.value)
    assert "9999_from_the_future" in message and migrate.head() in message
    assert "newer mlte_store" in message


def test_downgrading_below_the_users_revision_keeps_every_artifact(
    database_at: Callable[[str], str],
) -> None:
    url = database_at("0003")
    before = every_row(url)
    assert len(before["mlte_user"]) == 2 and len(before["mlte_grant"]) == 3
    migrate.downgrade(url, "0002")
    after = every_row(url)
    assert {"mlte_user", "mlte_grant", "mlte_server_secret"}.isdisjoint(after)
    for table in ("mlte_model", "mlte_version", "mlte_artifact", "mlte_artifact_revision"):
        assert after[table].keys() == before[table].keys(), table
    migrate.upgrade(url)
    with ArtifactRepository(url) as repo, UserStore(url) as users:
        assert users.list_users() == []
        for item in sample_artifacts():
            got = repo.read_artifact(item.model, item.version, item.identifier)
            assert same_json(got.to_json(), item.json)
