"""The `mlte-store` command line: a thin layer of commands over the library.

This module is the one place where commands are wired: each command is a
plain function in a module of this package (`db`, `models`, `artifacts`,
`model_artifacts`, `history`, `transfer`, `server`, `demo`), registered below under
its name. Shared arguments, options and the exit codes are defined once, in `common`.
"""

from __future__ import annotations

import typer

from mlte_store.cli import (
    artifacts,
    db,
    demo,
    history,
    model_artifacts,
    models,
    server,
    transfer,
)
from mlte_store.cli.common import EXIT_CODES, VersionOption, reported

__all__ = ["EXIT_CODES", "app", "main", "reported"]

app = typer.Typer(help="Keep MLTE artifacts in PostgreSQL or SQLite.", no_args_is_help=True)
db_app = typer.Typer(help="Create, upgrade and inspect the database schema.", no_args_is_help=True)
models_app = typer.Typer(help="List, create and remove models.", no_args_is_help=True)
versions_app = typer.Typer(
    help="List, create and remove versions of a model.", no_args_is_help=True
)
artifacts_app = typer.Typer(
    help="List, read, write, remove and search artifacts.", no_args_is_help=True
)
model_artifacts_app = typer.Typer(
    help="List, read, write and remove a model's own (model-level) artifacts, by model only.",
    no_args_is_help=True,
)
history_app = typer.Typer(help="Revision history retention.", no_args_is_help=True)
users_app = typer.Typer(help="Users of the HTTP server and their grants.", no_args_is_help=True)


@app.callback()
def options(version: VersionOption = False) -> None:
    """Keep MLTE artifacts in PostgreSQL or SQLite."""


app.add_typer(db_app, name="db")
app.add_typer(models_app, name="models")
app.add_typer(versions_app, name="versions")
app.add_typer(artifacts_app, name="artifacts")
app.add_typer(model_artifacts_app, name="model-artifacts")

db_app.command("upgrade")(db.db_upgrade)
db_app.command("downgrade")(db.db_downgrade)
db_app.command("current")(db.db_current)
db_app.command("history")(db.db_history)

models_app.command("ls")(models.models_ls)
models_app.command("create")(models.models_create)
models_app.command("rm")(models.models_rm)
versions_app.command("ls")(models.versions_ls)
versions_app.command("create")(models.versions_create)
versions_app.command("rm")(models.versions_rm)

artifacts_app.command("ls")(artifacts.artifacts_ls)
artifacts_app.command("get")(artifacts.artifacts_get)
artifacts_app.command("put")(artifacts.artifacts_put)
artifacts_app.command("rm")(artifacts.artifacts_rm)
artifacts_app.command("search")(artifacts.artifacts_search)
artifacts_app.command("history")(history.artifacts_history)
artifacts_app.command("restore")(history.artifacts_restore)

model_artifacts_app.command("ls")(model_artifacts.model_artifacts_ls)
model_artifacts_app.command("get")(model_artifacts.model_artifacts_get)
model_artifacts_app.command("put")(model_artifacts.model_artifacts_put)
model_artifacts_app.command("rm")(model_artifacts.model_artifacts_rm)

app.command("import-folder")(transfer.import_folder)
app.command("export-folder")(transfer.export_folder)
app.command("dump")(transfer.dump)
app.command("load")(transfer.load)
app.command("copy")(transfer.copy)

app.add_typer(history_app, name="history")
history_app.command("purge")(history.history_purge)
app.command("verify")(history.verify)
app.command("reindex")(history.reindex)

app.command("serve")(server.serve)
app.add_typer(users_app, name="users")
users_app.command("add")(server.users_add)
users_app.command("list")(server.users_list)
users_app.command("passwd")(server.users_passwd)
users_app.command("disable")(server.users_disable)
users_app.command("rm")(server.users_rm)
users_app.command("grant")(server.users_grant)
users_app.command("revoke")(server.users_revoke)

app.command("demo")(demo.demo)


def main() -> None:
    """Entry point of the `mlte-store` console script."""
    app()
