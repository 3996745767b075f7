"""`mlte-store model-artifacts ...`: a model's own (model-level) artifacts, by model only.

They are reachable whether or not the model has versions. The commands are
plain functions; `mlte_store.cli` registers them.
"""

from __future__ import annotations

from typing import Annotated

import typer

from mlte_store.cli.artifacts import (
    LimitOption,
    OffsetOption,
    print_artifact,
    print_artifacts,
    read_json_argument,
)
from mlte_store.cli.common import (
    DEFAULT_URL,
    ArtifactArg,
    JsonOption,
    ModelArg,
    UrlOption,
    console,
    open_store,
)


def model_artifacts_ls(
    model: ModelArg,
    limit: LimitOption = 100,
    offset: OffsetOption = 0,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """List a model's model-level artifacts, a page at a time."""
    with open_store(url) as repo:
        found = repo.read_model_artifacts(model, limit=limit, offset=offset)
    print_artifacts(found, as_json, f"model-level artifacts of {model!r}")


def model_artifacts_get(
    model: ModelArg,
    artifact: ArtifactArg,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """Print a model-level artifact's JSON."""
    with open_store(url) as repo:
        print_artifact(repo.read_model_artifact(model, artifact), as_json)


def model_artifacts_put(
    model: ModelArg,
    file: Annotated[str, typer.Argument(help="File with the artifact's JSON, or - for stdin.")],
    force: Annotated[bool, typer.Option(help="Replace an existing artifact.")] = False,
    parents: Annotated[bool, typer.Option(help="Create the model if missing.")] = False,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Write a model-level artifact (header.level "model") to the model alone."""
    value = read_json_argument(file, "artifact file")
    with open_store(url) as repo:
        written = repo.write_model_artifact(model, value, force=force, parents=parents)
    console.print(
        f"wrote artifact {written.header.identifier!r} (model level) to model {model!r}",
        highlight=False,
    )


def model_artifacts_rm(
    model: ModelArg,
    artifact: ArtifactArg,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Remove a model-level artifact."""
    with open_store(url) as repo:
        repo.delete_model_artifact(model, artifact)
    console.print(f"removed artifact {artifact!r} (model level)", highlight=False)
