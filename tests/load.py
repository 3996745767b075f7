"""A bounded mixed workload against a running server, and the checks of what it left behind.

`run_load` starts `clients` threads, each with its own keep-alive httpx client,
doing a seeded random mix for at most `seconds` (and at most `max_requests`
each) against one model and version: new writes, forced overwrites of a few
shared ids, racing writes of one new id (no `force`: one winner, the rest
409), reads, pages, searches and deletes of the client's own artifacts. Every
request is recorded (what was sent, when, and the status or the transport
error). `check_store` then holds the database to what the clients were told.

A write whose answer never came (transport error) or was a 503 has an unknown
outcome: it may or may not have been stored, but if it was, it is whole.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from mlte_store import ArtifactRepository, ErrorNotFound

from .server import Server, evidence, part

MODEL, VERSION = "load", "v1"
SHARED = [f"shared-{i}" for i in range(8)]
URL = f"/model/{part(MODEL)}/version/{part(VERSION)}/artifact"


@dataclass
class Call:
    """One request: what, when, and how it ended (status, or None for a transport error)."""

    kind: str
    identifier: str | None
    body: dict[str, Any] | None
    sent: float
    done: float
    status: int | None
    answer: Any = None
    error: str | None = None
    #: Which client (thread, with its one keep-alive connection) sent it.
    client: int = -1


@dataclass
class Load:
    """Everything the clients did."""

    calls: list[Call] = field(default_factory=list)
    seconds: float = 0.0

    def statuses(self) -> dict[int | None, int]:
        counted: dict[int | None, int] = defaultdict(int)
        for call in self.calls:
            counted[call.status] += 1
        return dict(counted)

    def figures(self) -> dict[str, float]:
        """Requests, throughput and latency percentiles (milliseconds) of the answered calls."""
        latencies = sorted(c.done - c.sent for c in self.calls if c.status is not None)
        cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
        return {
            "requests": len(self.calls),
            "per_second": len(self.calls) / self.seconds,
            "p50_ms": cuts[49] * 1000,
            "p99_ms": cuts[98] * 1000,
        }


def prepare(server: Server) -> None:
    """The model and version the load writes into (ana's)."""
    with server.client("ana") as ana:
        assert ana.post("/model", json={"identifier": MODEL}).status_code == 200
        version = ana.post(f"/model/{part(MODEL)}/version", json={"identifier": VERSION})
        assert version.status_code == 200


def _client(
    server: Server,
    number: int,
    deadline: float,
    max_requests: int,
    record: Callable[[Call], None],
) -> None:
    rng = random.Random(number)
    token = server.token("ana")
    mine: list[str] = []
    written = 0
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"{server.base_url}/api", headers=headers, timeout=60) as http:
        for step in range(max_requests):
            if time.monotonic() >= deadline:
                return
            roll = rng.random()
            identifier: str | None = None
            body: dict[str, Any] | None = None
            if roll < 0.25 or not mine:
                kind, identifier = "write", f"c{number}-{written}"
                written += 1
                body = evidence(identifier, client=number, step=step)
                request = ("POST", URL, {"json": {"artifact": body}})
            elif roll < 0.40:
                kind, identifier = "overwrite", rng.choice(SHARED)
                body = evidence(identifier, client=number, step=step)
                request = ("POST", URL, {"json": {"artifact": body, "force": True}})
            elif roll < 0.47:
                kind = "race"
                identifier = f"race-{int(time.monotonic() * 4)}"  # one id per quarter second
                body = evidence(identifier, client=number, step=step)
                request = ("POST", URL, {"json": {"artifact": body}})
            elif roll < 0.65:
                kind, identifier = "read", rng.choice(mine + SHARED)
                request = ("GET", f"{URL}/{part(identifier)}", {})
            elif roll < 0.77:
                kind = "page"
                request = ("GET", URL, {"params": {"limit": 50, "offset": rng.randrange(500)}})
            elif roll < 0.89:
                kind = "search"
                query = {"filter": {"type": "property", "name": "body.client", "property": "x"}}
                if rng.random() < 0.5:
                    query = {"filter": {"type": "identifier", "id": rng.choice(mine)}}
                request = ("POST", f"{URL}/search", {"json": query, "params": {"limit": 20}})
            else:
                kind, identifier = "delete", mine.pop(rng.randrange(len(mine)))
                request = ("DELETE", f"{URL}/{part(identifier)}", {})
            method, path, kwargs = request
            sent = time.monotonic()
            try:
                answer = http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                record(
                    Call(
                        kind,
                        identifier,
                        body,
                        sent,
                        time.monotonic(),
                        None,
                        None,
                        repr(exc),
                        client=number,
                    )
                )
                if isinstance(exc, httpx.ConnectError):
                    return  # nothing listens any more: the server was stopped
                continue
            done = time.monotonic()
            content = (
                answer.json()
                if answer.headers.get("content-type") == "application/json"
                else answer.text
            )
            record(
                Call(kind, identifier, body, sent, done, answer.status_code, content, client=number)
            )
            if kind == "write" and answer.status_code == 200 and identifier is not None:
                mine.append(identifier)


