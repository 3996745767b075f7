"""The history commands of `mlte-store`, through typer's runner, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import update

from mlte_store import ArtifactRepository
from mlte_store.cli import app
from mlte_store.tables import ArtifactRow

from .cli_runner import runner
from .helpers import make_artifact


def test_history_restore_purge(store_url: str) -> None:
    with ArtifactRepository(store_url) as repo:
        repo.write_artifact("m", "v", make_artifact("a", n=1), parents=True)
        repo.write_artifact("m", "v", make_artifact("a", n=2), force=True)
        repo.delete_artifact("m", "v", "a")
    result = runner.invoke(app, ["artifacts", "history", "m", "v", "a", "--url", store_url])
    assert result.exit_code == 0, result.output
    assert "deleted" in result.output and "written" in result.output
    result = runner.invoke(
        app, ["artifacts", "restore", "m", "v", "a", "--revision", "1", "--url", store_url]
    )
    assert result.exit_code == 0, result.output
    assert "now at 4" in result.output
    with ArtifactRepository(store_url) as repo:
        assert repo.read_artifact("m", "v", "a").body["n"] == 1
    result = runner.invoke(app, ["history", "purge", "--model", "m", "--url", store_url])
    assert result.exit_code == 0 and "purged 3 revision(s)" in result.output
    with ArtifactRepository(store_url) as repo:
        assert [r.revision for r in repo.read_artifact_history("m", "v", "a")] == [4]


def test_history_errors_exit_with_the_documented_codes(store_url: str) -> None:
    result = runner.invoke(app, ["artifacts", "history", "m", "v", "a", "--url", store_url])
    assert result.exit_code == 1 and "model 'm'" in result.output
    result = runner.invoke(app, ["history", "purge", "--version", "v", "--url", store_url])
    assert result.exit_code == 2 and "model_id" in result.output


def test_verify_reports_a_tampered_body(store_url: str) -> None:
    with ArtifactRepository(store_url) as repo:
        repo.write_artifact("m", "v", make_artifact("a", n=1), parents=True)
    result = runner.invoke(app, ["verify", "--url", store_url])
    assert result.exit_code == 0 and "matches" in result.output
    with ArtifactRepository(store_url) as repo, repo.engine.begin() as connection:
        connection.execute(update(ArtifactRow).values(body={"artifact_type": "evidence"}))
    result = runner.invoke(app, ["verify", "--url", store_url])
    assert result.exit_code == 5
    assert "current" in result.output and "'a'" not in result.output and " a " in result.output
