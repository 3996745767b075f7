"""The README is a newcomer's first page: short, and every command in it works as written.

The library example runs as written in an empty folder; the server example runs against
a real server, with only the port, the database URL (each backend's) and the path of
`.venv/bin` substituted, after checking that `make serve`'s recipe is exactly the
migrate-and-serve the test performs; every `make` target the README names exists; every
file it links to exists.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from .docs_pages import ROOT, blocks, page, section
from .server import running_server

BIN = Path(sys.executable).parent
README_URL, README_HOST = "sqlite:///mlte_store.db", "127.0.0.1:8080"


def test_the_readme_is_short() -> None:
    assert len(page("README.md").splitlines()) < 200


def test_the_library_example_runs_as_written(tmp_path: Path) -> None:
    (example,) = blocks(section(page("README.md"), "The library in ten lines"), "python")
    assert len(example.splitlines()) <= 10
    done = subprocess.run(
        [sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "0.93\n"
    assert (tmp_path / "mlte_store.db").exists()


def test_make_serve_is_migrate_then_serve() -> None:
    shown = subprocess.run(
        ["make", "-n", "serve", "PORT=8123"], cwd=ROOT, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    assert f"mlte-store db upgrade --url {README_URL}\n" in shown.stdout
    serve = f"mlte-store serve --url {README_URL} --host 127.0.0.1 --port 8123\n"
    assert serve in shown.stdout


def test_the_server_example_works_as_written(store_url: str, tmp_path: Path) -> None:
    (example,) = blocks(section(page("README.md"), "The server in five lines"), "sh")
    lines = example.splitlines()
    assert len(lines) == 5 and lines[0].startswith("make serve ")
    with running_server(store_url, tmp_path / "server.log", users=False) as server:
        host = server.base_url.removeprefix("http://")
        script = "\n".join(lines[1:]).replace(README_URL, store_url).replace(README_HOST, host)
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script.replace(".venv/bin/", f"{BIN}/")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (done.stdout, done.stderr)
        assert done.stdout.endswith('{"identifier":"flowers","versions":[]}')


def test_every_make_target_it_names_exists() -> None:
    targets = set(re.findall(r"\bmake ([a-z][a-z-]*)", page("README.md")))
    assert {"demo", "test", "serve", "docs", "docs-serve", "dist"} <= targets
    for target in sorted(targets):
        shown = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
        assert shown.returncode == 0, (target, shown.stderr)


def test_every_file_it_links_to_exists() -> None:
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page("README.md"))
    assert len(links) > 15
    assert [link for link in links if not (ROOT / link).exists()] == []
