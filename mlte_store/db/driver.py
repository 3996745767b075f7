"""Hot statements compiled once per engine and run on the pooled driver connection.

SQLAlchemy stays the builder and the compiler: a statement is compiled once
with the engine's dialect, keeping its SQL string, its bind parameters in
order with their bind processors (JSON and DateTime serialised as SQLAlchemy
would) and its columns' result processors (SQLite's JSON text decoded with the
dialect's deserializer, its DateTime text parsed). A call then binds its values
and runs the string on a driver cursor through `Connection._cursor_execute`,
SQLAlchemy's own path for raw executions, which fires the cursor events (the
PostgreSQL statement count, benchmark counters) and translates driver errors
exactly as `Connection.execute` does (DBAPIError subclasses, the connection
invalidated on a disconnect). What it skips is the per-call execution context,
compiled-cache lookup and result object.

A statement the compiled form cannot run as is (expanding or literal-execute
parameters, Python-side column defaults) runs through `Connection.execute`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler

from mlte_store.engine import driver_cursor

#: Most compiled statements kept per engine (filter shapes add to the fixed hot set).
COMPILED_CACHE_SIZE = 512

_Processor = Callable[[Any], Any]


class Compiled:
    """One statement compiled for one dialect: SQL string, parameter order, processors."""

    __slots__ = ("_binders", "_defaults", "_names", "_positional", "_readers", "sql")

    def __init__(self, compiled: SQLCompiler, dialect: Dialect) -> None:
        self.sql = compiled.string
        self._positional = bool(compiled.positional)
        binds = compiled.binds
        self._names: tuple[str, ...] = tuple(
            compiled.positiontup if compiled.positional else binds  # type: ignore[arg-type]
        )
        #: Values the statement carries itself (e.g. `literal(...)`), by name.
        self._defaults = {
            name: bind.effective_value for name, bind in binds.items() if not bind.required
        }
        self._binders: tuple[tuple[str, _Processor], ...] = tuple(
            (name, processor)
            for name, processor in compiled._bind_processors.items()
            if callable(processor) and name in binds
        )
        readers = [
            entry.type._cached_result_processor(dialect, None) for entry in compiled._result_columns
        ]
        self._readers: tuple[tuple[int, _Processor], ...] | None = (
            tuple((i, reader) for i, reader in enumerate(readers) if reader is not None) or None
        )

    def parameters(self, values: Mapping[str, Any]) -> Any:
        """The driver's parameters for these values: a tuple (qmark) or a dict (pyformat)."""
        bound = {**self._defaults, **values} if self._defaults else dict(values)
        for name, processor in self._binders:
            value = bound.get(name)
            if value is not None:
                bound[name] = processor(value)
        if self._positional:
            return tuple([bound[name] for name in self._names])
        return bound

    def rows(self, fetched: list[Any]) -> list[tuple[Any, ...]]:
        """Driver rows with the columns' result processors applied."""
        readers = self._readers
        if readers is None:
            return fetched
        processed = []
        for row in fetched:
            values = list(row)
            for i, reader in readers:
                values[i] = reader(values[i])
            processed.append(tuple(values))
        return processed


def compile_for(statement: Executable, dialect: Dialect) -> Compiled | None:
    """The compiled form of a statement, or None if it must run through `Connection.execute`."""
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    if not isinstance(compiled, SQLCompiler):
        return None
    if (
        compiled.post_compile_params
        or compiled.literal_execute_params
        or compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.escaped_bind_names
        or not all(callable(p) for p in compiled._bind_processors.values())
    ):
        return None
    return Compiled(compiled, dialect)


class CompiledCache:
    """An engine's compiled statements, by statement object; emptied when full (bounded)."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._compiled: dict[Executable, Compiled | None] = {}

    def get(self, statement: Executable) -> Compiled | None:
        try:
            return self._compiled[statement]
        except KeyError:
            if len(self._compiled) >= COMPILED_CACHE_SIZE:
                self._compiled.clear()
            found = self._compiled[statement] = compile_for(statement, self._dialect)
            return found


def run(
    connection: Connection,
    cache: CompiledCache,
    statement: Executable,
    values: Mapping[str, Any],
) -> list[Any]:
    """The rows of one execution of a cached statement (empty if it returns none)."""
    compiled = cache.get(statement)
    if compiled is None:
        result = connection.execute(statement, dict(values))
        return list(result) if result.returns_rows else []
    parameters = compiled.parameters(values)
    with driver_cursor(connection) as cursor:
        connection._cursor_execute(cursor, compiled.sql, parameters)
        try:  # SQLite may run part of the statement while rows are fetched
            fetched = cursor.fetchall() if cursor.description is not None else []
        except BaseException as exc:
            connection._handle_dbapi_exception(exc, compiled.sql, parameters, cursor, None)
    return compiled.rows(fetched)
