"""Statements compiled once and run on the driver cursor (`db/driver`) give what
SQLAlchemy's `Connection.execute` gives: the same rows with the same Python types (JSON
decoded, SQLite's DateTime text parsed, booleans), the cursor events, and its errors."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from mlte_store import ArtifactRepository, ErrorInvalidInput, IdentifierFilter
from mlte_store.db import revision_statements, statements
from mlte_store.db.connection import Database
from mlte_store.db.rows import Owner
from mlte_store.models import ArtifactLevel
from mlte_store.tables import model_table

from .helpers import make_artifact


def _filled(repo: ArtifactRepository) -> None:
    repo.write_artifact("m", "v", make_artifact("a", note="é ☃", n=[1, 2.5, None]), parents=True)
    repo.write_artifact_with_header("m", "v", make_artifact("b", level="model"), user="u")
    repo.delete_artifact("m", "v", "b")
    repo.write_artifact("m", "v", make_artifact("b", level="model", again=True))


def _database(repo: ArtifactRepository) -> Database:
    """A unit of work on the repository's engine (the operations' view of it)."""
    return Database(repo.engine, keep_history=True)


def _both(tx: Any, statement: Any, values: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    through_sqlalchemy = [tuple(row) for row in tx.connection.execute(statement, values)]
    return tx.rows(statement, values), through_sqlalchemy


def test_rows_are_those_sqlalchemy_returns(repo: ArtifactRepository) -> None:
    _filled(repo)
    with _database(repo).transaction(write=False) as tx:
        keys = statements.lookup("m", "v")
        page, params = statements.filtered_page(tx.shapes, tx.dialect, None, True, None, True)
        params.update(keys, page_offset=0, page_limit=10, page_cut=10)
        found, count_params = statements.filtered_count(
            tx.shapes, tx.dialect, IdentifierFilter(id="a")
        )
        count_params.update(keys)
        owner = Owner(ArtifactLevel.MODEL, tx.first(statements.parents_or_model(), keys)[0])
        cases: list[tuple[Any, dict[str, Any]]] = [
            (statements.find_visible(), statements.lookup("m", "v", "a")),
            (statements.find_visible(True), statements.lookup("m", None, "b")),
            (page, params),
            (found, count_params),
            # Not a hot statement, but its columns have every result processor: DateTime,
            # Boolean, JSON, NULL bodies of deletion markers.
            (revision_statements.history(owner, "b"), {}),
        ]
        for statement, values in cases:
            driver_rows, sqlalchemy_rows = _both(tx, statement, values)
            assert driver_rows == sqlalchemy_rows
            assert driver_rows
            for ours, theirs in zip(driver_rows, sqlalchemy_rows, strict=True):
                assert [type(v) for v in ours] == [type(v) for v in theirs]


def test_cursor_events_fire_and_errors_are_sqlalchemys(repo: ArtifactRepository) -> None:
    _filled(repo)
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        seen.append(sql)

    event.listen(repo.engine, "before_cursor_execute", before)
    try:
        with _database(repo).transaction(write=False, single=True) as tx:
            tx.first(statements.find_visible(), statements.lookup("m", "v", "a"))
        assert len(seen) == 1 and "mlte_artifact" in seen[0]
        insert = model_table.insert().values(identifier="m")  # a duplicate model
        database = _database(repo)
        with pytest.raises(ErrorInvalidInput) as raised, database.transaction(write=True) as tx:
            tx.rows(insert, {})
        cause = raised.value.__cause__
        assert isinstance(cause, IntegrityError)
        assert isinstance(cause.orig, repo.engine.dialect.loaded_dbapi.IntegrityError)
    finally:
        event.remove(repo.engine, "before_cursor_execute", before)


def test_a_statement_with_expanding_parameters_runs_through_sqlalchemy(
    repo: ArtifactRepository,
) -> None:
    _filled(repo)
    with _database(repo).transaction(write=False) as tx:
        statement = model_table.select().where(model_table.c.identifier.in_(["m", "x"]))
        assert tx.compiled.get(statement) is None
        assert [row[1] for row in tx.rows(statement, {})] == ["m"]
