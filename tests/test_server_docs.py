"""The server walk-through of docs/server.md and the MLTE client example of
docs/mlte-client-and-ui.md, run as written against a real server.

The shell and Python blocks are read from the pages; only the port, the database URL
(each backend's) and the path of `.venv/bin` are substituted. The hidden-prompt line
(`users add admin --admin`) needs a terminal; the prompt itself is tested in
test_cli_server.py.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from .docs_pages import blocks, page, section
from .server import running_server

BIN = Path(sys.executable).parent
DOCS_URL, DOCS_HOST = "sqlite:///mlte_store.db", "127.0.0.1:8080"


def run(command: list[str], script: str) -> str:
    done = subprocess.run(
        [*command, script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, (script, done.stdout, done.stderr)
    return done.stdout


def adapter(store_url: str, host: str) -> Callable[[str], str]:
    """Point a documented script at this test's server, database and interpreter."""

    def adapt(script: str) -> str:
        script = script.replace(DOCS_URL, store_url).replace(DOCS_HOST, host)
        return script.replace(".venv/bin/", f"{BIN}/")

    return adapt


def test_the_server_walk_through_works_as_written(store_url: str, tmp_path: Path) -> None:
    with running_server(store_url, tmp_path / "server.log", users=False) as server:
        adapt = adapter(store_url, server.base_url.removeprefix("http://"))

        start = section(page("server.md"), "Start it, create a user, get a token")
        _, add_users, curl = blocks(start, "sh")
        add_users = "\n".join(line for line in add_users.splitlines() if "--admin" not in line)
        run(["bash", "-e", "-o", "pipefail", "-c"], adapt(add_users))
        answers = run(["bash", "-e", "-o", "pipefail", "-c"], adapt(curl))
        assert '"access_token"' in answers and answers.rstrip().endswith('["flowers"]')

        (client,) = blocks(section(page("mlte-client-and-ui.md"), "MLTE's client"), "python")
        printed = run([sys.executable, "-c"], adapt(client))
        assert printed.rstrip().endswith("card.default")
