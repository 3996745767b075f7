"""Small builders shared by the tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg2
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from mlte_store import Artifact, ArtifactHeader, ArtifactLevel, ArtifactRepository, ArtifactType


def make_artifact(
    identifier: str,
    artifact_type: str = "evidence",
    *,
    level: str = "version",
    **body: Any,
) -> Artifact:
    """An artifact with a small body; extra keyword arguments become body fields."""
    return Artifact(
        header=ArtifactHeader(
            identifier=identifier, type=ArtifactType(artifact_type), level=ArtifactLevel(level)
        ),
        body={"artifact_type": artifact_type, **body},
    )


def ids(artifacts: list[Artifact]) -> list[str]:
    return [a.header.identifier for a in artifacts]


def same_json(a: Any, b: Any) -> bool:
    """JSON equality where numbers compare by decimal value, as docs/contract.md section 1 allows.

    PostgreSQL's JSONB keeps numbers as decimals, so 1e300 may come back as the
    integer 10**300: equal as a JSON number, unequal as a Python float.
    """
    return _numbers_as_decimals(a) == _numbers_as_decimals(b)


def _numbers_as_decimals(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _numbers_as_decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_as_decimals(v) for v in value]
    return value  # other column values (timestamps): compared as they are


def connect_postgres(url: str) -> Any:
    """A psycopg2 connection (autocommit) to the database of `url`, outside any pool."""
    parsed = make_url(url)
    connection = psycopg2.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database,
        connect_timeout=5,
    )
    connection.autocommit = True
    return connection


def count_rows(repo: ArtifactRepository, table: Any) -> int:
    """How many rows an ORM table holds, read outside the repository."""
    with repo.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())
