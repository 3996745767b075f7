"""`mlte-store models ...` and `mlte-store versions ...`: list, create and remove."""

from __future__ import annotations

from rich.table import Table

from mlte_store.cli.common import (
    DEFAULT_URL,
    JsonOption,
    ModelArg,
    UrlOption,
    VersionArg,
    console,
    open_store,
    print_json,
)


def _print_list(title: str, identifiers: list[str], as_json: bool) -> None:
    if as_json:
        print_json(identifiers)
        return
    table = Table(title, title=f"{len(identifiers)} {title}s")
    for identifier in identifiers:
        table.add_row(identifier)
    console.print(table)


def models_ls(url: UrlOption = DEFAULT_URL, as_json: JsonOption = False) -> None:
    """List the models."""
    with open_store(url) as repo:
        _print_list("model", repo.list_models(), as_json)


def models_create(model: ModelArg, url: UrlOption = DEFAULT_URL) -> None:
    """Create a model (exit 1 if it exists)."""
    with open_store(url) as repo:
        repo.create_model(model)
    console.print(f"created model {model!r}", highlight=False)


def models_rm(model: ModelArg, url: UrlOption = DEFAULT_URL) -> None:
    """Remove a model with its versions and all their artifacts."""
    with open_store(url) as repo:
        repo.delete_model(model)
    console.print(f"removed model {model!r}", highlight=False)


def versions_ls(model: ModelArg, url: UrlOption = DEFAULT_URL, as_json: JsonOption = False) -> None:
    """List the versions of a model."""
    with open_store(url) as repo:
        _print_list("version", repo.list_versions(model), as_json)


def versions_create(model: ModelArg, version: VersionArg, url: UrlOption = DEFAULT_URL) -> None:
    """Create a version of an existing model (exit 1 if it exists or the model does not)."""
    with open_store(url) as repo:
        repo.create_version(model, version)
    console.print(f"created version {version!r} of model {model!r}", highlight=False)


def versions_rm(model: ModelArg, version: VersionArg, url: UrlOption = DEFAULT_URL) -> None:
    """Remove a version and its version-level artifacts."""
    with open_store(url) as repo:
        repo.delete_version(model, version)
    console.print(f"removed version {version!r} of model {model!r}", highlight=False)
