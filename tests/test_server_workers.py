"""Several worker processes on PostgreSQL: the library's guarantees hold through HTTP.

Every request goes out on a new connection, so the kernel hands it to either
worker; a write acknowledged with 200 must be readable by the very next request,
and a token issued by one worker must be accepted by the other (one signing key,
kept in the database).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx

from .conftest import PostgresServer
from .server import USERS, evidence, login, running_server, unique


def wait_for_workers(log: Path, count: int) -> int:
    """How many workers finished starting (waiting up to a minute for `count` of them)."""
    deadline = time.monotonic() + 60
    while True:
        started = len(re.findall(r"Application startup complete", log.read_text()))
        if started >= count or time.monotonic() > deadline:
            return started
        time.sleep(0.1)


def test_an_acknowledged_write_is_readable_by_the_next_request_on_any_worker(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.create_database()
    log = tmp_path / "server.log"
    with running_server(url, log, "--workers", "2") as server:
        assert wait_for_workers(log, 2) == 2
        api = f"{server.base_url}/api"

        token = login(server.base_url, "ana", USERS["ana"][0])

        def request(method: str, path: str, **kwargs: object) -> httpx.Response:
            with httpx.Client(base_url=api, timeout=30) as fresh:  # a new connection
                return fresh.request(
                    method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
                )

        model = unique()
        assert request("POST", "/model", json={"identifier": model}).status_code == 200
        assert request("POST", f"/model/{model}/version", json={"identifier": "v"}).is_success
        url_base = f"/model/{model}/version/v/artifact"
        for i in range(25):
            if i % 5 == 0:
                token = login(server.base_url, "ana", USERS["ana"][0])  # from either worker
            written = request("POST", url_base, json={"artifact": evidence(f"e{i:02}", n=i)})
            assert written.status_code == 200, written.text
            read = request("GET", f"{url_base}/e{i:02}")
            assert read.status_code == 200 and read.json() == written.json()["artifact"]
            listed = request("GET", url_base, params={"limit": 1000})
            assert listed.headers["x-total-count"] == str(i + 1 + min(i, 1))  # + "shared"
            forced = request(
                "POST", url_base, json={"artifact": evidence("shared", n=i), "force": True}
            )
            assert forced.status_code == 200
            assert request("GET", f"{url_base}/shared").json()["body"]["n"] == i
