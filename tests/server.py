"""The real server for tests: `mlte-store serve` as a subprocess on 127.0.0.1.

`running_server` migrates a fresh database (a SQLite file or a scratch
PostgreSQL database), creates the test users, starts the console script on a
free port, waits for `/api/healthz`, and stops the process by its PID at the end.
Its output goes to a log file that the tests can read (no key in it, ever).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from benchmarks.http_servers import free_port as free_port
from benchmarks.http_servers import stop as stop
from mlte_store import UserStore, migrate

from .conftest import PostgresServer

SCRIPT = Path(sys.executable).with_name("mlte-store")

#: name -> (password, admin?) of the users every test server has. URL-safe passwords:
#: MLTE's client sends the password of `http://USER:PASS@host` without percent-decoding it.
USERS = {
    "root": ("root-password-1", True),
    "ana": ("ana-password-1", False),
    "bob": ("bob-password-1", False),
}


@dataclass
class Server:
    """A running server: where it listens, its database, its log."""

    base_url: str
    db_url: str
    log: Path
    process: subprocess.Popen[bytes]
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, user: str | None = None) -> httpx.Client:
        """An httpx client on the API, with `user`'s bearer token if given."""
        headers = {} if user is None else {"Authorization": f"Bearer {self.token(user)}"}
        return httpx.Client(base_url=f"{self.base_url}/api", headers=headers, timeout=30)

    def token(self, user: str) -> str:
        """A token for a test user (asked for once per server)."""
        if user not in self.tokens:
            self.tokens[user] = login(self.base_url, user, USERS[user][0])
        return self.tokens[user]


def login(base_url: str, user: str, password: str) -> str:
    """A token from POST /api/token."""
    answer = httpx.post(
        f"{base_url}/api/token",
        data={"grant_type": "password", "username": user, "password": password},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def add_users(db_url: str) -> None:
    with UserStore(db_url) as users:
        for name, (password, admin) in USERS.items():
            users.add(name, password, role="admin" if admin else "user")


@contextmanager
def running_server(db_url: str, log: Path, *args: str, users: bool = True) -> Iterator[Server]:
    """`mlte-store serve --url db_url *args` on a free port until the block ends.

    The database is migrated first and, if `users`, given the test users.
    """
    migrate.upgrade(db_url)
    if users:
        add_users(db_url)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("MLTE_STORE_URL", None)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(SCRIPT), "serve", "--url", db_url, "--port", str(port), *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        _wait_healthy(base_url, process, log)
        yield Server(base_url, db_url, log, process)
    finally:
        stop(process)


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited ({process.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/api/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the server did not answer /api/healthz:\n{log.read_text()}")


def database_url(backend: str, request: pytest.FixtureRequest, folder: Path) -> str:
    """A new, empty database on `backend` for one server."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'store.db'}"
    postgres: PostgresServer = request.getfixturevalue("postgres_server")
    return postgres.create_database()


def part(identifier: str) -> str:
    """An id as MLTE's client puts it into a URL path: `/` as `---`, then percent-encoded."""
    return quote(identifier.replace("/", "---"), safe="")


def unique(prefix: str = "m") -> str:
    """A fresh identifier, so tests sharing one server never meet."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def evidence(identifier: str, **body: Any) -> dict[str, Any]:
    """MLTE's JSON of a small evidence artifact."""
    return {
        "header": {
            "identifier": identifier,
            "type": "evidence",
            "timestamp": -1,
            "creator": None,
            "level": "version",
        },
        "body": {"artifact_type": "evidence", **body},
    }


@contextmanager
def backend_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, *args: str
) -> Iterator[Server]:
    """A server on a new database of the backend `request.param` (a module fixture's param);
    once it has stopped, its log must hold no traceback (no request ended in a crash)."""
    folder = tmp_path_factory.mktemp(f"server-{request.param}")
    url = database_url(str(request.param), request, folder)
    with running_server(url, folder / "server.log", *args) as running:
        yield running
    assert "Traceback" not in running.log.read_text()
