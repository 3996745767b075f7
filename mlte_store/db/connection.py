"""The unit of work: one engine per repository, one transaction per public call.

`Database.transaction()` is the only place a transaction is opened or
committed, and the only place driver errors become the library's errors. It
hands out a `Tx`: the open connection with what the operations need to know
about it. Operations (`parents`, `artifacts`, `revisions`) take the `Tx` and
never open, commit or roll back anything.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine, Executable
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from mlte_store.db import driver
from mlte_store.db.statements import ShapeCache
from mlte_store.engine import (
    SINGLE_STATEMENT_OPTION,
    STATEMENTS_DONE,
    WRITE_OPTION,
    configure_postgresql,
    configure_sqlite,
    create_engine,
)
from mlte_store.errors import ErrorDatabase, ErrorInvalidInput, ErrorStore


class LostBeforeAnyStatement(ErrorDatabase):
    """The connection was lost before a statement of the call completed: nothing was sent
    successfully, so nothing can have been written and the call may run again."""


_P = ParamSpec("_P")
_R = TypeVar("_R")


def retried(call: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run a call again, once, if its connection was lost before its first statement.

    This replaces the pool's pre-ping round trip: a pooled connection the
    server closed is usually dropped at checkout (`engine`); one that dies
    unnoticed fails at its first statement and the call runs again on a
    fresh connection. A connection lost later is the caller's ErrorDatabase.
    """

    @functools.wraps(call)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return call(*args, **kwargs)
        except LostBeforeAnyStatement:
            return call(*args, **kwargs)

    return run


@dataclass(frozen=True, slots=True)
class Tx:
    """An open transaction and what the operations need to know about it."""

    connection: Connection
    #: "sqlite" or "postgresql".
    dialect: str
    #: Whether writes and deletes record revisions.
    keep_history: bool
    #: The repository's filter-shaped statements.
    shapes: ShapeCache
    #: The engine's statements compiled for its dialect (`rows`, `first`).
    compiled: driver.CompiledCache

    def rows(self, statement: Executable, values: Mapping[str, Any]) -> list[Any]:
        """Run a cached (hot-path) statement on the driver connection; its rows as tuples."""
        return driver.run(self.connection, self.compiled, statement, values)

    def first(self, statement: Executable, values: Mapping[str, Any]) -> Any:
        """The first row of `rows`, or None."""
        found = self.rows(statement, values)
        return found[0] if found else None


class Database:
    """The engine of one repository: owned (created from a URL, disposed by `close`) or shared."""

    def __init__(self, url_or_engine: str | URL | Engine | None, *, keep_history: bool) -> None:
        self.keep_history = keep_history
        if isinstance(url_or_engine, Engine):
            self.engine = url_or_engine
            self._owns_engine = False
            if url_or_engine.dialect.name == "sqlite":
                configure_sqlite(url_or_engine)
            elif url_or_engine.dialect.name == "postgresql":
                configure_postgresql(url_or_engine)
        else:
            self.engine = create_engine(url_or_engine)
            self._owns_engine = True
        self.dialect = self.engine.dialect.name
        #: The URL as errors show it (no password).
        self.url_shown = self.engine.url.render_as_string(hide_password=True)
        self._shapes = ShapeCache()
        self._compiled = driver.CompiledCache(self.engine.dialect)

    def close(self) -> None:
        """Dispose the engine if it was created here; a shared engine is left alone."""
        if self._owns_engine:
            self.engine.dispose()

    @contextmanager
    def transaction(self, *, write: bool, single: bool = False) -> Iterator[Tx]:
        """One transaction: committed if the block succeeds, rolled back otherwise.

        `write` marks a transaction that writes (SQLite: BEGIN IMMEDIATE).
        `single` is for a read whose answer is one statement: a statement is
        atomic by itself, so no BEGIN/COMMIT is sent for it (SQLite: no
        explicit BEGIN; PostgreSQL: the driver's autocommit). Statements the
        block runs after it (only to say what is missing) each see the latest data.

        Errors that escape the block, the one mapping of driver errors:

        ======================================  =========================================
        escaping error                          raised
        ======================================  =========================================
        ErrorStore (an operation's own)         unchanged
        IntegrityError                          ErrorInvalidInput ("the database refused
                                                the data"); an operation that owns the
                                                table translates a unique violation it
                                                expects into ErrorAlreadyExists itself
        DBAPIError, connection lost before any  LostBeforeAnyStatement (`retried` runs
        statement completed                     the call again once)
        DBAPIError, connection lost later       ErrorDatabase ("... was lost")
        other DBAPIError                        ErrorDatabase ("... failed")
        other SQLAlchemyError                   ErrorDatabase
        ======================================  =========================================

        The driver's error is always kept as `__cause__`.
        """
        done = [0]
        try:
            with self.engine.connect() as connection:
                connection.info[STATEMENTS_DONE] = done
                if write:
                    connection.execution_options(**{WRITE_OPTION: True})
                elif single:
                    connection.execution_options(**{SINGLE_STATEMENT_OPTION: True})
                with connection.begin():
                    yield Tx(
                        connection, self.dialect, self.keep_history, self._shapes, self._compiled
                    )
        except ErrorStore:
            raise
        except IntegrityError as exc:
            raise ErrorInvalidInput(f"the database refused the data: {exc.orig}") from exc
        except DBAPIError as exc:
            if exc.connection_invalidated and done[0] == 0:
                raise LostBeforeAnyStatement(
                    f"the connection to {self.url_shown} was lost before any statement "
                    f"completed; nothing was written, retry the call ({exc.orig})"
                ) from exc
            if exc.connection_invalidated:
                raise ErrorDatabase(
                    f"the connection to {self.url_shown} was lost; nothing was written, "
                    f"retry the call ({exc.orig})"
                ) from exc
            raise ErrorDatabase(
                f"the database {self.url_shown} failed; nothing was written ({exc.orig})"
            ) from exc
        except SQLAlchemyError as exc:
            raise ErrorDatabase(f"database error on {self.url_shown}: {exc}") from exc


_Facade = TypeVar("_Facade", bound="OwnsDatabase")


class OwnsDatabase:
    """The lifecycle every facade shares (ArtifactRepository, UserStore): `close()`
    disposes an engine the facade created and leaves a shared one alone; usable as a
    context manager."""

    _db: Database

    def close(self) -> None:
        """Release the engine if this object created it; a shared engine is left alone."""
        self._db.close()

    def __enter__(self: _Facade) -> _Facade:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        """The engine this object runs on."""
        return self._db.engine
