"""`mlte-store artifacts ...`: list, get, put, remove and search artifacts.

The commands are plain functions; `mlte_store.cli` registers them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mlte_store import inputs
from mlte_store.cli.common import (
    DEFAULT_URL,
    ArtifactArg,
    JsonOption,
    ModelArg,
    UrlOption,
    VersionArg,
    artifact_table,
    console,
    fail,
    open_store,
    print_json,
    reported,
)
from mlte_store.inputs import MAX_PAGE_SIZE
from mlte_store.models import Artifact, ArtifactType, shown
from mlte_store.query import (
    AllFilter,
    AndFilter,
    Filter,
    IdentifierFilter,
    OrFilter,
    PropertyFilter,
    Query,
    TagFilter,
    TypeFilter,
)

LimitOption = Annotated[
    int, typer.Option(help=f"At most this many artifacts (0 to {MAX_PAGE_SIZE}).")
]
OffsetOption = Annotated[int, typer.Option(help="Skip this many artifacts first.")]


def print_artifacts(artifacts: list[Artifact], as_json: bool, title: str) -> None:
    """Artifacts as a JSON list, or as a table of their headers."""
    if as_json:
        print_json([a.to_json() for a in artifacts])
        return
    console.print(artifact_table(title, artifacts))


def print_artifact(artifact: Artifact, as_json: bool) -> None:
    """One artifact's JSON: plain with `--json`, highlighted otherwise."""
    if as_json:
        print_json(artifact.to_json())
    else:
        console.print_json(data=artifact.to_json())


def read_json_argument(value: str, what: str) -> Any:
    """JSON from a file path, `-` (stdin), or (for text starting with `{`) the text itself."""
    try:
        if value == "-":
            text = sys.stdin.read()
        elif value.lstrip().startswith("{"):
            text = value
        else:
            text = Path(value).read_text(encoding="utf-8")
        return json.loads(text)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise fail(f"{what} must be a readable file or -, got {shown(value)} ({reason})") from exc
    except UnicodeDecodeError as exc:
        raise fail(f"{what} must be UTF-8 text, got {shown(value)}") from exc
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise fail(f"{what} must be JSON, got {shown(value)} ({exc.msg} at {where})") from exc


def artifacts_ls(
    model: ModelArg,
    version: VersionArg,
    limit: LimitOption = 100,
    offset: OffsetOption = 0,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """List the artifacts visible from a version (its own and its model's), a page at a time."""
    with open_store(url) as repo:
        artifacts = repo.read_artifacts(model, version, limit=limit, offset=offset)
        total = repo.count_artifacts(model, version)
    title = f"artifacts {offset + 1 if artifacts else offset}-{offset + len(artifacts)} of {total}"
    print_artifacts(artifacts, as_json, title)


def artifacts_get(
    model: ModelArg,
    version: VersionArg,
    artifact: ArtifactArg,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """Print an artifact's JSON (the version's own, else the model-level one)."""
    with open_store(url) as repo:
        print_artifact(repo.read_artifact(model, version, artifact), as_json)


def artifacts_put(
    model: ModelArg,
    version: VersionArg,
    file: Annotated[str, typer.Argument(help="File with the artifact's JSON, or - for stdin.")],
    force: Annotated[bool, typer.Option(help="Replace an existing artifact.")] = False,
    parents: Annotated[bool, typer.Option(help="Create the model and version if missing.")] = (
        False
    ),
    user: Annotated[
        str | None,
        typer.Option(help="Stamp the header: creator USER, timestamp now (else kept as given)."),
    ] = None,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Write an artifact (MLTE's JSON: {"header": ..., "body": ...})."""
    value = read_json_argument(file, "artifact file")
    with open_store(url) as repo:
        if user is None:
            written = repo.write_artifact(model, version, value, force=force, parents=parents)
        else:
            written = repo.write_artifact_with_header(
                model, version, value, force=force, parents=parents, user=user
            )
    console.print(
        f"wrote artifact {written.header.identifier!r} ({written.header.level.value} level) "
        f"to model {model!r} version {version!r}",
        highlight=False,
    )


def artifacts_rm(
    model: ModelArg,
    version: VersionArg,
    artifact: ArtifactArg,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Remove the artifact `get` would print."""
    with open_store(url) as repo:
        removed = repo.delete_artifact(model, version, artifact)
    console.print(
        f"removed artifact {artifact!r} ({removed.header.level.value} level)", highlight=False
    )


def _path_and_text(value: str, option: str) -> tuple[str, str]:
    path, sep, text = value.partition("~")
    if not sep or not path:
        raise fail(
            f"{option} must be PATH~TEXT (e.g. body.system.task~flowers), got {shown(value)}"
        )
    return path, text


def build_query(
    query: str | None,
    types: list[ArtifactType],
    identifier: str | None,
    where: list[str],
    tags: list[str],
) -> Query:
    """The AND of a JSON query and the shortcut filters (everything when none is given).

    Repeated `--type`s mean any of those types; repeated `--where`/`--tag` must all hold.
    """
    filters: list[Filter] = []
    if query is not None:
        value = read_json_argument(query, "query")
        if isinstance(value, dict) and "filter" not in value:
            value = {"filter": value}  # a bare filter
        with reported():
            filters.append(inputs.query(value).filter)
    if types:
        by_type: list[Filter] = [TypeFilter(item_type=t) for t in types]
        filters.append(by_type[0] if len(by_type) == 1 else OrFilter(filters=by_type))
    if identifier is not None:
        filters.append(IdentifierFilter(id=identifier))
    for item in where:
        path, text = _path_and_text(item, "--where")
        filters.append(PropertyFilter(name=path, property=text))
    for item in tags:
        path, text = _path_and_text(item, "--tag")
        filters.append(TagFilter(name=path, tag=text))
    if not filters:
        return Query(filter=AllFilter())
    return Query(filter=filters[0] if len(filters) == 1 else AndFilter(filters=filters))


def artifacts_search(
    model: ModelArg,
    version: VersionArg,
    query: Annotated[
        str | None,
        typer.Option(help='MLTE query JSON ({"filter": ...}), a file holding it, or - (stdin).'),
    ] = None,
    types: Annotated[
        list[ArtifactType] | None,
        typer.Option("--type", help="Artifact type; repeat for any of several."),
    ] = None,
    identifier: Annotated[str | None, typer.Option("--id", help="Artifact identifier.")] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(help="PATH~TEXT: the text at PATH contains TEXT, any case (repeatable)."),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(help="PATH~TEXT: the list at PATH has an element containing TEXT."),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many matches.")] = None,
    offset: OffsetOption = 0,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """Search the artifacts visible from a version; all given conditions must hold."""
    built = build_query(query, types or [], identifier, where or [], tag or [])
    with open_store(url) as repo:
        found = repo.search_artifacts(model, version, built, limit=limit, offset=offset)
    print_artifacts(found, as_json, f"{len(found)} matching artifacts")
