"""`mlte-store models ...` and `mlte-store versions ...`: list, create and remove."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from mlte_store.cli_common import (
    DEFAULT_URL,
    JsonOption,
    UrlOption,
    console,
    open_store,
    print_json,
)

models_app = typer.Typer(help="List, create and remove models.", no_args_is_help=True)
versions_app = typer.Typer(
    help="List, create and remove versions of a model.", no_args_is_help=True
)

ModelArg = Annotated[str, typer.Argument(help="Model identifier.")]
VersionArg = Annotated[str, typer.Argument(help="Version identifier.")]


def _print_list(title: str, identifiers: list[str], as_json: bool) -> None:
    if as_json:
        print_json(identifiers)
        return
    table = Table(title, title=f"{len(identifiers)} {title}s")
    for identifier in identifiers:
        table.add_row(identifier)
    console.print(table)


@models_app.command("ls")
def models_ls(url: UrlOption = DEFAULT_URL, as_json: JsonOption = False) -> None:
    """List the models."""
    with open_store(url) as repo:
        _print_list("model", repo.list_models(), as_json)


@models_app.command("create")
def models_create(model: ModelArg, url: UrlOption = DEFAULT_URL) -> None:
    """Create a model (exit 1 if it exists)."""
    with open_store(url) as repo:
        repo.create_model(model)
    console.print(f"created model {model!r}", highlight=False)


@models_app.command("rm")
def models_rm(model: ModelArg, url: UrlOption = DEFAULT_URL) -> None:
    """Remove a model with its versions and all their artifacts."""
    with open_store(url) as repo:
        repo.delete_model(model)
    console.print(f"removed model {model!r}", highlight=False)


@versions_app.command("ls")
def versions_ls(model: ModelArg, url: UrlOption = DEFAULT_URL, as_json: JsonOption = False) -> None:
    """List the versions of a model."""
    with open_store(url) as repo:
        _print_list("version", repo.list_versions(model), as_json)


@versions_app.command("create")
def versions_create(model: ModelArg, version: VersionArg, url: UrlOption = DEFAULT_URL) -> None:
    """Create a version of an existing model (exit 1 if it exists or the model does not)."""
    with open_store(url) as repo:
        repo.create_version(model, version)
    console.print(f"created version {version!r} of model {model!r}", highlight=False)


@versions_app.command("rm")
def versions_rm(model: ModelArg, version: VersionArg, url: UrlOption = DEFAULT_URL) -> None:
    """Remove a version and its version-level artifacts."""
    with open_store(url) as repo:
        repo.delete_version(model, version)
    console.print(f"removed version {version!r} of model {model!r}", highlight=False)
