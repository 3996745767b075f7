"""The baseline: the same operations written directly against the driver.

sqlite3 or psycopg2 with hand-written SQL, on a database whose schema was
built by the same migrations as the store's (same columns, same indexes).
Each operation does the work the store must do and nothing more: a write
computes the search document and the body's digest and serialises both JSON
columns, then runs one INSERT and COMMIT into parents whose keys it already
knows (it records no revision row: the store's history is its own extra); reads and searches
run the statements the store runs (the same plans), resolve the model and
version by identifier, and turn rows into plain dicts (MLTE's JSON) rather
than validated entities.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

import psycopg2
import psycopg2.extras
from sqlalchemy.engine import make_url

from mlte_store.casefold import encode_key, fold, search_document
from mlte_store.engine import dumps
from mlte_store.models import Artifact, body_digest

_COLUMNS = "identifier, type, timestamp, creator, version_id, body"

_PARENTS = (
    "SELECT m.id, v.id FROM mlte_model m JOIN mlte_version v ON v.model_id = m.id "
    "WHERE m.identifier = %s AND v.identifier = %s"
)

_INSERT = (
    "INSERT INTO mlte_artifact (model_id, version_id, identifier, type, timestamp, creator, "
    "body, search, revision, digest) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)

_FIND_VISIBLE = (
    "SELECT a.id, a.identifier, a.type, a.timestamp, a.creator, a.version_id, a.body "
    "FROM mlte_model m JOIN mlte_version v ON v.model_id = m.id "
    "JOIN mlte_artifact a ON a.identifier = %s AND (a.version_id = v.id OR a.model_id = m.id) "
    "WHERE m.identifier = %s AND v.identifier = %s ORDER BY a.version_id IS NULL LIMIT 1"
)

_DELETE = (
    "DELETE FROM mlte_artifact WHERE id = (SELECT a.id "
    "FROM mlte_model m JOIN mlte_version v ON v.model_id = m.id "
    "JOIN mlte_artifact a ON a.identifier = %s AND (a.version_id = v.id OR a.model_id = m.id) "
    "WHERE m.identifier = %s AND v.identifier = %s ORDER BY a.version_id IS NULL LIMIT 1) "
    f"RETURNING {_COLUMNS}"
)


def _visible_sql(condition: str, limited: bool) -> str:
    """The store's page: two index-ordered parts (own, model-level), merged."""
    cut = " LIMIT %s" if limited else ""
    parts = [
        f"SELECT * FROM (SELECT {_COLUMNS}, {rank} AS level_rank FROM mlte_artifact "
        f"WHERE {owner} = %s AND {condition} ORDER BY identifier{cut}) AS part{rank}"
        for rank, owner in ((0, "version_id"), (1, "model_id"))
    ]
    return (
        f"SELECT {_COLUMNS} FROM ({' UNION ALL '.join(parts)}) AS merged "
        f"ORDER BY identifier, level_rank" + (" LIMIT %s OFFSET %s" if limited else "")
    )


#: Filter conditions per dialect; each takes the parameters listed by `_condition_params`.
_CONDITIONS = {
    "postgresql": {
        "all": "TRUE",
        "identifier": "identifier = %s",
        "type": "type = %s",
        "property": "jsonb_typeof(search #> %s) = 'string' AND strpos(search #>> %s, %s) > 0",
        "tag": (
            "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(search #> %s) "
            "= 'array' THEN search #> %s ELSE '[]'::jsonb END) AS e(value) "
            "WHERE jsonb_typeof(e.value) = 'string' AND strpos(e.value #>> '{}', %s) > 0)"
        ),
    },
    "sqlite": {
        "all": "1",
        "identifier": "identifier = %s",
        "type": "type = %s",
        "property": "json_type(search, %s) = 'text' AND instr(json_extract(search, %s), %s) > 0",
        "tag": (
            "json_type(search, %s) = 'array' AND EXISTS (SELECT 1 FROM json_each(search, %s) "
            "AS e WHERE e.type = 'text' AND instr(e.value, %s) > 0)"
        ),
    },
}


