"""`mlte-store models|versions|artifacts ...` through typer's runner and the console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlte_store import ArtifactRepository
from mlte_store.cli import app
from mlte_store.engine import URL_ENV_VAR

from .cli_runner import runner
from .helpers import make_artifact
from .mlte_folder import artifact_json

SCRIPT = Path(sys.executable).with_name("mlte-store")


def run(url: str, *args: str, code: int = 0, stdin: str | None = None) -> str:
    """Invoke the app with --url; check the exit code; return stdout."""
    result = runner.invoke(app, [*args, "--url", url], input=stdin)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def run_json(url: str, *args: str) -> Any:
    return json.loads(run(url, *args, "--json"))


def test_models_and_versions(store_url: str) -> None:
    run(store_url, "models", "create", "fraud/detector")
    run(store_url, "models", "create", "ünï")
    run(store_url, "models", "create", "ünï", code=1)
    assert run_json(store_url, "models", "ls") == ["fraud/detector", "ünï"]
    assert "fraud/detector" in run(store_url, "models", "ls")
    run(store_url, "versions", "create", "ünï", "v 1")
    run(store_url, "versions", "create", "ünï", "v 1", code=1)
    run(store_url, "versions", "create", "missing", "v1", code=1)
    run(store_url, "versions", "create", "ünï", "", code=2)
    assert run_json(store_url, "versions", "ls", "ünï") == ["v 1"]
    run(store_url, "versions", "rm", "ünï", "v 1")
    run(store_url, "versions", "rm", "ünï", "v 1", code=1)
    assert run_json(store_url, "versions", "ls", "ünï") == []
    run(store_url, "models", "rm", "fraud/detector")
    run(store_url, "models", "rm", "fraud/detector", code=1)
    assert run_json(store_url, "models", "ls") == ["ünï"]


def test_artifacts_put_get_ls_rm(store_url: str, tmp_path: Path) -> None:
    card = artifact_json("card/default", "model", 0)
    path = tmp_path / "card.json"
    path.write_text(json.dumps(card), "utf-8")
    run(store_url, "artifacts", "put", "m", "v", str(path), code=1)  # no parents
    run(store_url, "artifacts", "put", "m", "v", str(path), "--parents")
    run(store_url, "artifacts", "put", "m", "v", str(path), code=1)  # exists
    run(store_url, "artifacts", "put", "m", "v", str(path), "--force")
    evidence = artifact_json("ev/1", "version", 1)
    run(store_url, "artifacts", "put", "m", "v", "-", "--user", "bob", stdin=json.dumps(evidence))
    run(store_url, "artifacts", "put", "m", "v", "-", stdin="{broken", code=2)
    run(store_url, "artifacts", "put", "m", "v", "-", stdin='{"header": {}}', code=2)

    assert run_json(store_url, "artifacts", "get", "m", "v", "card/default") == card
    got = run_json(store_url, "artifacts", "get", "m", "v", "ev/1")
    assert got["header"]["creator"] == "bob" and got["header"]["timestamp"] != 1_700_000_001
    assert got["body"] == evidence["body"]
    assert '"card/default"' in run(store_url, "artifacts", "get", "m", "v", "card/default")
    run(store_url, "artifacts", "get", "m", "v", "nope", code=1)

    listed = run_json(store_url, "artifacts", "ls", "m", "v")
    assert [a["header"]["identifier"] for a in listed] == ["card/default", "ev/1"]
    page = run_json(store_url, "artifacts", "ls", "m", "v", "--limit", "1", "--offset", "1")
    assert [a["header"]["identifier"] for a in page] == ["ev/1"]
    table = run(store_url, "artifacts", "ls", "m", "v")
    assert "card/default" in table and "of 2" in table
    run(store_url, "artifacts", "ls", "m", "v", "--limit", "-1", code=2)

    run(store_url, "artifacts", "rm", "m", "v", "card/default")
    run(store_url, "artifacts", "rm", "m", "v", "card/default", code=1)
    assert [
        a["header"]["identifier"] for a in run_json(store_url, "artifacts", "ls", "m", "v")
    ] == ["ev/1"]


@pytest.fixture
def searchable(store_url: str) -> str:
    with ArtifactRepository(store_url) as repo:
        repo.write_artifacts(
            "m",
            "v",
            [
                make_artifact("a", "card", task="Classify FLOWERS", tags=["Vision", "x"]),
                make_artifact("b", "evidence", task="count flowers", tags=["audio"]),
                make_artifact("c", "report", task="Straße", tags=["vision"], level="model"),
            ],
            parents=True,
        )
    return store_url


def _found(url: str, *args: str) -> list[str]:
    found = run_json(url, "artifacts", "search", "m", "v", *args)
    return [a["header"]["identifier"] for a in found]


def test_search_shortcuts_and_query_json(searchable: str, tmp_path: Path) -> None:
    url = searchable
    assert _found(url) == ["a", "b", "c"]
    assert _found(url, "--type", "card", "--type", "evidence") == ["a", "b"]  # any of the types
    assert _found(url, "--type", "card", "--type", "evidence", "--id", "b") == ["b"]
    assert _found(url, "--type", "evidence") == ["b"]
    assert _found(url, "--id", "c") == ["c"]
    assert _found(url, "--where", "body.task~flowers") == ["a", "b"]
    assert _found(url, "--where", "body.task~STRASSE") == ["c"]
    assert _found(url, "--tag", "body.tags~VIS") == ["a", "c"]
    assert _found(url, "--tag", "body.tags~vis", "--type", "report") == ["c"]
    query = {
        "filter": {
            "type": "or",
            "filters": [{"type": "identifier", "id": "b"}, {"type": "type", "item_type": "report"}],
        }
    }
    assert _found(url, "--query", json.dumps(query)) == ["b", "c"]
    assert _found(url, "--query", json.dumps(query["filter"]), "--limit", "1") == ["b"]
    (tmp_path / "q.json").write_text(json.dumps(query), "utf-8")
    assert _found(url, "--query", str(tmp_path / "q.json"), "--offset", "1") == ["c"]
    assert "a" in run(url, "artifacts", "search", "m", "v", "--type", "card")
    run(url, "artifacts", "search", "m", "v", "--where", "no-tilde", code=2)
    run(url, "artifacts", "search", "m", "v", "--query", '{"filter": {"type": "?"}}', code=2)
    run(url, "artifacts", "search", "m", "v", "--query", str(tmp_path / "missing"), code=2)
    run(url, "artifacts", "search", "m", "nope", code=1)


def test_read_commands_need_the_schema(empty_url_factory: Any) -> None:
    url = empty_url_factory()
    run(url, "models", "ls", code=3)
    assert json.loads(run(url, "db", "current", "--json"))["at_head"] is False


def test_console_script_models_artifacts_and_search(searchable: str, tmp_path: Path) -> None:
    env = {**os.environ, URL_ENV_VAR: searchable}

    def script(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [SCRIPT, *args], env=env, capture_output=True, text=True, input=stdin, timeout=60
        )

    listed = script("models", "ls", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == ["m"]
    put = script(
        "artifacts",
        "put",
        "m",
        "v2",
        "-",
        "--parents",
        stdin=json.dumps(artifact_json("new", "version", 3)),
    )
    assert put.returncode == 0, put.stderr
    assert json.loads(script("versions", "ls", "m", "--json").stdout) == ["v", "v2"]
    got = script("artifacts", "get", "m", "v2", "new", "--json")
    assert json.loads(got.stdout) == artifact_json("new", "version", 3)
    search = script("artifacts", "search", "m", "v2", "--tag", "body.tags~vision", "--json")
    assert [a["header"]["identifier"] for a in json.loads(search.stdout)] == ["c"]
    missing = script("artifacts", "rm", "m", "v2", "nope")
    assert missing.returncode == 1 and "'nope' not found" in missing.stderr
    usage = script("artifacts", "ls")
    assert usage.returncode == 2
    assert script("versions", "rm", "m", "v2").returncode == 0
    assert script("artifacts", "--help").returncode == 0
