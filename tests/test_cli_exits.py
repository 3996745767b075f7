"""Every documented exit code of `mlte-store`, from the real console script, on both backends.

docs/cli.md (Exit codes): 0 done, 1 not found or already exists, 2 bad usage or input,
3 schema missing or behind, 4 database failure, 5 `verify` found a body that no longer
matches its digest; errors go to stderr. A crash (an uncaught exception) is none of
these: it prints a traceback, so each error exit is also checked to carry a one-line
message naming what was wrong and no traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, update
from sqlalchemy.engine import make_url

from mlte_store import ArtifactRepository, migrate

from .cli_runner import runner
from .helpers import make_artifact

SCRIPT = Path(sys.executable).with_name("mlte-store")


def mlte_store(url: str, *args: str, code: int) -> tuple[str, str]:
    """Run the console script with --url; check its exit code; return (stdout, stderr).

    An error exit must print one `error: ...` message to stderr and no traceback;
    whitespace is normalised because the message is wrapped to the terminal width.
    """
    done = subprocess.run(
        [SCRIPT, *args, "--url", url],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "300"},
        timeout=120,
    )
    assert done.returncode == code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    stderr = " ".join(done.stderr.split())
    if code == 0:
        assert stderr == "", stderr
    else:
        assert stderr.startswith("error: "), stderr
        assert stderr.count("error: ") == 1, stderr
    return done.stdout, stderr


def unreachable_url(backend: str, tmp_path: Path) -> str:
    """A URL whose database cannot be opened on the test's backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'no such folder' / 'store.db'}"
    return "postgresql://nobody@127.0.0.1:1/none"


def test_exit_0_done(store_url: str) -> None:
    out, _ = mlte_store(store_url, "models", "create", "m", code=0)
    assert "m" in out
    out, _ = mlte_store(store_url, "models", "ls", "--json", code=0)
    assert json.loads(out) == ["m"]


def test_exit_1_not_found_names_model_version_and_artifact(store_url: str) -> None:
    with ArtifactRepository(store_url) as repo:
        repo.write_artifact("flowers", "v1", make_artifact("other"), parents=True)
    _, err = mlte_store(store_url, "artifacts", "get", "flowers", "v1", "eval/acc", code=1)
    assert err == "error: model 'flowers', version 'v1', artifact 'eval/acc' not found"
    _, err = mlte_store(store_url, "versions", "ls", "bees", code=1)
    assert "model 'bees'" in err and "not found" in err


def test_exit_1_already_exists(store_url: str) -> None:
    mlte_store(store_url, "models", "create", "m", code=0)
    _, err = mlte_store(store_url, "models", "create", "m", code=1)
    assert "model 'm'" in err and "already exists" in err


def test_exit_2_bad_input_names_the_input_and_writes_nothing(store_url: str) -> None:
    mlte_store(store_url, "versions", "create", "m", "v", code=1)  # no model m yet
    mlte_store(store_url, "models", "create", "m", code=0)
    _, err = mlte_store(store_url, "versions", "create", "m", "", code=2)
    assert "identifier" in err
    mlte_store(store_url, "versions", "create", "m", "v", code=0)
    _, err = mlte_store(store_url, "artifacts", "ls", "m", "v", "--limit", "10001", code=2)
    assert "limit" in err and "10000" in err.replace(",", "")
    _, err = mlte_store(store_url, "artifacts", "ls", "m", "v", "--offset", "-1", code=2)
    assert "offset" in err
    with ArtifactRepository(store_url) as repo:
        assert repo.list_versions("m") == ["v"]
        assert repo.count_artifacts("m", "v") == 0


def test_exit_2_bad_usage_from_the_parser(store_url: str) -> None:
    done = subprocess.run(
        [SCRIPT, "artifacts", "get", "--url", store_url], capture_output=True, text=True
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "Missing argument" in done.stderr


@pytest.mark.parametrize("command", ["upgrade", "downgrade"])
def test_exit_2_for_an_unknown_revision_and_the_schema_is_untouched(
    store_url: str, command: str
) -> None:
    _, err = mlte_store(store_url, "db", command, "nope", code=2)
    assert "'nope'" in err and "revision" in err
    assert migrate.current(store_url) == migrate.head()


def test_exit_2_for_an_unknown_revision_on_an_empty_database(
    empty_url_factory: Callable[[], str],
) -> None:
    url = empty_url_factory()
    _, err = mlte_store(url, "db", "upgrade", "nope", code=2)
    assert "'nope'" in err
    assert migrate.current(url) is None


def test_exit_3_schema_missing_says_what_to_run(empty_url_factory: Callable[[], str]) -> None:
    url = empty_url_factory()
    _, err = mlte_store(url, "models", "ls", code=3)
    assert "no mlte_store schema" in err and "mlte-store db upgrade" in err


def test_exit_3_schema_behind_names_both_revisions(store_url: str) -> None:
    first = migrate.history()[0][0]
    assert first != migrate.head()
    migrate.downgrade(store_url, first)
    try:
        _, err = mlte_store(store_url, "models", "ls", code=3)
        assert first in err and migrate.head() in err and "mlte-store db upgrade" in err
    finally:
        migrate.upgrade(store_url)


def test_exit_4_database_failure(backend: str, tmp_path: Path) -> None:
    url = unreachable_url(backend, tmp_path)
    _, err = mlte_store(url, "models", "ls", code=4)
    shown = make_url(url).render_as_string(hide_password=True)
    assert shown in err or (make_url(url).database or "") in err


def test_exit_5_verify_finds_a_tampered_body(store_url: str) -> None:
    with ArtifactRepository(store_url) as repo:
        repo.write_artifact("m", "v", make_artifact("a", n=1), parents=True)
        repo.write_artifact("m", "v", make_artifact("b", n=1))
    out, _ = mlte_store(store_url, "verify", code=0)
    assert "match" in out
    with ArtifactRepository(store_url) as repo, repo.engine.begin() as connection:
        artifacts = Table("mlte_artifact", MetaData(), autoload_with=connection)
        connection.execute(
            update(artifacts)
            .where(artifacts.c.identifier == "b")
            .values(body={"artifact_type": "evidence", "n": 2})
        )
    out, err = mlte_store(store_url, "verify", code=5)
    assert "1 bodies no longer match" in err
    assert " b " in f" {' '.join(out.split())} "


def test_the_runner_raises_a_crash_instead_of_reporting_exit_1(store_url: str) -> None:
    """The strict runner used by the CLI tests: an exception escapes, a documented exit does not."""
    import typer

    crashing = typer.Typer()

    @crashing.command()
    def boom() -> None:
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError, match="crash"):
        runner.invoke(crashing, [])
    from mlte_store.cli import app

    result = runner.invoke(app, ["models", "rm", "missing", "--url", store_url])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
