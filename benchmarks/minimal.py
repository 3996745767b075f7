"""The second baseline: a minimal store written directly with the driver.

The floor a hand-written store reaches, not a faithful store. One plain table
of its own, created here in its own scratch database: (version, identifier,
type, artifact JSON), primary key (version, identifier), an index on
(version, type, identifier) for the Type search in identifier order. The JSON
column holds MLTE's whole artifact (header and body; TEXT on SQLite, JSONB on
PostgreSQL), so a search path such as `body.tags` is a path in it. Every
statement is its own transaction (the driver's autocommit): a write is one
INSERT (a duplicate key raises the driver's IntegrityError), a read one SELECT
by key, a delete one DELETE ... RETURNING, a page one SELECT ordered by
identifier with LIMIT and OFFSET; Property and Tag searches compare `lower()`
of the JSON value (SQLite json_extract / json_each, PostgreSQL `#>>` /
jsonb_array_elements_text) with a LIKE pattern whose `%`, `_` and `\\` are
escaped; bound parameters only. Rows come back as dicts (MLTE's JSON). A
bulk write is one executemany / execute_values transaction.

What it leaves out, and the store does not: models and model-level artifacts
(one model; `version` is the version's identifier), input validation, full
Unicode case folding (`lower()` folds ASCII on SQLite and per the database's
locale on PostgreSQL), the type of a searched value (a number matches as its
text), revision history, digests, locks against concurrent deletes of
parents, statement retries.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import psycopg2.extras

from benchmarks.raw import connect

TABLE = "minimal_artifact"

_SCHEMA = {
    "sqlite": (
        f"CREATE TABLE {TABLE} (version TEXT NOT NULL, identifier TEXT NOT NULL, "
        "type TEXT NOT NULL, artifact TEXT NOT NULL, PRIMARY KEY (version, identifier))",
        f"CREATE INDEX {TABLE}_type ON {TABLE} (version, type, identifier)",
    ),
    "postgresql": (
        f"CREATE TABLE {TABLE} (version TEXT NOT NULL, identifier TEXT NOT NULL, "
        "type TEXT NOT NULL, artifact JSONB NOT NULL, PRIMARY KEY (version, identifier))",
        f"CREATE INDEX {TABLE}_type ON {TABLE} (version, type, identifier)",
    ),
}

#: Search conditions per dialect and kind; `%s` parameters, converted for sqlite3.
_CONDITIONS = {
    "sqlite": {
        "identifier": "identifier = %s",
        "type": "type = %s",
        "property": "lower(json_extract(artifact, %s)) LIKE %s ESCAPE '\\'",
        "tag": (
            "EXISTS (SELECT 1 FROM json_each(artifact, %s) AS e "
            "WHERE lower(e.value) LIKE %s ESCAPE '\\')"
        ),
    },
    "postgresql": {
        "identifier": "identifier = %s",
        "type": "type = %s",
        "property": "lower(artifact #>> %s) LIKE %s",
        "tag": (
            "EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN "
            "jsonb_typeof(artifact #> %s) = 'array' THEN artifact #> %s END) AS e(value) "
            "WHERE lower(e.value) LIKE %s)"
        ),
    },
}

_INSERT = f"INSERT INTO {TABLE} (version, identifier, type, artifact) VALUES (%s, %s, %s, %s)"


def like_pattern(value: str) -> str:
    """`%value%` in lower case, with LIKE's `\\`, `%` and `_` escaped (backslash escape)."""
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class MinimalStore:
    """The benchmark's operations on one plain table, through the DB-API driver."""

    def __init__(self, url: str) -> None:
        self.dialect, self._connection = connect(url, autocommit=True)

    def close(self) -> None:
        self._connection.close()

    def create_table(self) -> None:
        """Create the table and its index (once, in an empty database)."""
        for statement in _SCHEMA[self.dialect]:
            self._execute(statement, ())

    # -- helpers ---------------------------------------------------------------------

    def _execute(self, statement: str, params: Sequence[Any]) -> Any:
        if self.dialect == "sqlite":
            statement = statement.replace("%s", "?")
        cursor = self._connection.cursor()
        cursor.execute(statement, params)
        return cursor

    def _decode(self, value: Any) -> dict[str, Any]:
        # psycopg2 decodes JSONB itself; sqlite3 gives the text.
        return json.loads(value) if isinstance(value, str) else dict(value)

    def _row(self, version: str, artifact: dict[str, Any]) -> tuple[Any, ...]:
        header = artifact["header"]
        return (version, header["identifier"], header["type"], json.dumps(artifact))

    def _path(self, dotted: str) -> Any:
        keys = dotted.split(".")
        if self.dialect == "sqlite":
            return "$" + "".join(f".{json.dumps(key)}" for key in keys)
        return keys

    # -- the operations ----------------------------------------------------------------

    def write(self, version: str, artifact: dict[str, Any]) -> None:
        """One INSERT, its own transaction; IntegrityError if the identifier exists."""
        self._execute(_INSERT, self._row(version, artifact))

    def write_with_header(self, version: str, artifact: dict[str, Any], user: str | None) -> None:
        """The header stamped (timestamp: now, creator: `user`), then `write`."""
        header = {**artifact["header"], "timestamp": int(time.time()), "creator": user}
        self.write(version, {**artifact, "header": header})

    def write_many(self, version: str, artifacts: Sequence[dict[str, Any]]) -> None:
        """Batched INSERT (executemany / execute_values) in one transaction."""
        rows = [self._row(version, artifact) for artifact in artifacts]
        cursor = self._connection.cursor()
        if self.dialect == "sqlite":
            cursor.execute("BEGIN")
            cursor.executemany(_INSERT.replace("%s", "?"), rows)
            cursor.execute("COMMIT")
        else:
            with self._connection:  # psycopg2: one transaction, even in autocommit mode
                values = _INSERT[: _INSERT.index("VALUES")] + "VALUES %s"
                psycopg2.extras.execute_values(cursor, values, rows, page_size=1000)

    def read(self, version: str, artifact_id: str) -> dict[str, Any]:
        row = self._execute(
            f"SELECT artifact FROM {TABLE} WHERE version = %s AND identifier = %s",
            (version, artifact_id),
        ).fetchone()
        if row is None:
            raise LookupError(artifact_id)
        return self._decode(row[0])

    def page(self, version: str, limit: int, offset: int) -> list[dict[str, Any]]:
        rows = self._execute(
            f"SELECT artifact FROM {TABLE} WHERE version = %s "
            "ORDER BY identifier LIMIT %s OFFSET %s",
            (version, limit, offset),
        ).fetchall()
        return [self._decode(row[0]) for row in rows]

    def search(self, version: str, kind: str, value: str) -> list[dict[str, Any]]:
        """All matches of one filter, by identifier: identifier, type, property or tag.

        For property and tag, `value` is `dotted.path=needle` (a substring, any case).
        """
        params: tuple[Any, ...]
        if kind in ("property", "tag"):
            dotted, needle = value.split("=", 1)
            path, pattern = self._path(dotted), like_pattern(needle)
            twice = kind == "tag" and self.dialect == "postgresql"
            params = (path, path, pattern) if twice else (path, pattern)
        else:
            params = (value,)
        condition = _CONDITIONS[self.dialect][kind]
        rows = self._execute(
            f"SELECT artifact FROM {TABLE} WHERE version = %s AND {condition} ORDER BY identifier",
            (version, *params),
        ).fetchall()
        return [self._decode(row[0]) for row in rows]

    def delete(self, version: str, artifact_id: str) -> dict[str, Any]:
        """One DELETE ... RETURNING, its own transaction; the deleted artifact."""
        rows = self._execute(
            f"DELETE FROM {TABLE} WHERE version = %s AND identifier = %s RETURNING artifact",
            (version, artifact_id),
        ).fetchall()  # all: sqlite3 ends the statement (and its transaction) only then
        if not rows:
            raise LookupError(artifact_id)
        return self._decode(rows[0][0])
