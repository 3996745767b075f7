"""Run the packaged Alembic migrations from Python, and check a database's revision.

The migrations live in the top-level `migrations/` folder of a checkout and in
`mlte_store/migrations` inside the installed wheel; both are found here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from mlte_store.engine import WRITE_OPTION, create_engine, resolve_url
from mlte_store.errors import ErrorDatabase, ErrorSchema
from mlte_store.tables import VERSION_TABLE


def migrations_dir() -> Path:
    """The folder holding env.py and versions/, installed or in a checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "migrations", package.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise ErrorSchema(f"the mlte_store migrations are missing (looked in {package})")


def alembic_config() -> Config:
    """An Alembic configuration for the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


@cache
def head() -> str:
    """The head revision of the packaged migrations: the revision this code needs."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:
        raise ErrorSchema("the packaged migrations have no head revision")
    return revision


@contextmanager
def _migration_connection(url: str | URL | None) -> Iterator[tuple[Config, Connection]]:
    engine = create_engine(url, sqlite_foreign_keys=False)
    try:
        with engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                config = alembic_config()
                config.attributes["connection"] = connection
                yield config, connection
    except SQLAlchemyError as exc:
        shown = resolve_url(url).render_as_string(hide_password=True)
        raise ErrorDatabase(f"migration on {shown} failed: {exc}") from exc
    finally:
        engine.dispose()


def upgrade(url: str | URL | None = None, revision: str = "head") -> None:
    """Upgrade the database at `url` to `revision` (default: the head)."""
    with _migration_connection(url) as (config, _):
        command.upgrade(config, revision)


def downgrade(url: str | URL | None, revision: str) -> None:
    """Downgrade the database at `url` to `revision` (`base` removes the schema)."""
    with _migration_connection(url) as (config, _):
        command.downgrade(config, revision)


def current(url: str | URL | None = None) -> str | None:
    """The database's current revision, or None if it has none."""
    with _migration_connection(url) as (_, connection):
        return current_revision(connection)


def history() -> list[tuple[str, str | None, str]]:
    """Every packaged revision, oldest first, as (revision, down_revision, message)."""
    script = ScriptDirectory.from_config(alembic_config())
    revisions = list(script.walk_revisions())
    revisions.reverse()
    return [
        (
            rev.revision,
            rev.down_revision if isinstance(rev.down_revision, str) else None,
            rev.doc or "",
        )
        for rev in revisions
    ]


def current_revision(connection: Connection) -> str | None:
    """The revision recorded in the database reached by `connection`, if any."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    heads = context.get_current_heads()
    return heads[0] if heads else None


def check_schema(connection: Connection, url_shown: str) -> None:
    """Raise ErrorSchema unless the database is exactly at this code's head revision."""
    wanted = head()
    if not inspect(connection).has_table(VERSION_TABLE):
        raise ErrorSchema(
            f"the database {url_shown} has no mlte_store schema; "
            f"create it with: mlte-store db upgrade --url '{url_shown}'"
        )
    found = current_revision(connection)
    if found == wanted:
        return
    script = ScriptDirectory.from_config(alembic_config())
    if found is None:
        raise ErrorSchema(
            f"the database {url_shown} has no mlte_store revision (this code needs {wanted}); "
            f"run: mlte-store db upgrade --url '{url_shown}'"
        )
    known = {rev.revision for rev in script.walk_revisions()}
    if found in known:
        raise ErrorSchema(
            f"the database {url_shown} is at revision {found}, behind this code's {wanted}; "
            f"run: mlte-store db upgrade --url '{url_shown}'"
        )
    raise ErrorSchema(
        f"the database {url_shown} is at revision {found}, which this code does not know "
        f"(its head is {wanted}); the database was migrated by a newer mlte_store: "
        "upgrade the package"
    )
