"""`mlte-store import-folder|export-folder|dump|load|copy` through the runner and the script."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from mlte_store import migrate
from mlte_store.cli import app
from mlte_store.cli import common as cli_common
from mlte_store.engine import URL_ENV_VAR

from .cli_runner import runner
from .conftest import PostgresServer
from .helpers import same_json
from .mlte_folder import folder_tree, same_tree, store_content, write_mlte_folder

SCRIPT = Path(sys.executable).with_name("mlte-store")


def fresh_store(factory: Callable[[], str]) -> str:
    url = factory()
    migrate.upgrade(url)
    return url


def test_import_export_import_through_the_runner(
    store_url: str, empty_url_factory: Callable[[], str], tmp_path: Path
) -> None:
    files = write_mlte_folder(tmp_path / "mlte")
    result = runner.invoke(app, ["import-folder", str(tmp_path / "mlte"), "--url", store_url])
    assert result.exit_code == 0, result.output
    assert f"{files} artifacts" in result.stdout and "0 refused" in result.stdout
    result = runner.invoke(
        app, ["import-folder", str(tmp_path / "mlte"), "--url", store_url, "--json"]
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["skipped"] == files
    assert "━" not in result.stdout  # no progress bar when not on a terminal

    result = runner.invoke(app, ["export-folder", str(tmp_path / "out"), "--url", store_url])
    assert result.exit_code == 0, result.output
    assert same_tree(folder_tree(tmp_path / "out"), folder_tree(tmp_path / "mlte"))
    second = fresh_store(empty_url_factory)
    result = runner.invoke(app, ["import-folder", str(tmp_path / "out"), "--url", second])
    assert result.exit_code == 0, result.output
    assert same_json(store_content(second), store_content(store_url))


def test_broken_file_import_exits_2_and_names_the_file(store_url: str, tmp_path: Path) -> None:
    write_mlte_folder(tmp_path)
    broken = tmp_path / "models" / "plain" / "v1" / "broken.json"
    broken.write_text('{"header": {"identifier": "broken"}', "utf-8")
    result = runner.invoke(app, ["import-folder", str(tmp_path), "--url", store_url, "--json"])
    assert result.exit_code == 2
    summary = json.loads(result.stdout)
    assert [p["source"] for p in summary["refused"]] == [str(broken)]
    assert "not JSON" in summary["refused"][0]["reason"]
    assert summary["artifacts"] > 0
    result = runner.invoke(app, ["import-folder", str(tmp_path / "nowhere"), "--url", store_url])
    assert result.exit_code == 1 and "models/" in result.stderr


def test_dump_load_and_copy_through_the_runner(
    store_url: str, empty_url_factory: Callable[[], str], tmp_path: Path
) -> None:
    write_mlte_folder(tmp_path / "mlte")
    assert (
        runner.invoke(app, ["import-folder", str(tmp_path / "mlte"), "--url", store_url]).exit_code
        == 0
    )
    dump = tmp_path / "store.jsonl"
    result = runner.invoke(app, ["dump", str(dump), "--url", store_url, "--json"])
    assert result.exit_code == 0, result.output
    second = fresh_store(empty_url_factory)
    result = runner.invoke(app, ["load", str(dump), "--url", second, "--batch-size", "3"])
    assert result.exit_code == 0, result.output
    assert same_json(store_content(second), store_content(store_url))
    third = fresh_store(empty_url_factory)
    result = runner.invoke(app, ["copy", "--from", store_url, "--to", third, "--json"])
    assert result.exit_code == 0, result.output
    assert (
        json.loads(result.stdout)["artifacts"]
        == json.loads(runner.invoke(app, ["dump", str(dump), "--url", store_url, "--json"]).stdout)[
            "artifacts"
        ]
    )
    assert same_json(store_content(third), store_content(store_url))
    unmigrated = empty_url_factory()
    result = runner.invoke(app, ["copy", "--from", store_url, "--to", unmigrated])
    assert result.exit_code == 3 and "upgrade" in result.stderr


def test_console_script_copies_sqlite_into_postgresql(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """The way to grow of docs/moving-data.md: import into SQLite, copy to PostgreSQL, export."""
    sqlite_url = f"sqlite:///{tmp_path / 'laptop.db'}"
    postgres_url = postgres_server.create_database()
    write_mlte_folder(tmp_path / "mlte")
    env = {**os.environ, URL_ENV_VAR: sqlite_url}

    def script(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([SCRIPT, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done

    script("db", "upgrade")
    script("import-folder", str(tmp_path / "mlte"))
    script("db", "upgrade", "--url", postgres_url)
    copied = script("copy", "--from", sqlite_url, "--to", postgres_url, "--json")
    assert json.loads(copied.stdout)["refused"] == []
    assert same_json(store_content(postgres_url), store_content(sqlite_url))
    script("export-folder", str(tmp_path / "out"), "--url", postgres_url)
    assert same_tree(folder_tree(tmp_path / "out"), folder_tree(tmp_path / "mlte"))
    script("dump", str(tmp_path / "pg.jsonl"), "--url", postgres_url)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    script("db", "upgrade", "--url", other)
    script("load", str(tmp_path / "pg.jsonl"), "--url", other)
    assert same_json(store_content(other), store_content(sqlite_url))
    history = script("db", "history", "--json")
    assert json.loads(history.stdout)[-1]["revision"] == migrate.head()


def test_a_progress_bar_is_drawn_on_a_terminal_only(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_mlte_folder(tmp_path)
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100)
    monkeypatch.setattr(cli_common, "console", terminal)
    result = runner.invoke(app, ["import-folder", str(tmp_path), "--url", store_url])
    assert result.exit_code == 0, result.output
    assert "imported" in screen.getvalue() and "━" in screen.getvalue()
    assert "━" not in result.stdout
