"""The demo behind `make demo`: every artifact operation once, shown as tables."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from mlte_store import migrate
from mlte_store.cli.common import DEFAULT_URL, UrlOption, artifact_table, console, reported
from mlte_store.models import Artifact, ArtifactLevel, ArtifactType
from mlte_store.query import (
    AndFilter,
    IdentifierFilter,
    OrFilter,
    PropertyFilter,
    Query,
    TagFilter,
    TypeFilter,
)
from mlte_store.repository import ArtifactRepository
from mlte_store.samples import sample_artifact

MODEL, VERSION = "demo-model", "v1.0"


def _table(title: str, artifacts: list[Artifact]) -> Table:
    return artifact_table(title, artifacts, body_keys=True)


def run_demo(url: str, console: Console) -> None:
    """Run the demo against the store at `url` (its schema must be at head)."""
    with ArtifactRepository(url) as store:
        if MODEL in store.list_models():
            store.delete_model(MODEL)
            console.print(f"removed the previous run's model {MODEL!r}")
        for i, artifact_type in enumerate(ArtifactType):
            level = (
                ArtifactLevel.MODEL
                if artifact_type is ArtifactType.NEGOTIATION_CARD
                else (ArtifactLevel.VERSION)
            )
            artifact = sample_artifact(
                artifact_type, f"{artifact_type.value}/demo-{i}", index=i, level=level
            )
            store.write_artifact_with_header(MODEL, VERSION, artifact, parents=True, user="demo")
        for i in range(3):
            store.write_artifact_with_header(
                MODEL,
                VERSION,
                sample_artifact(ArtifactType.EVIDENCE, f"evidence/extra-{i}", index=i + 10),
                user="demo",
            )
        console.print(
            f"models: {store.list_models()}, versions of {MODEL!r}: {store.list_versions(MODEL)}"
        )
        console.print(
            _table(
                "read_artifacts (first page of 4)", store.read_artifacts(MODEL, VERSION, limit=4)
            )
        )
        console.print(
            _table(
                "read_artifacts (offset 4)", store.read_artifacts(MODEL, VERSION, limit=4, offset=4)
            )
        )
        one = store.read_artifact(MODEL, VERSION, "card/demo-0")
        console.print(
            f"read_artifact card/demo-0: level={one.header.level.value}, "
            f"task={one.body['system']['task']!r}"
        )
        searches = {
            "type = evidence": Query(filter=TypeFilter(item_type=ArtifactType.EVIDENCE)),
            "identifier = report/demo-4": Query(filter=IdentifierFilter(id="report/demo-4")),
            "body.system.task contains 'FLOWERS'": Query(
                filter=PropertyFilter(name="body.system.task", property="FLOWERS")
            ),
            "body.tags has a tag containing 'night' or report": Query(
                filter=OrFilter(
                    filters=[
                        TagFilter(name="body.tags", tag="night"),
                        TypeFilter(item_type=ArtifactType.REPORT),
                    ]
                )
            ),
            "creator contains 'DEMO' and type = suite": Query(
                filter=AndFilter(
                    filters=[
                        PropertyFilter(name="header.creator", property="DEMO"),
                        TypeFilter(item_type=ArtifactType.TEST_SUITE),
                    ]
                )
            ),
        }
        for title, query in searches.items():
            console.print(_table(f"search: {title}", store.search_artifacts(MODEL, VERSION, query)))
        deleted = store.delete_artifact(MODEL, VERSION, "evidence/extra-0")
        console.print(
            f"deleted {deleted.header.identifier}; "
            f"{len(store.read_artifacts(MODEL, VERSION))} artifacts remain visible"
        )


def demo(
    url: UrlOption = DEFAULT_URL,
    upgrade: Annotated[bool, typer.Option(help="Upgrade the schema to the head first.")] = True,
) -> None:
    """Write, read, page, search and delete sample artifacts, showing each step."""
    with reported():
        if upgrade:
            migrate.upgrade(url)
        run_demo(url, console)
