"""The baseline: the same operations written directly against the driver.

sqlite3 or psycopg2 with hand-written SQL, on a database whose schema was
built by the same migrations as the store's (same columns, same indexes).
Each operation does the work the store must do and nothing more. The store
keeps revision history (its default), so does the baseline: a write computes
the search document and the body's digest and serialises both JSON columns,
then runs the artifact INSERT and the revision INSERT (numbered max + 1 from
the identifier's history, as the store numbers them) and one COMMIT, into
parents whose keys it already knows; a delete runs the DELETE and the
deletion marker's INSERT in one transaction; the batched insert writes the
revision rows too. With `history=False` it writes no revision rows (the
baseline of the store's history-off figures). Reads and searches run the
statements the store runs (the same plans), resolve the model and version by
identifier, and turn rows into plain dicts (MLTE's JSON) rather than
validated entities.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import psycopg2
import psycopg2.extras
from sqlalchemy.engine import make_url

from benchmarks.scratch import postgres_connection
from mlte_store.casefold import UNICODE_VERSION, encode_key, fold, search_document
from mlte_store.engine import dumps
from mlte_store.models import Artifact, body_digest

_COLUMNS = "identifier, type, timestamp, creator, version_id, body"

_PARENTS = (
    "SELECT m.id, v.id FROM mlte_model m JOIN mlte_version v ON v.model_id = m.id "
    "WHERE m.identifier = %s AND v.identifier = %s"
)

_INSERT = (
    "INSERT INTO mlte_artifact (model_id, version_id, identifier, type, timestamp, creator, "
    "body, search, revision, digest, folded_with) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)

_REVISION_COLUMNS = (
    "model_id, version_id, identifier, type, timestamp, creator, body, digest, deleted, "
    "recorded_at, revision"
)

_INSERT_REVISION = (
    f"INSERT INTO mlte_artifact_revision ({_REVISION_COLUMNS}) "
    "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, COALESCE(MAX(revision), 0) + 1 "
    "FROM mlte_artifact_revision WHERE {owner} = %s AND identifier = %s"
)

_INSERT_FIRST_REVISIONS = (
    f"INSERT INTO mlte_artifact_revision ({_REVISION_COLUMNS}) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
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
    f"RETURNING {_COLUMNS}, model_id"
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


def connect(url: str, *, autocommit: bool = False) -> tuple[str, Any]:
    """(dialect name, DB-API connection) for a store URL: sqlite3 in WAL mode, or psycopg2.

    With `autocommit`, every statement is its own transaction (sqlite3's
    `isolation_level=None`, psycopg2's `autocommit`): no BEGIN, no COMMIT.
    """
    parsed = make_url(url)
    dialect = parsed.get_backend_name()
    connection: Any
    if dialect == "sqlite":
        connection = sqlite3.connect(
            parsed.database or "", timeout=30, isolation_level=None if autocommit else "DEFERRED"
        )
        connection.execute("PRAGMA journal_mode = WAL")
    else:
        connection = postgres_connection(url, autocommit=autocommit)
    return dialect, connection


class RawStore:
    """The benchmark's operations on one database, by hand, through the DB-API driver."""

    def __init__(self, url: str, *, history: bool = True) -> None:
        self.history = history
        self.dialect, self._connection = connect(url)
        if self.dialect == "sqlite":
            self._connection.execute("PRAGMA foreign_keys = ON")

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
            UNICODE_VERSION,
        )

    def _now(self) -> Any:
        now = datetime.now(timezone.utc)
        # SQLAlchemy's SQLite DateTime is text; PostgreSQL takes the datetime.
        return now.strftime("%Y-%m-%d %H:%M:%S.%f") if self.dialect == "sqlite" else now

    def _revision(self, row: tuple[Any, ...], deleted: bool = False) -> tuple[Any, ...]:
        """A revision row (without its number) from an artifact row of `_row`."""
        model_pk, version_pk, identifier, type_, timestamp, creator, body, _, _, digest = row[:10]
        if deleted:
            body = digest = None
        return (
            model_pk,
            version_pk,
            identifier,
            type_,
            timestamp,
            creator,
            body,
            digest,
            deleted,
            self._now(),
        )

    def _record(self, row: tuple[Any, ...], deleted: bool = False) -> None:
        """The revision INSERT of the store: numbered from the identifier's history."""
        owner = "version_id" if row[1] is not None else "model_id"
        owner_pk = row[1] if row[1] is not None else row[0]
        statement = _INSERT_REVISION.format(owner=owner)
        self._execute(statement, (*self._revision(row, deleted), owner_pk, row[2]))

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
        """The artifact INSERT and (with history) the revision INSERT, then COMMIT."""
        row = self._row(artifact, version_pk)
        self._execute(_INSERT, row)
        if self.history:
            self._record(row)
        self._connection.commit()

    def write_with_header(self, version_pk: int, artifact: Artifact, user: str | None) -> None:
        """The header stamped (timestamp: now, creator: `user`) as the store does, then `write`."""
        update = {"timestamp": int(time.time()), "creator": user}
        header = artifact.header.model_copy(update=update)
        self.write(version_pk, Artifact.model_construct(header=header, body=artifact.body))

    def write_many(self, version_pk: int, artifacts: Sequence[Artifact]) -> None:
        """Batched insert (executemany / execute_values) in one transaction; revisions too."""
        rows = [self._row(a, version_pk) for a in artifacts]
        self._insert_many(_INSERT, rows)
        if self.history:
            revisions = [(*self._revision(row), 1) for row in rows]
            self._insert_many(_INSERT_FIRST_REVISIONS, revisions)
        self._connection.commit()

    def _insert_many(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        cursor = self._connection.cursor()
        if self.dialect == "sqlite":
            cursor.executemany(self._sql(statement), rows)
        else:
            values = statement[: statement.index("VALUES")] + "VALUES %s"
            psycopg2.extras.execute_values(cursor, values, rows, page_size=1000)

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
        if row is None:
            self._connection.commit()
            raise LookupError(artifact_id)
        identifier, type_, timestamp, creator, version_pk, _, model_pk = row
        if self.history:
            marker = (model_pk, version_pk, identifier, type_, timestamp, creator)
            self._record((*marker, None, None, None, None), deleted=True)
        self._connection.commit()
        return self._artifact(row[:6])

    def size(self) -> tuple[int, int]:
        """(bytes of the whole database, bytes of the revision table with its indexes)."""
        if self.dialect == "sqlite":
            self._connection.commit()
            self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = self._execute("PRAGMA page_count", ()).fetchone()[0]
            page = self._execute("PRAGMA page_size", ()).fetchone()[0]
            history = self._execute(
                "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = 'mlte_artifact_revision' "
                "OR name IN (SELECT name FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'mlte_artifact_revision')",
                (),
            ).fetchone()[0]
        else:
            pages, page = (
                1,
                self._execute("SELECT pg_database_size(current_database())", ()).fetchone()[0],
            )
            history = self._execute(
                "SELECT pg_total_relation_size('mlte_artifact_revision')", ()
            ).fetchone()[0]
        self._end_read()
        return int(pages) * int(page), int(history)
