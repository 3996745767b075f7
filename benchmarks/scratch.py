"""Scratch databases for one benchmark run: created, migrated, and always removed."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import make_url

from mlte_store import migrate

#: A PostgreSQL account that may create databases.
ADMIN_URL = os.environ.get(
    "MLTE_STORE_BENCH_POSTGRES_URL",
    os.environ.get("MLTE_STORE_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/postgres"),
)


def postgres_connection(url: str, *, autocommit: bool) -> psycopg2.extensions.connection:
    """A psycopg2 connection to the database of a PostgreSQL URL, outside any pool."""
    parsed = make_url(url)
    connection = psycopg2.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database,
        connect_timeout=5,
    )
    connection.autocommit = autocommit
    return connection


def _admin() -> psycopg2.extensions.connection:
    return postgres_connection(ADMIN_URL, autocommit=True)


def postgres_version() -> str:
    connection = _admin()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return str(cursor.fetchone()[0])
    finally:
        connection.close()


@contextmanager
def scratch_urls(backend: str, count: int, *, upgrade: bool = True) -> Iterator[list[str]]:
    """`count` new databases on the backend, migrated to head if `upgrade` (else empty; on
    SQLite, not yet created); dropped on exit."""
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="mlte_store_bench_")
        try:
            urls = [f"sqlite:///{folder}/db{i}.sqlite" for i in range(count)]
            for url in urls if upgrade else ():
                migrate.upgrade(url)
            yield urls
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    names = [f"mlte_store_bench_{uuid.uuid4().hex[:12]}" for _ in range(count)]
    connection = _admin()
    try:
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        admin = make_url(ADMIN_URL)
        urls = [admin.set(database=name).render_as_string(hide_password=False) for name in names]
        for url in urls if upgrade else ():
            migrate.upgrade(url)
        yield urls
    finally:
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
        connection.close()
