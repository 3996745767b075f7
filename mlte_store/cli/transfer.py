"""`mlte-store import-folder|export-folder|dump|load|copy`: moving artifacts in and out.

The work is done by `mlte_store.transfer`; these commands parse, show a
progress bar on a terminal, and print the summary. A transfer that refused
anything exits with 2 after printing what it refused and why.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mlte_store import transfer
from mlte_store.cli.common import (
    DEFAULT_URL,
    EXIT_BAD_INPUT,
    JsonOption,
    UrlOption,
    console,
    errors,
    open_store,
    print_json,
    progress_bar,
    reported,
)
from mlte_store.engine import URL_ENV_VAR
from mlte_store.repository import ArtifactRepository
from mlte_store.transfer import Summary

ForceOption = Annotated[bool, typer.Option(help="Overwrite artifacts that exist already.")]
BatchOption = Annotated[int, typer.Option(help="Artifacts written per transaction.", min=1)]
HistoryOption = Annotated[
    bool,
    typer.Option(
        "--history/--no-history",
        help="Carry every recorded revision (numbers, digests, times), not only current artifacts.",
    ),
]


def report(summary: Summary, action: str, as_json: bool) -> None:
    """Print a transfer's summary; exit 2 if anything was refused."""
    if as_json:
        print_json(summary.to_json())
    else:
        console.print(
            f"{action}: {summary.models} models, {summary.versions} versions, "
            f"{summary.artifacts} artifacts, {summary.revisions} revisions; "
            f"{summary.skipped} skipped (exist already), "
            f"{len(summary.refused)} refused",
            highlight=False,
            soft_wrap=True,
        )
        if summary.refused:
            table = Table("source", "reason", title="refused")
            for problem in summary.refused:
                table.add_row(problem.source, problem.reason)
            errors.print(table)
    for warning in summary.warnings:
        errors.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    if summary.refused:
        raise typer.Exit(EXIT_BAD_INPUT)


def _run(description: str, work: Callable[[Callable[[int], None]], Summary], as_json: bool) -> None:
    with reported(), progress_bar(description) as progress:
        summary = work(progress)
    report(summary, description, as_json)


def import_folder(
    root: Annotated[Path, typer.Argument(help="Root of the MLTE folder store (holds models/).")],
    force: ForceOption = False,
    batch_size: BatchOption = transfer.DEFAULT_BATCH_SIZE,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """Import an MLTE folder store; broken files are reported and the rest imported."""
    with open_store(url) as repo:
        _run(
            "imported",
            lambda p: transfer.import_folder(
                repo, root, force=force, batch_size=batch_size, progress=p
            ),
            as_json,
        )


def export_folder(
    root: Annotated[Path, typer.Argument(help="Root of the MLTE folder store to write.")],
    force: ForceOption = False,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """Export the whole store as an MLTE folder store (existing files kept unless --force)."""
    with open_store(url) as repo:
        _run(
            "exported",
            lambda p: transfer.export_folder(repo, root, force=force, progress=p),
            as_json,
        )


def dump(
    file: Annotated[Path, typer.Argument(help="JSON-lines file to write.")],
    history: HistoryOption = False,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """Write the whole store (models, versions, artifacts) to a JSON-lines file."""
    with open_store(url) as repo:
        _run("dumped", lambda p: transfer.dump(repo, file, progress=p, history=history), as_json)


def load(
    file: Annotated[Path, typer.Argument(help="JSON-lines file written by dump.")],
    force: ForceOption = False,
    batch_size: BatchOption = transfer.DEFAULT_BATCH_SIZE,
    history: HistoryOption = True,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """Load a JSON-lines dump into the store (with the history it holds, unless --no-history)."""
    with open_store(url) as repo:
        _run(
            "loaded",
            lambda p: transfer.load(
                repo, file, force=force, batch_size=batch_size, progress=p, history=history
            ),
            as_json,
        )


def copy(
    source: Annotated[
        str, typer.Option("--from", help="URL of the store to copy from.", show_default=False)
    ],
    target: Annotated[
        str,
        typer.Option(
            "--to", envvar=URL_ENV_VAR, help=f"URL of the store to copy into (also ${URL_ENV_VAR})."
        ),
    ],
    force: ForceOption = False,
    batch_size: BatchOption = transfer.DEFAULT_BATCH_SIZE,
    history: HistoryOption = True,
    as_json: JsonOption = False,
) -> None:
    """Copy every model, version and artifact of one store into another, streaming
    (with every recorded revision, unless --no-history).

    Both schemas must be at the head (`mlte-store db upgrade --url URL` first).
    """
    with reported(), ArtifactRepository(source) as origin, open_store(target) as destination:
        _run(
            "copied",
            lambda p: transfer.copy(
                origin, destination, force=force, batch_size=batch_size, progress=p, history=history
            ),
            as_json,
        )
