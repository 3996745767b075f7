"""Every branch of the translation of database errors into the library's errors.

docs/python-api.md (Errors): the library raises only `ErrorStore` kinds; driver errors never escape
on their own, they are kept as `__cause__`. `ErrorDatabase` means the call had no effect
and may be retried; a connection lost before the call's first statement completed is
retried once by the library itself. Faults are injected with SQLAlchemy's
`before_cursor_execute` event on the repository's engine, on both backends; after each
one the store must be exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import Engine, MetaData, event, select
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from mlte_store import (
    ArtifactRepository,
    ErrorAlreadyExists,
    ErrorDatabase,
    ErrorInvalidInput,
    ErrorStore,
    migrate,
)
from mlte_store.engine import resolve_url

from .helpers import ids, make_artifact

TABLES = ("mlte_model", "mlte_version", "mlte_artifact", "mlte_artifact_revision")


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the store's four tables (reflected from the database), in key order."""
    metadata = MetaData()
    metadata.reflect(engine, only=TABLES)
    with engine.connect() as connection:
        return {
            name: [
                tuple(row)
                for row in connection.execute(
                    select(metadata.tables[name]).order_by(metadata.tables[name].c.id)
                )
            ]
            for name in TABLES
        }


class Fault:
    """Raises `make()` from the statements matching `when`, `times` times."""

    def __init__(
        self, engine: Engine, make: Callable[[], BaseException], when: Callable[[str], bool]
    ) -> None:
        self.engine, self.make, self.when = engine, make, when
        self.left = 0
        self.fired = 0

    @contextmanager
    def armed(self, times: int = 1) -> Iterator[Fault]:
        self.left, self.fired = times, 0
        event.listen(self.engine, "before_cursor_execute", self._before)
        try:
            yield self
        finally:
            event.remove(self.engine, "before_cursor_execute", self._before)

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self.left and self.when(statement):
            self.left -= 1
            self.fired += 1
            raise self.make()


def dbapi(engine: Engine) -> Any:
    return engine.dialect.loaded_dbapi


def disconnect(engine: Engine) -> BaseException:
    """A driver error that the backend's dialect recognises as a lost connection."""
    if engine.dialect.name == "sqlite":
        return dbapi(engine).ProgrammingError("Cannot operate on a closed database.")
    return dbapi(engine).OperationalError("server closed the connection unexpectedly")


def first_statement(_statement: str) -> bool:
    return True


def starts(prefix: str) -> Callable[[str], bool]:
    return lambda statement: statement.lstrip().upper().startswith(prefix)


def deletes_artifact(statement: str) -> bool:
    """The DELETE of an artifact (on PostgreSQL with history, inside a WITH)."""
    return "DELETE FROM MLTE_ARTIFACT " in statement.upper()


@pytest.fixture
def filled(repo: ArtifactRepository) -> ArtifactRepository:
    repo.write_artifact("m", "v", make_artifact("a", n=1), parents=True)
    repo.write_artifact("m", "v", make_artifact("card", "card", level="model"))
    return repo


def assert_cause(error: ErrorStore, kind: type[BaseException]) -> None:
    assert isinstance(error.__cause__, kind), repr(error.__cause__)


def test_an_integrity_error_on_a_model_insert_is_already_exists(
    filled: ArtifactRepository,
) -> None:
    """Existence is decided by the constraint: an integrity error there names the model."""
    repo = filled
    before = snapshot(repo.engine)
    fault = Fault(repo.engine, lambda: dbapi(repo.engine).IntegrityError("unique"),
                  starts("INSERT INTO MLTE_MODEL"))  # fmt: skip
    with fault.armed(), pytest.raises(ErrorAlreadyExists, match="model 'new'") as caught:
        repo.create_model("new")
    assert fault.fired == 1
    assert_cause(caught.value, IntegrityError)
    assert snapshot(repo.engine) == before


def test_an_integrity_error_elsewhere_is_refused_input_and_nothing_changes(
    filled: ArtifactRepository,
) -> None:
    repo = filled
    before = snapshot(repo.engine)
    fault = Fault(repo.engine, lambda: dbapi(repo.engine).IntegrityError("check failed"),
                  deletes_artifact)  # fmt: skip
    with fault.armed(), pytest.raises(ErrorInvalidInput, match="refused") as caught:
        repo.delete_artifact("m", "v", "a")
    assert fault.fired == 1
    assert_cause(caught.value, IntegrityError)
    assert "check failed" in str(caught.value)
    assert snapshot(repo.engine) == before
    assert repo.delete_artifact("m", "v", "a").body["n"] == 1  # and then it works


