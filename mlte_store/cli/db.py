"""`mlte-store db ...`: create, upgrade and inspect the database schema (Alembic)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from alembic.util import CommandError
from rich.table import Table

from mlte_store import migrate
from mlte_store.cli.common import (
    DEFAULT_URL,
    JsonOption,
    UrlOption,
    console,
    fail,
    print_json,
    reported,
)


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


def db_upgrade(
    url: UrlOption = DEFAULT_URL,
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the schema to a revision (default: the latest)."""
    with reported(), revision_reported(revision):
        migrate.upgrade(url, revision)
        console.print(f"database at revision {migrate.current(url)}")


def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision; 'base' drops the schema.")],
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Downgrade the schema to an earlier revision."""
    with reported(), revision_reported(revision):
        migrate.downgrade(url, revision)
        console.print(f"database at revision {migrate.current(url) or 'base (no schema)'}")


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
