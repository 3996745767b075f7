"""The `mlte-store` command line: a thin layer of commands over the library.

Exit codes: 0 done, 1 not found / already exists, 2 bad usage or bad input,
3 schema missing or behind, 4 database failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from mlte_store import migrate
from mlte_store.engine import DEFAULT_URL, URL_ENV_VAR
from mlte_store.errors import (
    ErrorAlreadyExists,
    ErrorDatabase,
    ErrorInvalidInput,
    ErrorNotFound,
    ErrorSchema,
    ErrorStore,
)

app = typer.Typer(help="Keep MLTE artifacts in PostgreSQL or SQLite.", no_args_is_help=True)
db_app = typer.Typer(help="Create, upgrade and inspect the database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

console = Console()
errors = Console(stderr=True)

UrlOption = Annotated[
    str,
    typer.Option(
        "--url",
        envvar=URL_ENV_VAR,
        help=f"Database URL (also ${URL_ENV_VAR}).",
        show_default=True,
    ),
]

EXIT_CODES: dict[type[ErrorStore], int] = {
    ErrorNotFound: 1,
    ErrorAlreadyExists: 1,
    ErrorInvalidInput: 2,
    ErrorSchema: 3,
    ErrorDatabase: 4,
}


@contextmanager
def reported() -> Iterator[None]:
    """Turn the library's errors into a message on stderr and the documented exit code."""
    try:
        yield
    except ErrorStore as exc:
        errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        code = next((c for kind, c in EXIT_CODES.items() if isinstance(exc, kind)), 4)
        raise typer.Exit(code) from exc


@db_app.command("upgrade")
def db_upgrade(
    url: UrlOption = DEFAULT_URL,
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the schema to a revision (default: the latest)."""
    with reported():
        migrate.upgrade(url, revision)
        console.print(f"database at revision {migrate.current(url)}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision; 'base' drops the schema.")],
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Downgrade the schema to an earlier revision."""
    with reported():
        migrate.downgrade(url, revision)
        console.print(f"database at revision {migrate.current(url) or 'base (no schema)'}")


@db_app.command("current")
def db_current(url: UrlOption = DEFAULT_URL) -> None:
    """Print the database's revision and whether it is the head."""
    with reported():
        found = migrate.current(url)
        wanted = migrate.head()
        state = "head" if found == wanted else f"not at head ({wanted})"
        console.print(f"{found or 'none'} ({state})")


@db_app.command("history")
def db_history() -> None:
    """List the packaged revisions, oldest first."""
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