@pytest.mark.parametrize("kind", ["OperationalError", "DataError", "InternalError"])
def test_any_other_driver_error_is_a_database_error(filled: ArtifactRepository, kind: str) -> None:
    repo = filled
    before = snapshot(repo.engine)
    fault = Fault(repo.engine, lambda: getattr(dbapi(repo.engine), kind)("boom"), starts("INSERT"))
    with fault.armed(), pytest.raises(ErrorDatabase) as caught:
        repo.write_artifact("m", "v", make_artifact("b"))
    assert fault.fired == 1
    assert_cause(caught.value, DBAPIError)
    message = str(caught.value)
    assert "nothing was written" in message and "boom" in message
    assert snapshot(repo.engine) == before
    assert not isinstance(caught.value, ErrorInvalidInput | ErrorAlreadyExists)


def test_a_connection_lost_at_the_first_statement_is_retried_once(
    filled: ArtifactRepository,
) -> None:
    repo = filled
    fault = Fault(repo.engine, lambda: disconnect(repo.engine), first_statement)
    with fault.armed(times=1):
        stored = repo.write_artifact("m", "v", make_artifact("b", n=2))
    assert fault.fired == 1
    assert stored.body["n"] == 2
    assert ids(repo.read_artifacts("m", "v")) == ["a", "b", "card"]
    assert [r.revision for r in repo.read_artifact_history("m", "v", "b")] == [1]
    with fault.armed(times=1):
        assert ids(repo.read_artifacts("m", "v")) == ["a", "b", "card"]
    assert fault.fired == 1


def test_a_connection_lost_at_the_first_statement_twice_is_a_database_error(
    filled: ArtifactRepository,
) -> None:
    repo = filled
    before = snapshot(repo.engine)
    fault = Fault(repo.engine, lambda: disconnect(repo.engine), first_statement)
    with fault.armed(times=3), pytest.raises(ErrorDatabase, match="nothing was written") as caught:
        repo.write_artifact("m", "v", make_artifact("b"))
    assert fault.fired == 2  # the call and its one retry
    assert_cause(caught.value, DBAPIError)
    assert snapshot(repo.engine) == before


def test_a_connection_lost_after_a_statement_is_not_retried(filled: ArtifactRepository) -> None:
    repo = filled
    before = snapshot(repo.engine)
    statements = {"seen": 0}

    def second(_statement: str) -> bool:
        statements["seen"] += 1
        return statements["seen"] == 2

    fault = Fault(repo.engine, lambda: disconnect(repo.engine), second)
    with fault.armed(times=5), pytest.raises(ErrorDatabase, match="lost") as caught:
        repo.write_artifact("m", "v", make_artifact("b"))
    assert fault.fired == 1
    assert "nothing was written" in str(caught.value) and "retry" in str(caught.value)
    assert_cause(caught.value, DBAPIError)
    assert snapshot(repo.engine) == before
    repo.write_artifact("m", "v", make_artifact("b"))  # the repository is usable again
    assert ids(repo.read_artifacts("m", "v")) == ["a", "b", "card"]


def test_an_sqlalchemy_error_that_is_not_a_driver_error_is_a_database_error(
    store_url: str,
) -> None:
    """A pool with no free connection (the caller's engine) times out: SQLAlchemy's own error."""
    engine = sqlalchemy.create_engine(
        resolve_url(store_url), pool_size=1, max_overflow=0, pool_timeout=0.1
    )
    try:
        with ArtifactRepository(engine) as repo:
            with engine.connect(), pytest.raises(ErrorDatabase) as caught:
                repo.list_models()
            assert_cause(caught.value, sqlalchemy.exc.TimeoutError)
            assert not isinstance(caught.value.__cause__, DBAPIError)
            assert repo.list_models() == []  # the connection is back: it works again
    finally:
        engine.dispose()


@pytest.mark.parametrize("call", ["repository", "migrate.current", "migrate.upgrade"])
def test_an_unreachable_database_is_a_database_error_without_the_password(
    backend: str, tmp_path: Any, call: str
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'missing folder' / 'store.db'}"
    else:
        url = "postgresql://nobody:s3cret-pw@127.0.0.1:1/none"
    with pytest.raises(ErrorDatabase) as caught:
        if call == "repository":
            ArtifactRepository(url)
        elif call == "migrate.current":
            migrate.current(url)
        else:
            migrate.upgrade(url)
    assert isinstance(caught.value.__cause__, SQLAlchemyError | DBAPIError)
    assert "s3cret-pw" not in str(caught.value)
