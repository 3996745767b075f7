"""What every `mlte-store` command shares: arguments, options, exit codes, output, progress.

Exit codes (defined here only, in `EXIT_CODES` and `EXIT_MISMATCH`): 0 done,
1 not found / already exists, 2 bad usage or bad input, 3 schema missing or
behind, 4 database failure, 5 `verify` found a body that no longer matches
its digest.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mlte_store._version import __version__
from mlte_store.engine import DEFAULT_URL, URL_ENV_VAR
from mlte_store.errors import (
    ErrorAlreadyExists,
    ErrorDatabase,
    ErrorInvalidInput,
    ErrorNotFound,
    ErrorSchema,
    ErrorStore,
)
from mlte_store.models import Artifact
from mlte_store.repository import ArtifactRepository

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
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ModelArg = Annotated[str, typer.Argument(help="Model identifier.")]
VersionArg = Annotated[str, typer.Argument(help="Version identifier.")]
ArtifactArg = Annotated[str, typer.Argument(help="Artifact identifier.")]

__all__ = ["DEFAULT_URL", "JsonOption", "UrlOption"]

EXIT_CODES: dict[type[ErrorStore], int] = {
    ErrorNotFound: 1,
    ErrorAlreadyExists: 1,
    ErrorInvalidInput: 2,
    ErrorSchema: 3,
    ErrorDatabase: 4,
}

#: Exit code when some input was refused (bad usage or bad input).
EXIT_BAD_INPUT = EXIT_CODES[ErrorInvalidInput]

#: Exit code of `verify` when a body no longer matches its digest.
EXIT_MISMATCH = 5


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print an error and return the Exit to raise (so callers read `raise fail(...)`)."""
    errors.print(f"[red]error:[/red] {escape(message)}", markup=True, highlight=False)
    return typer.Exit(code)


@contextmanager
def reported() -> Iterator[None]:
    """Turn the library's errors into a message on stderr and the documented exit code."""
    try:
        yield
    except ErrorStore as exc:
        code = next((c for kind, c in EXIT_CODES.items() if isinstance(exc, kind)), 4)
        raise fail(str(exc), code) from exc


@contextmanager
def open_store(url: str) -> Iterator[ArtifactRepository]:
    """A repository on `url`, its errors reported as exit codes, closed afterwards."""
    with reported(), ArtifactRepository(url) as repo:
        yield repo


def print_json(value: Any) -> None:
    """Machine-readable output: plain JSON on stdout, no colours, no wrapping."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


@contextmanager
def progress_bar(description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A progress callback (artifacts done so far): a bar on a terminal, nothing otherwise."""
    if not console.is_terminal:
        yield lambda _done: None
        return
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
    with Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda done: bar.update(task, completed=done)


def artifact_table(title: str, artifacts: list[Artifact], *, body_keys: bool = False) -> Table:
    """A table of artifact headers (and, if asked, the first body keys)."""
    columns = ["identifier", "type", "level", "timestamp", "creator"]
    table = Table(*columns, *(["body keys"] if body_keys else []), title=title)
    for artifact in artifacts:
        header = artifact.header
        cells = [
            header.identifier,
            header.type.value,
            header.level.value,
            "-" if header.timestamp is None else str(header.timestamp),
            header.creator or "-",
        ]
        if body_keys:
            cells.append(", ".join(sorted(artifact.body))[:60])
        table.add_row(*cells)
    return table


def show_version(requested: bool) -> None:
    """`--version`: print `mlte-store VERSION` and stop before any command runs."""
    if requested:
        sys.stdout.write(f"mlte-store {__version__}\n")
        raise typer.Exit()


VersionOption = Annotated[
    bool,
    typer.Option(
        "--version",
        callback=show_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
]
