"""`mlte-store` commands for history and upkeep: artifacts history/restore, history purge,
verify, reindex.

`artifacts history`, `artifacts restore`, `history purge`, `verify` and
`reindex`, each a thin call into ArtifactRepository; `mlte_store.cli` registers them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated

import typer
from rich.table import Table

from mlte_store import casefold
from mlte_store.cli.common import (
    DEFAULT_URL,
    EXIT_MISMATCH,
    ArtifactArg,
    JsonOption,
    ModelArg,
    UrlOption,
    VersionArg,
    console,
    fail,
    open_store,
    print_json,
)
from mlte_store.models import DigestMismatch

LevelOption = Annotated[
    str | None,
    typer.Option(help="'model' or 'version' history (default: the version's if it has one)."),
]


def artifacts_history(
    model_id: ModelArg,
    version_id: VersionArg,
    artifact_id: ArtifactArg,
    level: LevelOption = None,
    url: UrlOption = DEFAULT_URL,
    as_json: JsonOption = False,
) -> None:
    """List every revision of an artifact, oldest first, deletions included."""
    with open_store(url) as store:
        revisions = store.read_artifact_history(model_id, version_id, artifact_id, level=level)
    if as_json:
        print_json([entry.model_dump(mode="json") for entry in revisions])
        return
    table = Table("revision", "recorded at (UTC)", "change", "creator", "timestamp", "digest")
    for entry in revisions:
        table.add_row(
            str(entry.revision),
            entry.recorded_at.astimezone(timezone.utc).isoformat(timespec="seconds"),
            "deleted" if entry.deleted else "written",
            entry.header.creator or "-",
            str(entry.header.timestamp),
            (entry.digest or "-")[:12],
        )
    console.print(table)


def artifacts_restore(
    model_id: ModelArg,
    version_id: VersionArg,
    artifact_id: ArtifactArg,
    revision: Annotated[int, typer.Option(help="The revision whose content to restore.")],
    level: LevelOption = None,
    user: Annotated[
        str | None, typer.Option(help="Stamp the restored header with this creator and now.")
    ] = None,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Make an old revision's content the current artifact again (recorded as a new revision)."""
    with open_store(url) as store:
        store.restore_artifact(
            model_id, version_id, artifact_id, revision=revision, level=level, user=user
        )
        latest = store.read_artifact_history(model_id, version_id, artifact_id, level=level)[-1]
    console.print(f"restored revision {revision} of {artifact_id!r}; now at {latest.revision}")


def history_purge(
    model_id: Annotated[str | None, typer.Option("--model", help="Only this model.")] = None,
    version_id: Annotated[
        str | None, typer.Option("--version", help="Only this version (needs --model).")
    ] = None,
    older_than_days: Annotated[
        float | None, typer.Option(help="Only revisions recorded more than this many days ago.")
    ] = None,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Delete recorded revisions (keeping each artifact's current one). Destroys history."""
    older_than = (
        datetime.now(timezone.utc) - timedelta(days=older_than_days)
        if older_than_days is not None
        else None
    )
    with open_store(url) as store:
        purged = store.purge_history(model_id, version_id, older_than)
    console.print(f"purged {purged} revision(s)")


def verify(url: UrlOption = DEFAULT_URL, as_json: JsonOption = False) -> None:
    """Recompute every body's digest; exit 5 if any artifact or revision no longer matches."""
    with open_store(url) as store:
        problems = store.verify()
    if as_json:
        print_json([problem.model_dump(mode="json") for problem in problems])
    elif not problems:
        console.print("every artifact and revision matches its digest")
    else:
        console.print(_mismatch_table(problems))
    if problems:
        raise fail(f"{len(problems)} bodies no longer match their digest", EXIT_MISMATCH)


def reindex(
    batch_size: Annotated[
        int, typer.Option(help="Search documents folded per transaction.", min=1)
    ] = 500,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Fold search documents again with this Python's Unicode tables where another
    version folded them (resumable, safe alongside writers)."""
    with open_store(url) as store:
        done = store.reindex(batch_size=batch_size)
    console.print(
        f"{done} search documents folded again with Unicode {casefold.UNICODE_VERSION}",
        highlight=False,
    )


def _mismatch_table(problems: list[DigestMismatch]) -> Table:
    table = Table("model", "version", "artifact", "revision", "stored digest", "body's digest")
    for problem in problems:
        table.add_row(
            problem.model_id,
            problem.version_id or "(model level)",
            problem.artifact_id,
            "current" if problem.revision is None else str(problem.revision),
            problem.stored_digest[:12],
            problem.computed_digest[:12],
        )
    return table
