"""Faults during load: a worker killed, PostgreSQL restarted, the server stopped with SIGTERM.

Each runs the workload of `load.py` (fewer seconds than the load test) and
injects its fault while the clients are busy. Afterwards the database must
agree with every acknowledged answer (`check_store`); a write whose answer was
lost or a 503 is "unknown outcome": absent, or stored whole, never partial.

The PostgreSQL restart uses a private PostgreSQL instance started by the test
(initdb into a temporary folder, run as the `postgres` OS user, on a free port
of 127.0.0.1), so the shared test server is never disturbed; it is skipped
where that cannot be done (no PostgreSQL binaries, not root).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from mlte_store import ArtifactRepository

from .conftest import PostgresServer
from .load import Load, check_store, prepare, run_load
from .server import Server, evidence, free_port, part, running_server

pytestmark = pytest.mark.load

FAULT_SECONDS = 12
CLIENTS = 32

#: What each fault did, for docs/guarantees.md; printed, never asserted.
FIGURES: dict[str, dict[str, object]] = {}


def workers_of(server: Server) -> list[int]:
    """PIDs of the uvicorn worker processes (children running the app)."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [
        int(child)
        for child in children
        if "resource_tracker" not in Path(f"/proc/{child}/cmdline").read_text()
    ]


def report(name: str, load: Load, tally: dict[str, int], **extra: object) -> None:
    FIGURES[name] = {**load.figures(), "statuses": load.statuses(), **tally, **extra}
    print(f"\nfault {name}: {json.dumps(FIGURES[name], default=str)}")


def test_a_worker_killed_under_load(postgres_server: PostgresServer, tmp_path: Path) -> None:
    """SIGKILL of one of 4 workers: the others keep serving, only its requests fail."""
    url = postgres_server.create_database()
    with running_server(url, tmp_path / "server.log", "--workers", "4") as server:
        prepare(server)
        workers = workers_of(server)
        assert len(workers) == 4
        killed_at = [0.0]

        def kill_one() -> None:
            time.sleep(FAULT_SECONDS / 3)
            os.kill(workers[0], signal.SIGKILL)
            killed_at[0] = time.monotonic()  # after the signal: the worker answers no more

        load = run_load(server, clients=CLIENTS, seconds=FAULT_SECONDS, during=kill_one)
        statuses = load.statuses()
        assert set(statuses) <= {200, 404, 409, None}, statuses
        failed = [c for c in load.calls if c.status is None]
        # Only the connections the killed worker held fail: each client (one keep-alive
        # connection) at most once, on the request in flight at the kill or the next one
        # sent on that connection before the reset reached it; never after the client's
        # connection answered a request sent once the worker was dead (a live worker's).
        per_client = Counter(c.client for c in failed)
        assert max(per_client.values(), default=0) <= 1, per_client
        for call in failed:
            answered_later = [
                c
                for c in load.calls
                if c.client == call.client
                and killed_at[0] < c.sent < call.sent
                and c.status is not None
            ]
            assert answered_later == [], call.error
        served_after = [c for c in load.calls if c.sent > killed_at[0] and c.status == 200]
        assert served_after
        with server.client("ana") as ana:
            assert ana.get("/readyz").status_code == 200
        deadline = time.monotonic() + 60  # uvicorn replaces the dead worker
        while workers[0] in workers_of(server) or len(workers_of(server)) != 4:
            assert time.monotonic() < deadline, "the killed worker was not replaced"
            time.sleep(0.2)
        tally = check_store(server, load)
    report("worker SIGKILL", load, tally, failed=len(failed))


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found or os.geteuid() != 0 or shutil.which("runuser") is None:
        return None
    return Path(found[-1]).parent


