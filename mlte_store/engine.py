"""Engines from URLs, with the per-backend settings the store relies on.

SQLite: foreign keys on, WAL journal, a busy timeout, and transactions that
the store begins itself (`BEGIN IMMEDIATE` for writes) so that concurrent
writers wait for each other instead of failing with "database is locked".
PostgreSQL: the psycopg2 driver unless the URL names another; a pooled
connection that the server has closed (killed backend, restart) is replaced at
checkout without a round trip (`_drop_closed_connections`).

A connection marked with SINGLE_STATEMENT_OPTION runs one statement without an
explicit transaction (a single statement is atomic on its own): on SQLite the
begin listener sends no BEGIN, on PostgreSQL the driver runs in autocommit mode.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import weakref
from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import Engine, event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DisconnectionError

from mlte_store.bodies import loads

#: Used when no URL is given and MLTE_STORE_URL is not set.
DEFAULT_URL = "sqlite:///mlte_store.db"

#: Environment variable naming the store's database URL.
URL_ENV_VAR = "MLTE_STORE_URL"

#: How long a SQLite writer waits for another one to finish, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000

#: Execution option marking a connection whose transaction will write.
WRITE_OPTION = "mlte_store_write"

#: Execution option marking a connection that runs one statement only (no BEGIN needed).
SINGLE_STATEMENT_OPTION = "mlte_store_single_statement"


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
    """Serialise JSON for storage: unicode kept as is, no insignificant whitespace.

    orjson, or Python's json for what orjson cannot write (integers over 64 bits,
    non-text keys; NaN and Infinity are refused there). The store only writes
    validated values, which hold no NaN or Infinity (orjson would write null).
    A float may be written differently from json (1e-7, not 1e-07): the same number.
    """
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:
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
    kwargs.setdefault("json_deserializer", loads)
    if resolved.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        engine = sa_create_engine(resolved, **kwargs)
        configure_sqlite(engine, foreign_keys=sqlite_foreign_keys)
        return engine
    engine = sa_create_engine(resolved, **kwargs)
    if resolved.get_backend_name() == "postgresql":
        configure_postgresql(engine)
    return engine


#: Connection info key: a one-item list counting the statements completed on the
#: connection since the repository last reset it (see `configure_postgresql`).
STATEMENTS_DONE = "mlte_store_statements_done"

_configured_postgresql: weakref.WeakSet[Engine] = weakref.WeakSet()


def configure_postgresql(engine: Engine) -> None:
    """Install the checkout check and the statement count the store relies on. Idempotent.

    The count lets the repository tell a connection lost before its first
    statement completed (nothing can have been written: the call is safely
    retried once) from one lost later (the caller must decide).
    """
    if engine in _configured_postgresql:
        return
    _configured_postgresql.add(engine)
    event.listen(engine, "checkout", _drop_closed_connections)
    event.listen(engine, "after_cursor_execute", _count_statement)
    event.listen(engine, "begin", _autocommit_single_statement)
    event.listen(engine, "checkin", _end_autocommit)


def _autocommit_single_statement(connection: Connection) -> None:
    """psycopg2 autocommit for a connection marked SINGLE_STATEMENT_OPTION: no BEGIN/COMMIT.

    The driver's own switch, not SQLAlchemy's AUTOCOMMIT isolation level: resetting
    that level on checkin costs a `SET default_transaction_isolation` round trip,
    toggling `autocommit` costs none.
    """
    if connection.get_execution_options().get(SINGLE_STATEMENT_OPTION, False):
        connection.connection.dbapi_connection.autocommit = True  # type: ignore[union-attr]


def _end_autocommit(dbapi_connection: Any, _record: Any) -> None:
    """Back to transactions before the connection is reused (after the pool's rollback)."""
    if dbapi_connection is None or getattr(dbapi_connection, "closed", False):
        return
    if getattr(dbapi_connection, "autocommit", False):
        dbapi_connection.autocommit = False


def _count_statement(connection: Connection, *_: Any) -> None:
    done = connection.info.get(STATEMENTS_DONE)
    if done is not None:
        done[0] += 1


def _drop_closed_connections(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection the server has closed; the pool then opens a new one.

    An idle connection's socket has nothing to read unless the server ended
    the session: a terminated backend or a shutdown sends its FATAL message
    and closes the socket. Polling the socket costs no round trip, unlike
    `pool_pre_ping`'s `SELECT 1`. (A connection that only looks readable, e.g.
    after an unsolicited server notice, is replaced too: harmless.)
    """
    if getattr(dbapi_connection, "closed", 0):
        raise DisconnectionError("connection closed")
    try:
        fileno = dbapi_connection.fileno()
    except Exception as exc:  # a closed or broken connection has no socket
        raise DisconnectionError("connection has no socket") from exc
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fileno, select.POLLIN | select.POLLERR | select.POLLHUP)
        readable = bool(poller.poll(0))
    else:  # Windows
        readable = bool(select.select([fileno], [], [fileno], 0)[0])
    if readable:
        raise DisconnectionError("the server closed the connection")


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

    event.listen(engine, "after_cursor_execute", _count_statement)
    event.listen(engine, "begin", _begin_sqlite)


def _begin_sqlite(connection: Connection) -> None:
    """Send SQLite's BEGIN: IMMEDIATE for a write, none for a single statement.

    A write takes the write lock up front: a deferred transaction that later
    upgrades to a writer can fail at once with "database is locked". One
    statement in autocommit mode is atomic by itself.
    """
    options = connection.get_execution_options()
    if options.get(SINGLE_STATEMENT_OPTION, False):
        return
    send_driver_sql(connection, "BEGIN IMMEDIATE" if options.get(WRITE_OPTION) else "BEGIN")


def send_driver_sql(connection: Connection, sql: str) -> None:
    """Run a statement without parameters or rows on the driver's cursor, through
    SQLAlchemy's raw path (`Connection._cursor_execute`: the cursor events fire, driver
    errors are translated as `exec_driver_sql` translates them) without its execution
    context and result."""
    with driver_cursor(connection) as cursor:
        connection._cursor_execute(cursor, sql, ())


@contextlib.contextmanager
def driver_cursor(connection: Connection) -> Iterator[Any]:
    """A cursor of the connection's pooled driver connection, closed at the end (a lost
    connection's cursor may refuse to close; the error that matters is already raised)."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        yield cursor
    finally:
        with contextlib.suppress(Exception):
            cursor.close()
