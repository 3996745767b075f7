"""Alembic environment for mlte_store.

The database comes from, in order: a connection handed in by the caller
(`mlte_store.migrate`), `-x url=...` on the alembic command line, the
MLTE_STORE_URL environment variable, then `sqlalchemy.url` in alembic.ini.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from mlte_store.engine import URL_ENV_VAR, WRITE_OPTION, create_engine
from mlte_store.tables import VERSION_TABLE, Base

config = context.config


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str | None:
    import os

    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or os.environ.get(URL_ENV_VAR)
        or config.get_main_option("sqlalchemy.url")
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (`alembic upgrade --sql`)."""
    context.configure(
        url=_url(),
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against the caller's connection, or one made from the configured URL."""
    given = config.attributes.get("connection")
    if given is not None:
        _configure_and_run(given)
        return
    engine = create_engine(_url(), sqlite_foreign_keys=False)
    try:
        with engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            _configure_and_run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
