"""The `mlte-store db` commands, through typer's runner and the real console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import mlte_store
from mlte_store import ArtifactRepository, migrate
from mlte_store.cli import app
from mlte_store.engine import URL_ENV_VAR

from .cli_runner import runner


def test_db_upgrade_current_downgrade(empty_url_factory: object) -> None:
    url = empty_url_factory()  # type: ignore[operator]
    result = runner.invoke(app, ["db", "upgrade", "--url", url])
    assert result.exit_code == 0, result.output
    assert migrate.head() in result.output
    result = runner.invoke(app, ["db", "current", "--url", url])
    assert result.exit_code == 0 and f"{migrate.head()} (head)" in result.output
    result = runner.invoke(app, ["db", "downgrade", "base", "--url", url])
    assert result.exit_code == 0 and migrate.current(url) is None


def test_url_from_environment(empty_url_factory: object) -> None:
    url = empty_url_factory()  # type: ignore[operator]
    result = runner.invoke(app, ["db", "upgrade"], env={URL_ENV_VAR: url})
    assert result.exit_code == 0, result.output
    assert migrate.current(url) == migrate.head()


def test_version_is_the_packages_and_runs_no_command() -> None:
    result = runner.invoke(app, ["--version"])
    assert (result.exit_code, result.output) == (0, f"mlte-store {mlte_store.__version__}\n")
    result = runner.invoke(app, ["--version", "db", "upgrade", "--url", "sqlite://"])
    assert (result.exit_code, result.output) == (0, f"mlte-store {mlte_store.__version__}\n")


def test_db_history_lists_the_head() -> None:
    result = runner.invoke(app, ["db", "history"])
    assert result.exit_code == 0 and migrate.head() in result.output


def test_console_script_upgrades_and_runs_the_demo(empty_url_factory: object) -> None:
    script = Path(sys.executable).with_name("mlte-store")
    env = {**os.environ, URL_ENV_VAR: empty_url_factory()}  # type: ignore[operator]
    upgraded = subprocess.run([script, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert upgraded.returncode == 0, upgraded.stderr
    demo = subprocess.run([script, "demo"], env=env, capture_output=True, text=True)
    assert demo.returncode == 0, demo.stderr
    with ArtifactRepository(env[URL_ENV_VAR]) as repo:
        assert len(repo.read_artifacts("demo-model", "v1.0")) == 7


def test_missing_schema_and_bad_revision_exit_with_an_error(empty_url_factory: object) -> None:
    url = empty_url_factory()  # type: ignore[operator]
    result = runner.invoke(app, ["demo", "--url", url, "--no-upgrade"])
    assert result.exit_code == 3, result.output
    result = runner.invoke(app, ["db", "upgrade", "--url", url, "nope"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
