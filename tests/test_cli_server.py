"""`mlte-store users ...` and the checks `mlte-store serve` makes before it starts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from mlte_store import ArtifactRepository, Permission, UserStore
from mlte_store.cli import app

runner = CliRunner()


def run(url: str, *args: str, code: int = 0, stdin: str | None = None) -> str:
    result = runner.invoke(app, [*args, "--url", url], input=stdin)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    return " ".join((result.stdout + result.stderr).split())


def test_users_lifecycle_with_passwords_from_stdin_and_the_prompt(store_url: str) -> None:
    run(store_url, "users", "add", "root", "--admin", "--password-stdin", stdin="root password\n")
    out = run(store_url, "users", "add", "ana", stdin="ana password\nana password\n")
    assert "ana password" not in out
    run(store_url, "users", "add", "ana", "--password-stdin", stdin="ana password\n", code=1)
    run(store_url, "users", "add", "bob", "--password-stdin", stdin="short\n", code=2)
    with ArtifactRepository(store_url) as repo:
        repo.create_model("m/1")
    run(store_url, "users", "grant", "ana", "m/1", "write")
    run(store_url, "users", "grant", "ana", "missing", "read", code=1)
    run(store_url, "users", "grant", "ana", "m/1", "admin", code=2)
    listed = json.loads(run(store_url, "users", "list", "--json"))
    assert [(u["name"], u["role"], u["grants"]) for u in listed] == [
        ("ana", "user", {"m/1": "write"}),
        ("root", "admin", {}),
    ]
    assert "$argon2" not in json.dumps(listed)
    run(store_url, "users", "passwd", "ana", "--password-stdin", stdin="new ana password\n")
    run(store_url, "users", "disable", "ana")
    with UserStore(store_url) as users:
        ana = users.authenticate("ana", "new ana password")
        assert ana is not None and ana.disabled and ana.token_generation == 2
        assert users.access(ana, "m/1") == (True, Permission.WRITE)
    run(store_url, "users", "revoke", "ana", "m/1")
    run(store_url, "users", "revoke", "ana", "m/1", code=1)
    run(store_url, "users", "rm", "ana")
    run(store_url, "users", "rm", "ana", code=1)
    assert [u["name"] for u in json.loads(run(store_url, "users", "list", "--json"))] == ["root"]


def test_a_password_is_never_taken_from_the_command_line(store_url: str) -> None:
    result = runner.invoke(app, ["users", "add", "ana", "--password", "x" * 12, "--url", store_url])
    assert result.exit_code == 2
    with UserStore(store_url) as users:
        assert users.list_users() == []


def test_serve_refuses_an_unmigrated_database_and_a_short_key(
    empty_url_factory: Callable[[], str], store_url: str, tmp_path: Path
) -> None:
    out = run(empty_url_factory(), "serve", "--port", "1", code=3)
    assert "mlte-store db upgrade" in out
    key_file = tmp_path / "key"
    key_file.write_text("too short")
    out = run(store_url, "serve", "--secret-key-file", str(key_file), "--port", "1", code=2)
    assert "at least 32" in out and "too short" not in out
