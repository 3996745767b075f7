"""Engines from URLs, with the per-backend settings the store relies on.

SQLite: foreign keys on, WAL journal, a busy timeout, and transactions that
the store begins itself (`BEGIN IMMEDIATE` for writes) so that concurrent
writers wait for each other instead of failing with "database is locked".
PostgreSQL: the psycopg2 driver unless the URL names another, pool pre-ping.
"""

from __future__ import annotations

import json
import os
import weakref
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import URL, Connection, make_url

#: Used when no URL is given and MLTE_STORE_URL is not set.
DEFAULT_URL = "sqlite:///mlte_store.db"

#: Environment variable naming the store's database URL.
URL_ENV_VAR = "MLTE_STORE_URL"

#: How long a SQLite writer waits for another one to finish, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000

#: Execution option marking a connection whose transaction will write.
WRITE_OPTION = "mlte_store_write"


def resolve_url(url: str | URL | None = None) -> URL:
    """The URL to use: the argument, else $MLTE_STORE_URL, else DEFAULT_URL.

    A bare `postgresql://` URL gets the psycopg2 driver this package depends
    on, whatever SQLAlchemy's default for that scheme is.
    """
    if url is None:
        url = os.environ.get(URL_ENV_VAR) or DEFAULT_URL
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


def dumps(value: Any) -> str:
    """Serialise JSON for storage: unicode kept as is, NaN and Infinity refused."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def create_engine(
    url: str | URL | None = None, *, sqlite_foreign_keys: bool = True, **kwargs: Any
) -> Engine:
    """Create an engine configured for the store.

    `sqlite_foreign_keys=False` is for migrations only: SQLite's batch mode
    recreates tables, which with foreign keys on would cascade deletes.
    """
    resolved = resolve_url(url)
    kwargs.setdefault("json_serializer", dumps)
    if resolved.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        engine = sa_create_engine(resolved, **kwargs)
        configure_sqlite(engine, foreign_keys=sqlite_foreign_keys)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa_create_engine(resolved, **kwargs)


_configured: weakref.WeakSet[Engine] = weakref.WeakSet()


def configure_sqlite(engine: Engine, *, foreign_keys: bool = True) -> None:
    """Install the connection settings and explicit BEGIN the store needs on SQLite.

    Idempotent. On an engine made elsewhere, connections already in its pool
    keep their old settings: pass a fresh engine, or use `create_engine` here.
    """
    if engine in _configured:
        return
    _configured.add(engine)
    in_memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event, not pysqlite, decide when transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS:d}")
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A write takes the write lock up front: a deferred transaction that
        # later upgrades to a writer can fail at once with "database is locked".
        writes = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