class RawStore:
    """The benchmark's operations on one database, by hand, through the DB-API driver."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self._connection: Any
        if self.dialect == "sqlite":
            self._connection = sqlite3.connect(parsed.database or "", timeout=30)
            self._connection.execute("PRAGMA foreign_keys = ON")
            self._connection.execute("PRAGMA journal_mode = WAL")
        else:
            self._connection = psycopg2.connect(
                host=parsed.host,
                port=parsed.port or 5432,
                user=parsed.username,
                password=parsed.password,
                dbname=parsed.database,
            )

    def close(self) -> None:
        self._connection.close()

    # -- helpers ---------------------------------------------------------------------

    def _sql(self, statement: str) -> str:
        return statement.replace("%s", "?") if self.dialect == "sqlite" else statement

    def _execute(self, statement: str, params: Sequence[Any]) -> Any:
        cursor = self._connection.cursor()
        cursor.execute(self._sql(statement), params)
        return cursor

    def _path(self, dotted: str) -> Any:
        keys = [encode_key(k) for k in dotted.split(".")]
        if self.dialect == "sqlite":
            return "$" + "".join(f'."{k}"' for k in keys)
        return keys

    def _json(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def _artifact(self, row: Sequence[Any]) -> dict[str, Any]:
        identifier, type_, timestamp, creator, version_pk, body = row
        return {
            "header": {
                "identifier": identifier,
                "type": type_,
                "timestamp": timestamp,
                "creator": creator,
                "level": "model" if version_pk is None else "version",
            },
            "body": self._json(body),
        }

    def _row(self, artifact: Artifact, version_pk: int) -> tuple[Any, ...]:
        header = artifact.header
        return (
            None,
            version_pk,
            header.identifier,
            header.type.value,
            header.timestamp,
            header.creator,
            dumps(artifact.body),
            dumps(search_document(artifact.to_json())),
            1,
            body_digest(artifact.body),
        )

    def _parents(self, model_id: str, version_id: str) -> tuple[int, int]:
        row = self._execute(_PARENTS, (model_id, version_id)).fetchone()
        if row is None:
            raise LookupError(f"no version {model_id}/{version_id}")
        return int(row[0]), int(row[1])

    def _end_read(self) -> None:
        if self.dialect == "postgresql":
            self._connection.commit()

    # -- the operations ----------------------------------------------------------------

    def create_parents(self, model_id: str, version_id: str) -> tuple[int, int]:
        """Create the model (if missing) and the version; return their keys."""
        self._execute(
            "INSERT INTO mlte_model (identifier) VALUES (%s) ON CONFLICT DO NOTHING", (model_id,)
        )
        self._execute(
            "INSERT INTO mlte_version (model_id, identifier) "
            "SELECT id, %s FROM mlte_model WHERE identifier = %s",
            (version_id, model_id),
        )
        self._connection.commit()
        return self._parents(model_id, version_id)

    def write(self, version_pk: int, artifact: Artifact) -> None:
        """One INSERT and COMMIT."""
        self._execute(_INSERT, self._row(artifact, version_pk))
        self._connection.commit()

    def write_many(self, version_pk: int, artifacts: Sequence[Artifact]) -> None:
        """Batched insert (executemany / execute_values) in one transaction."""
        rows = [self._row(a, version_pk) for a in artifacts]
        cursor = self._connection.cursor()
        if self.dialect == "sqlite":
            cursor.executemany(self._sql(_INSERT), rows)
        else:
            values = _INSERT[: _INSERT.index("VALUES")] + "VALUES %s"
            psycopg2.extras.execute_values(cursor, values, rows, page_size=1000)
        self._connection.commit()

    def read(self, model_id: str, version_id: str, artifact_id: str) -> dict[str, Any]:
        row = self._execute(_FIND_VISIBLE, (artifact_id, model_id, version_id)).fetchone()
        self._end_read()
        if row is None:
            raise LookupError(artifact_id)
        return self._artifact(row[1:])

    def page(self, model_id: str, version_id: str, limit: int, offset: int) -> list[Any]:
        return self._select(model_id, version_id, "all", (), limit, offset)

    def search(self, model_id: str, version_id: str, kind: str, value: str) -> list[Any]:
        """All visible matches of one filter: identifier, type, property or tag."""
        if kind in ("property", "tag"):
            dotted, needle = value.split("=", 1)
            path = self._path(dotted)
            params: tuple[Any, ...] = (path, path, fold(needle))
        else:
            params = (value,)
        return self._select(model_id, version_id, kind, params, None, 0)

    def _select(
        self,
        model_id: str,
        version_id: str,
        kind: str,
        condition_params: tuple[Any, ...],
        limit: int | None,
        offset: int,
    ) -> list[Any]:
        model_pk, version_pk = self._parents(model_id, version_id)
        condition = _CONDITIONS[self.dialect][kind]
        statement = _visible_sql(condition, limit is not None)
        params: list[Any] = []
        for owner_pk in (version_pk, model_pk):
            params += [owner_pk, *condition_params]
            if limit is not None:
                params.append(offset + limit)
        if limit is not None:
            params += [limit, offset]
        rows = self._execute(statement, params).fetchall()
        self._end_read()
        return [self._artifact(row) for row in rows]

    def delete(self, model_id: str, version_id: str, artifact_id: str) -> dict[str, Any]:
        row = self._execute(_DELETE, (artifact_id, model_id, version_id)).fetchone()
        self._connection.commit()
        if row is None:
            raise LookupError(artifact_id)
        return self._artifact(row)
