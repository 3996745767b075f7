"""The README's "Serving over HTTP" walk-through, run as written against a real server.

The shell and Python blocks are read from the README; only the port, the
database URL (each backend's) and the path of `.venv/bin` are substituted. The
hidden-prompt line (`users add admin --admin`) needs a terminal; the prompt
itself is tested in test_cli_server.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from .server import running_server

README = Path(__file__).resolve().parent.parent / "README.md"
BIN = Path(sys.executable).parent
README_URL, README_HOST = "sqlite:///mlte_store.db", "127.0.0.1:8080"


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"### {title}")
    end = text.find("\n### ", start + 1)
    return text[start:end]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)


def run(command: list[str], script: str) -> str:
    done = subprocess.run(
        [*command, script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, (script, done.stdout, done.stderr)
    return done.stdout


def test_the_readme_walk_through_works_as_written(store_url: str, tmp_path: Path) -> None:
    with running_server(store_url, tmp_path / "server.log", users=False) as server:
        host = server.base_url.removeprefix("http://")

        def adapt(script: str) -> str:
            script = script.replace(README_URL, store_url).replace(README_HOST, host)
            return script.replace(".venv/bin/", f"{BIN}/")

        start = section("Start it, create a user, get a token")
        _, add_users, curl = blocks(start, "sh")
        add_users = "\n".join(line for line in add_users.splitlines() if "--admin" not in line)
        run(["bash", "-e", "-o", "pipefail", "-c"], adapt(add_users))
        answers = run(["bash", "-e", "-o", "pipefail", "-c"], adapt(curl))
        assert '"access_token"' in answers and answers.rstrip().endswith('["flowers"]')

        (client,) = blocks(section("MLTE's client"), "python")
        printed = run([sys.executable, "-c"], adapt(client))
        assert printed.rstrip().endswith("card.default")