def run_load(
    server: Server,
    *,
    clients: int = 32,
    seconds: float = 20,
    max_requests: int = 5_000,
    during: Callable[[], None] | None = None,
) -> Load:
    """Run the workload; `during` (a fault) runs in the calling thread while it goes on."""
    load = Load()
    lock = threading.Lock()

    def record(call: Call) -> None:
        with lock:
            load.calls.append(call)

    started = time.monotonic()
    deadline = started + seconds
    threads = [
        threading.Thread(target=_client, args=(server, n, deadline, max_requests, record))
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    if during is not None:
        during()
    for thread in threads:
        thread.join(timeout=seconds + 120)
        assert not thread.is_alive(), "a load client hung"
    load.seconds = time.monotonic() - started
    return load


def _unknown(call: Call) -> bool:
    return call.status is None or call.status == 503


def check_store(server: Server, load: Load) -> dict[str, int]:
    """The database agrees with every acknowledged answer; returns a tally of what was checked.

    - each new id written with 200 is there, exactly as answered, unless an acknowledged
      delete removed it; a write of unknown outcome is absent or whole;
    - each shared id holds the content of a write that no acknowledged write followed
      (sent after it was acknowledged): the last acknowledged write, allowing for overlap;
    - each raced id has exactly one 200 (the stored one) and every other attempt got 409;
    - no digest mismatch (`verify`), and every history's revisions are 1..n with no gap.
    """
    by_id: dict[str, list[Call]] = defaultdict(list)
    for call in load.calls:
        if call.identifier is not None and call.kind in ("write", "overwrite", "race", "delete"):
            by_id[call.identifier].append(call)
    tally = {"ids": 0, "unknown_outcome": 0, "unknown_stored": 0, "races": 0}
    with ArtifactRepository(server.db_url) as repo:
        assert repo.verify() == []
        for identifier, calls in by_id.items():
            tally["ids"] += 1
            try:
                stored: dict[str, Any] | None = repo.read_artifact(
                    MODEL, VERSION, identifier
                ).to_json()
            except ErrorNotFound:
                stored = None
            try:
                history = repo.read_artifact_history(MODEL, VERSION, identifier)
            except ErrorNotFound:  # never stored: a write of unknown outcome that failed
                history = []
            assert [r.revision for r in history] == list(range(1, len(history) + 1)), identifier
            writes = [c for c in calls if c.kind != "delete"]
            acked = [c for c in writes if c.status == 200]
            unknown = [c for c in writes if _unknown(c)]
            tally["unknown_outcome"] += len(unknown)
            deleted = any(c.kind == "delete" and c.status == 200 for c in calls)
            if writes[0].kind == "race":
                tally["races"] += 1
                assert len(acked) <= 1 and all(
                    c.status in (200, 409) or _unknown(c) for c in writes
                ), identifier
                if acked:  # the one winner is what is stored
                    assert stored is not None and stored == acked[0].answer["artifact"]
                elif stored is not None:  # a winner whose answer was lost
                    assert stored["body"] in [c.body["body"] for c in unknown], identifier  # type: ignore[index]
                    tally["unknown_stored"] += 1
                continue
            if deleted:
                assert stored is None, identifier
                continue
            if stored is None:
                assert not acked, f"{identifier}: acknowledged but missing"
                continue
            latest = [c for c in acked if not any(o.sent > c.done for o in acked if o is not c)]
            candidates = [c.body["body"] for c in latest + unknown]  # type: ignore[index]
            assert stored["body"] in candidates, identifier
            if not any(c.body["body"] == stored["body"] for c in acked):  # type: ignore[index]
                tally["unknown_stored"] += 1
            if writes[0].kind == "write" and acked:
                assert stored == acked[-1].answer["artifact"], identifier
    return tally
