"""`mlte-store serve` and `mlte-store users ...`: the HTTP server and its users.

Plain functions; `mlte_store.cli` wires them as commands.

Passwords are read from a hidden, confirmed prompt or, with `--password-stdin`,
from the first line of standard input: never from the command line, where
other users of the machine could see them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mlte_store.accounts import Permission, Role, check_password
from mlte_store.cli.common import (
    DEFAULT_URL,
    EXIT_BAD_INPUT,
    JsonOption,
    ModelArg,
    UrlOption,
    console,
    fail,
    print_json,
    reported,
)
from mlte_store.users import UserStore

#: How long a stopping server lets requests in flight finish.
GRACEFUL_SHUTDOWN_SECONDS = 30

NameArg = Annotated[str, typer.Argument(help="User name.")]
PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
]


@contextmanager
def open_users(url: str) -> Iterator[UserStore]:
    """A user store on `url`, its errors reported as exit codes, closed afterwards."""
    with reported(), UserStore(url) as store:
        yield store


def read_password(from_stdin: bool) -> str:
    """The new password: stdin's first line, or a hidden prompt asked twice."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with reported():
        return check_password(password)


def users_add(
    name: NameArg,
    admin: Annotated[bool, typer.Option("--admin", help="May do everything.")] = False,
    password_stdin: PasswordStdin = False,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Create a user (a regular user unless --admin)."""
    password = read_password(password_stdin)
    with open_users(url) as users:
        user = users.add(name, password, role=Role.ADMIN if admin else Role.USER)
    console.print(f"user {user.name!r} created ({user.role.value})")


def users_list(url: UrlOption = DEFAULT_URL, as_json: JsonOption = False) -> None:
    """List the users and their grants."""
    with open_users(url) as users:
        everyone, grants = users.list_users(), users.grants()
    held: dict[str, list[str]] = {}
    for name, model, permission in grants:
        held.setdefault(name, []).append(f"{model}: {permission.value}")
    if as_json:
        print_json(
            [
                {
                    "name": user.name,
                    "role": user.role.value,
                    "disabled": user.disabled,
                    "created_at": user.created_at.isoformat(),
                    "grants": {
                        model: permission.value
                        for name, model, permission in grants
                        if name == user.name
                    },
                }
                for user in everyone
            ]
        )
        return
    table = Table("name", "role", "disabled", "created", "grants", title=f"{len(everyone)} users")
    for user in everyone:
        table.add_row(
            user.name,
            user.role.value,
            "yes" if user.disabled else "no",
            user.created_at.strftime("%Y-%m-%d %H:%M"),
            ", ".join(held.get(user.name, [])) or "-",
        )
    console.print(table)


def users_passwd(
    name: NameArg, password_stdin: PasswordStdin = False, url: UrlOption = DEFAULT_URL
) -> None:
    """Set a user's password; their earlier tokens stop working."""
    password = read_password(password_stdin)
    with open_users(url) as users:
        users.passwd(name, password)
    console.print(f"password of {name!r} changed")


def users_disable(
    name: NameArg,
    enable: Annotated[bool, typer.Option("--enable", help="Enable the user again.")] = False,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Disable a user: no new tokens, earlier tokens stop working."""
    with open_users(url) as users:
        users.disable(name, not enable)
    console.print(f"user {name!r} {'enabled' if enable else 'disabled'}")


def users_rm(name: NameArg, url: UrlOption = DEFAULT_URL) -> None:
    """Delete a user and their grants."""
    with open_users(url) as users:
        users.remove(name)
    console.print(f"user {name!r} deleted")


def users_grant(
    name: NameArg,
    model: ModelArg,
    permission: Annotated[Permission, typer.Argument(help="read, or write (includes read).")],
    url: UrlOption = DEFAULT_URL,
) -> None:
    """Give a user read or write on a model."""
    with open_users(url) as users:
        users.grant(name, model, permission)
    console.print(f"{name!r} may {permission.value} model {model!r}")


def users_revoke(name: NameArg, model: ModelArg, url: UrlOption = DEFAULT_URL) -> None:
    """Remove a user's grant on a model."""
    with open_users(url) as users:
        users.revoke(name, model)
    console.print(f"{name!r} no longer has a grant on model {model!r}")


def serve(
    url: UrlOption = DEFAULT_URL,
    host: Annotated[
        str, typer.Option(envvar="MLTE_STORE_HOST", help="Address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="MLTE_STORE_PORT", help="Port to listen on.")] = 8080,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    max_body: Annotated[
        int, typer.Option(envvar="MLTE_STORE_MAX_BODY", min=1, help="Largest request body, bytes.")
    ] = 16 * 1024 * 1024,
    token_ttl: Annotated[
        int, typer.Option(envvar="MLTE_STORE_TOKEN_TTL", min=1, help="Token lifetime, seconds.")
    ] = 2 * 60 * 60,
    secret_key_file: Annotated[
        Path | None,
        typer.Option(
            envvar="MLTE_STORE_SECRET_KEY_FILE",
            help="File holding the token signing key (default: generated once, kept in the DB).",
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
    ui: Annotated[
        bool, typer.Option("--ui", help="Also serve MLTE's web UI at / (needs the `ui` extra).")
    ] = False,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            "--cors-origin",
            help="An origin whose pages may call the API, e.g. http://localhost:8000 (repeatable).",
        ),
    ] = None,
) -> None:
    """Serve the store over MLTE's HTTP API (needs the `server` extra), and MLTE's UI with --ui."""
    try:
        import uvicorn
        from pydantic import ValidationError

        from mlte_store.server import ServerSettings
        from mlte_store.server.mlte_package import ui_folder
    except ImportError as exc:
        raise fail(f"the server needs its extra: pip install 'mlte_store[server]' ({exc})") from exc
    settings = ServerSettings.from_env().model_copy(
        update={"url": url, "max_body": max_body, "token_ttl": token_ttl}
    )
    try:
        browser = ServerSettings(
            ui=ui or settings.ui, cors_origins=cors_origin or settings.cors_origins
        )
    except ValidationError as exc:
        raise fail(f"--cors-origin: {exc.errors()[0]['msg']}", EXIT_BAD_INPUT) from exc
    if browser.ui and ui_folder() is None:
        raise fail("--ui needs MLTE's web UI: pip install 'mlte_store[ui]'", EXIT_BAD_INPUT)
    if secret_key_file is not None:
        settings = settings.model_copy(update={"secret_key_file": secret_key_file})
    try:
        settings.configured_key()
    except (OSError, ValueError) as exc:
        raise fail(f"signing key: {exc}", EXIT_BAD_INPUT) from exc
    with open_users(url) as users:
        if not users.list_users():
            console.print(
                "no users yet; create the first admin with:\n"
                f"  mlte-store users add NAME --admin --url '{url}'",
                highlight=False,
            )
    # Each worker process builds its app from these (the key file's path, never the key).
    os.environ.update(
        {
            "MLTE_STORE_URL": url,
            "MLTE_STORE_MAX_BODY": str(max_body),
            "MLTE_STORE_TOKEN_TTL": str(token_ttl),
            "MLTE_STORE_UI": "1" if browser.ui else "",
            "MLTE_STORE_CORS_ORIGINS": ",".join(browser.cors_origins),
        }
    )
    if secret_key_file is not None:
        os.environ["MLTE_STORE_SECRET_KEY_FILE"] = str(secret_key_file.resolve())
    console.print(f"serving on http://{host}:{port}/api (docs: /api/docs)", highlight=False)
    if browser.ui:
        console.print(f"MLTE's web UI: http://{host}:{port}/", highlight=False)
    uvicorn.run(
        "mlte_store.server.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
