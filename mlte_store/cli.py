"""The `mlte-store` command line: a thin layer of commands over the library.

Exit codes: 0 done, 1 not found / already exists, 2 bad usage or bad input,
3 schema missing or behind, 4 database failure, 5 `verify` found a mismatch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from alembic.util import CommandError
from rich.table import Table

from mlte_store import cli_history, cli_transfer, migrate
from mlte_store.cli_artifacts import artifacts_app
from mlte_store.cli_common import (
    DEFAULT_URL,
    EXIT_CODES,
    JsonOption,
    UrlOption,
    console,
    fail,
    print_json,
    reported,
)
from mlte_store.cli_models import models_app, versions_app

__all__ = ["EXIT_CODES", "app", "main", "reported"]

app = typer.Typer(help="Keep MLTE artifacts in PostgreSQL or SQLite.", no_args_is_help=True)
db_app = typer.Typer(help="Create, upgrade and inspect the database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(models_app, name="models")
app.add_typer(versions_app, name="versions")
app.add_typer(artifacts_app, name="artifacts")
cli_transfer.register(app)
cli_history.register(app)


@contextmanager
def revision_reported(revision: str) -> Iterator[None]:
    """An unknown or unreachable target revision is bad usage (exit 2), not a crash.

    Alembic says so with a CommandError before it changes anything.
    """
    try:
        yield
    except CommandError as exc:
        known = ", ".join(["base", *(rev for rev, _, _ in migrate.history()), "head"])
        raise fail(f"revision {revision!r}: {exc} (known: {known})") from exc


@db_app.command("upgrade")
def db_upgrade(
    url: UrlOption = DEFAULT_URL,
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the schema to a revision (default: the latest)."""
    with reported(), revision_reported(revision):
        migrate.upgrade(url, revision)
        console.print(f"database at revision {migrate.current(url)}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision; 'base' drops the schema.")],
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Downgrade the schema to an earlier revision."""
    with reported(), revision_reported(revision):
        migrate.downgrade(url, revision)
        console.print(f"database at revision {migrate.current(url) or 'base (no schema)'}")


@db_app.command("current")
def db_current(url: UrlOption = DEFAULT_URL, as_json: JsonOption = False) -> None:
    """Print the database's revision and whether it is the head."""
    with reported():
        found = migrate.current(url)
    wanted = migrate.head()
    if as_json:
        print_json({"current": found, "head": wanted, "at_head": found == wanted})
        return
    state = "head" if found == wanted else f"not at head ({wanted})"
    console.print(f"{found or 'none'} ({state})")


@db_app.command("history")
def db_history(as_json: JsonOption = False) -> None:
    """List the packaged revisions, oldest first."""
    if as_json:
        print_json(
            [
                {"revision": revision, "revises": down, "description": message}
                for revision, down, message in migrate.history()
            ]
        )
        return
    table = Table("revision", "revises", "description")
    for revision, down, message in migrate.history():
        table.add_row(revision, down or "-", message.strip().splitlines()[0] if message else "")
    console.print(table)


@app.command("demo")
def demo(
    url: UrlOption = DEFAULT_URL,
    upgrade: Annotated[bool, typer.Option(help="Upgrade the schema to the head first.")] = True,
) -> None:
    """Write, read, page, search and delete sample artifacts, showing each step."""
    from mlte_store.demo import run_demo

    with reported():
        if upgrade:
            migrate.upgrade(url)
        run_demo(url, console)


def main() -> None:
    """Entry point of the `mlte-store` console script."""
    app()
