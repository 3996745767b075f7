"""The two servers of the HTTP benchmark, each a subprocess on 127.0.0.1 on a free port.

`our_server` runs `mlte-store db upgrade`, `mlte-store users add NAME --admin
--password-stdin` (a random password, never printed) and `mlte-store serve
--workers 2`; `mlte_backend` runs MLTE 2.7.0's `mlte backend` on its relational
store. Both wait for their health route, yield a signed-in `Target`, and stop
the process by its PID when the block ends, whatever happened (no orphans).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

BIN = Path(sys.executable).parent
#: A request not answered in this time counts as status 0 (MLTE's scans can take minutes).
REQUEST_TIMEOUT_S = 300.0
#: MLTE's backend creates this admin on a new store (mlte/store/user/store.py).
MLTE_ADMIN, MLTE_ADMIN_PASSWORD = "admin", "admin1234"


@dataclass(frozen=True)
class Target:
    """A running server: a name for the tables, its API's base URL and a bearer token."""

    name: str
    api: str
    token: str

    def client(self) -> httpx.Client:
        """A keep-alive client with its own single connection."""
        return httpx.Client(
            base_url=self.api,
            headers={"Authorization": f"Bearer {self.token}"},
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            timeout=REQUEST_TIMEOUT_S,
        )


def free_port() -> int:
    """A port on 127.0.0.1 free now (the tests' servers use it too)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def login(api: str, user: str, password: str) -> str:
    """A bearer token from the OAuth 2 password grant at `{api}/token` (both servers have it)."""
    answer = httpx.post(
        f"{api}/token",
        data={"grant_type": "password", "username": user, "password": password},
        timeout=60,
    )
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM by PID (graceful), SIGKILL if it does not end in time (the tests' servers too)."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def _running(
    command: list[str], health: str, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`command` started with its output in `log`, healthy, stopped by PID at the end."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited ({process.returncode}):\n{_tail(log)}")
            try:
                if httpx.get(health, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not answer {health}:\n{_tail(log)}")
            time.sleep(0.2)
        yield process
    finally:
        stop(process)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:]


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in ("MLTE_STORE_URL", "JWT_SECRET_KEY", "STORE_URI"):
        env.pop(name, None)
    return env


@contextmanager
def our_server(db_url: str, workers: int = 2) -> Iterator[Target]:
    """`mlte-store serve --workers N` on a migrated `db_url` with one admin, signed in."""
    script = str(BIN / "mlte-store")
    env = _env()
    _run([script, "db", "upgrade", "--url", db_url], env)
    user, password = "bench", secrets.token_urlsafe(24)
    _run(
        [script, "users", "add", user, "--admin", "--password-stdin", "--url", db_url],
        env,
        password,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [script, "serve", "--url", db_url, "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning"]
    with (
        tempfile.TemporaryDirectory(prefix="mlte_store_http_") as folder,
        _running(command, f"{base}/api/healthz", env, Path(folder) / "serve.log"),
    ):
        yield Target("ours", f"{base}/api", login(f"{base}/api", user, password))


@contextmanager
def mlte_backend(store_uri: str) -> Iterator[Target]:
    """MLTE 2.7.0's `mlte backend --store-uri store_uri` (one process, as it ships), signed in
    as the admin it creates; its token key is random, passed in the environment."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**_env(), "JWT_SECRET_KEY": secrets.token_hex(32), "LOG_LEVEL": "ERROR"}
    command = [str(BIN / "mlte"), "backend", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--store-uri", store_uri]
    api = f"{base}/api"
    with (
        tempfile.TemporaryDirectory(prefix="mlte_backend_") as folder,
        _running(command, f"{base}/api/healthz", env, Path(folder) / "backend.log"),
    ):
        yield Target("MLTE", api, login(api, MLTE_ADMIN, MLTE_ADMIN_PASSWORD))


def _run(command: list[str], env: dict[str, str], stdin: str = "") -> None:
    """Run a CLI command; its output is shown only if it fails (it never holds the password)."""
    done = subprocess.run(
        command, input=f"{stdin}\n".encode(), capture_output=True, env=env, check=False
    )
    if done.returncode != 0:
        output = (done.stdout + done.stderr).decode(errors="replace")
        raise RuntimeError(f"{' '.join(command[1:3])} failed ({done.returncode}):\n{output}")


def fill_mlte_store(store_uri: str, model: str, version: str, artifacts: Iterable[Any]) -> None:
    """Write `artifacts` (MLTE JSON) through MLTE's own store library, in this process.

    The same write as its backend's (`ArtifactFactory.from_model(...).to_model()`, then
    `write_artifact_with_header`) without the pre-save hooks: over HTTP a test suite's
    write reads every negotiation card of the version (a full scan, seconds at N = 1,000),
    which would make a fill of N writes take time in N².
    """
    from mlte.artifact.factory import ArtifactFactory
    from mlte.artifact.model import ArtifactModel
    from mlte.store.base import StoreURI
    from mlte.store.unified_store import setup_stores

    stores = setup_stores(StoreURI.from_string(store_uri))
    session = stores.artifact_store.session()
    try:
        for artifact in artifacts:
            entity = ArtifactFactory.from_model(ArtifactModel(**artifact)).to_model()
            session.artifact_mapper.write_artifact_with_header(
                model, version, entity, user=MLTE_ADMIN
            )
    finally:
        session.close()