class PrivatePostgres:
    """A PostgreSQL instance of the test's own: initdb, start, stop, start, remove."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="mlte-store-pg-"))
        shutil.chown(self.folder, "postgres")
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin_dir / program), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "-l",
            str(self.folder / "log"),
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("needs PostgreSQL's binaries and root (to run them as the postgres user)")
    instance = PrivatePostgres(bin_dir)
    try:
        instance.start()
        yield instance
    finally:
        instance.remove()


def test_postgresql_restarted_under_load(tmp_path: Path) -> None:
    """During the outage every answer is a quick JSON 503; afterwards the server recovers."""
    with (
        private_postgres() as postgres,
        running_server(postgres.url, tmp_path / "server.log", "--workers", "2") as server,
    ):
        prepare(server)
        outage: dict[str, float] = {}

        def restart() -> None:
            time.sleep(FAULT_SECONDS / 4)
            outage["down"] = time.monotonic()
            postgres.stop()
            time.sleep(FAULT_SECONDS / 4)
            postgres.start()
            outage["up"] = time.monotonic()

        load = run_load(server, clients=CLIENTS, seconds=FAULT_SECONDS, during=restart)
        statuses = load.statuses()
        assert set(statuses) <= {200, 404, 409, 503}, statuses
        unavailable = [c for c in load.calls if c.status == 503]
        assert unavailable, "the outage was not seen"
        for call in unavailable:
            assert call.answer["detail"].startswith("The database is unavailable"), call.answer
        # The server recovers by itself: every client is answered 200 again after the restart.
        recovered = [c for c in load.calls if c.sent > outage["up"] and c.status == 200]
        assert recovered
        deadline = time.monotonic() + 60
        with server.client("ana") as ana:
            while ana.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "no recovery"
                time.sleep(0.2)
            answer = ana.post(
                f"/model/{part('load')}/version/v1/artifact",
                json={"artifact": evidence("after-the-restart")},
            )
            assert answer.status_code == 200, answer.text
        tally = check_store(server, load)
        slowest = max(c.done - c.sent for c in unavailable)
    report(
        "PostgreSQL restart",
        load,
        tally,
        answered_503=len(unavailable),
        slowest_503_ms=round(slowest * 1000),
        outage_s=round(outage["up"] - outage["down"], 1),
    )


def test_sigterm_under_load_finishes_requests_in_flight(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """SIGTERM: a request in flight (a body still arriving) finishes; new connections fail."""
    url = postgres_server.create_database()
    with running_server(url, tmp_path / "server.log", "--workers", "2") as server:
        prepare(server)
        base = f"{server.base_url}/api/model/{part('load')}/version/v1/artifact"
        headers = {
            "Authorization": f"Bearer {server.token('ana')}",
            "Content-Type": "application/json",
        }
        body = json.dumps({"artifact": evidence("in-flight", padding="x" * 1000)}).encode()
        slow: dict[str, object] = {}

        def trickle() -> Iterator[bytes]:
            for i in range(0, len(body), 100):
                if i == 500:
                    slow["started"] = True
                    time.sleep(2)  # SIGTERM arrives while the body is still coming
                yield body[i : i + 100]

        def slow_write() -> None:
            slow["answer"] = httpx.post(base, content=trickle(), headers=headers, timeout=60)

        stopped: dict[str, float] = {}

        def terminate() -> None:
            time.sleep(FAULT_SECONDS / 3)
            writer = threading.Thread(target=slow_write)
            writer.start()
            while "started" not in slow:
                time.sleep(0.01)
            stopped["at"] = time.monotonic()
            os.kill(server.process.pid, signal.SIGTERM)
            writer.join(timeout=60)
            server.process.wait(timeout=60)
            stopped["exited"] = time.monotonic()

        load = run_load(server, clients=CLIENTS, seconds=FAULT_SECONDS, during=terminate)
        assert server.process.returncode == 0
        answer = slow["answer"]
        assert isinstance(answer, httpx.Response) and answer.status_code == 200, answer
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{server.base_url}/api/healthz", timeout=5)
        statuses = load.statuses()
        assert set(statuses) <= {200, 404, 409, None}, statuses
        failed = [c for c in load.calls if c.status is None]
        assert all(c.sent >= stopped["at"] - 1 for c in failed)  # none long before SIGTERM
        tally = check_store(server, load)
        with ArtifactRepository(server.db_url) as repo:
            stored = repo.read_artifact("load", "v1", "in-flight").to_json()
        assert stored == answer.json()["artifact"]
    report(
        "SIGTERM",
        load,
        tally,
        failed=len(failed),
        shutdown_s=round(stopped["exited"] - stopped["at"], 1),
    )
