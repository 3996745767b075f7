"""Hostile HTTP input against the real server: always a JSON 4xx, never a 500, nothing written.

Requests the client library would tidy up (`..` segments, raw bytes in paths,
lying Content-Length) go out through `http.client`, byte for byte as written
here. After each group the whole database is compared with its state before,
and the server must still answer: no worker crashed.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import BACKENDS
from .server import Server, backend_server, evidence, part, unique
from .test_reliability_migrations import every_row

#: A small body limit, so the 413 tests send little.
MAX_BODY = 1_000_000


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    with backend_server(request, tmp_path_factory, "--max-body", str(MAX_BODY)) as running:
        yield running
        assert running.process.poll() is None, "the server died"


@pytest.fixture
def model(server: Server) -> str:
    """A model of ana's with version v1 and artifact a."""
    model = unique()
    with server.client("ana") as ana:
        assert ana.post("/model", json={"identifier": model}).status_code == 200
        url = f"/model/{part(model)}/version/v1/artifact"
        written = ana.post(url, json={"artifact": evidence("a"), "parents": True})
        assert written.status_code == 200
    return model


def raw(
    server: Server,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    user: str | None = "ana",
) -> tuple[int, Any]:
    """Send exactly this request line and body; the status and the JSON answer."""
    host, port = server.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        sent = {"Content-Type": "application/json", **(headers or {})}
        if user is not None:
            sent["Authorization"] = f"Bearer {server.token(user)}"
        if body is not None and "Content-Length" not in sent:
            sent["Content-Length"] = str(len(body))
        for name, value in sent.items():
            connection.putheader(name, value)
        # A refusal (413) may close the connection before the body is sent.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.endheaders(body)
        answer = connection.getresponse()
        text = answer.read()
    finally:
        connection.close()
    assert answer.getheader("content-type", "").startswith("application/json"), (path, text)
    assert b"Traceback" not in text and b"$argon2" not in text
    return answer.status, json.loads(text)


def refused(status: int, answer: Any, what: object) -> None:
    """A 4xx with a JSON body that says something."""
    assert 400 <= status < 500, (what, status, answer)
    assert answer.get("detail") or answer.get("error"), (what, answer)


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def artifact_json(identifier: str, body: str) -> bytes:
    header = {"identifier": identifier, "type": "evidence", "timestamp": -1, "level": "version"}
    head = json.dumps(header)
    return f'{{"artifact": {{"header": {head}, "body": {body}}}}}'.encode()


def test_hostile_bodies_are_refused_and_nothing_is_written(server: Server, model: str) -> None:
    url = f"/api/model/{part(model)}/version/v1/artifact"
    evidence_body = '{{"artifact_type": "evidence", "x": {}}}'
    bodies: dict[str, tuple[str, bytes, dict[str, str]]] = {
        "invalid JSON": (url, b'{"artifact": ', {}),
        "not UTF-8": (url, b'{"artifact": "\xff\xfe"}', {}),
        "text/plain": (
            url,
            json.dumps({"artifact": evidence("p")}).encode(),
            {"Content-Type": "text/plain"},
        ),
        "form instead of JSON": (
            url,
            b"artifact=x",
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        "no content type": (
            url,
            json.dumps({"artifact": evidence("q")}).encode(),
            {"Content-Type": ""},
        ),
        "100,000-deep nesting": (
            url,
            artifact_json("deep", evidence_body.format(nested(100_000))),
            {},
        ),
        "1,000-deep nesting": (url, artifact_json("deep", evidence_body.format(nested(1_000))), {}),
        "300-deep nesting": (url, artifact_json("deep", evidence_body.format(nested(300))), {}),
        "100,000-deep array as the query": (f"{url}/search", b"[" * 100_000 + b"]" * 100_000, {}),
        "NUL in a body value": (url, artifact_json("n", evidence_body.format('"a\\u0000b"')), {}),
        "NUL in a body key": (
            url,
            artifact_json("n", '{"artifact_type": "evidence", "\\u0000": 1}'),
            {},
        ),
        "lone surrogate in a value": (
            url,
            artifact_json("s", evidence_body.format('"\\ud800"')),
            {},
        ),
        "lone surrogate in a key": (
            url,
            artifact_json("s", '{"artifact_type": "evidence", "\\udfff": 1}'),
            {},
        ),
        "lone surrogate in the id": (url, artifact_json("\ud800", evidence_body.format(1)), {}),
        "NUL in the id": (url, artifact_json("\u0000", evidence_body.format(1)), {}),
        "NaN": (url, artifact_json("f", evidence_body.format("NaN")), {}),
        "Infinity": (url, artifact_json("f", evidence_body.format("1e999")), {}),
        "an integer of 5,000 digits": (
            url,
            artifact_json("i", evidence_body.format("9" * 5000)),
            {},
        ),
        "a JSON array": (url, b"[]", {}),
        "null": (url, b"null", {}),
        "lone surrogate in a search": (
            f"{url}/search",
            b'{"filter": {"type": "identifier", "id": "\\ud800"}}',
            {},
        ),
        "NUL in a search": (
            f"{url}/search",
            b'{"filter": {"type": "tag", "name": "a\\u0000", "tag": "x"}}',
            {},
        ),
        "lone surrogate in a model": (
            "/api/model",
            b'{"identifier": "m\\udc80", "versions": []}',
            {},
        ),
        "NUL in a version": (f"/api/model/{part(model)}/version", b'{"identifier": "\\u0000"}', {}),
        "restore of revision 2^80": (f"{url}/a/restore", b'{"revision": %d}' % 2**80, {}),
        "restore of revision -1": (f"{url}/a/restore", b'{"revision": -1}', {}),
        "restore of revision 1.5": (f"{url}/a/restore", b'{"revision": 1.5}', {}),
    }
    before = every_row(server.db_url)
    for what, (path, body, headers) in bodies.items():
        status, answer = raw(server, "POST", path, body, headers)
        refused(status, answer, what)
    assert every_row(server.db_url) == before


def test_hostile_paths_and_parameters_are_refused_and_nothing_is_written(
    server: Server, model: str
) -> None:
    m = part(model)
    base = f"/api/model/{m}/version/v1/artifact"
    paths = {
        "8 KB model id": f"/api/model/{'x' * 8192}",
        "8 KB artifact id": f"{base}/{'y' * 8192}",
        "NUL in a model id": "/api/model/a%00b",
        "NUL in an artifact id": f"{base}/a%00",
        "lone surrogate bytes in an id": f"{base}/%ED%A0%80",
        "invalid UTF-8 in an id": f"{base}/%FF%FE",
        "'..' as the model": "/api/model/../version/v1/artifact",
        "'..' as an artifact": f"{base}/..",
        "'..' and %2F in an artifact": f"{base}/..%2F..%2Fetc%2Fpasswd",
        "%2F in a model id": f"/api/model/{m}%2Fx/version/v1/artifact",
        "encoded '---' in an id": f"{base}/%2D%2D%2D",
        "limit 10^30": f"{base}?limit={10**30}",
        "limit -1": f"{base}?limit=-1",
        "limit 1e3": f"{base}?limit=1e3",
        "limit empty": f"{base}?limit=",
        "offset 2^63": f"{base}?offset={2**63}",
        "offset 10^4000": f"{base}?offset={10**4000}",
        "revision 2^63": f"{base}/a?revision={2**63}",
        "revision 2^31": f"{base}/a?revision={2**31}",
        "revision 0": f"{base}/a?revision=0",
        "level nonsense": f"{base}/a?level=nonsense",
        "history of a long id": f"{base}/{'z' * 300}/history",
    }
    before = every_row(server.db_url)
    for what, path in paths.items():
        for method in ("GET", "DELETE") if "?" not in path else ("GET",):
            status, answer = raw(server, method, path)
            if status == 405:  # a route without DELETE: refused by the router, fine
                continue
            refused(status, answer, (what, method))
    status, answer = raw(server, "POST", f"{base}/search?limit={10**30}", b"{}")
    refused(status, answer, "search limit")
    assert every_row(server.db_url) == before


def test_bodies_over_the_limit_are_refused_before_they_are_read(server: Server, model: str) -> None:
    url = f"/api/model/{part(model)}/version/v1/artifact"
    host, port = server.base_url.removeprefix("http://").split(":")
    # A declared 10 GB body, of which nothing is sent: the answer comes at once.
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            f"POST {url} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {server.token('ana')}\r\n"
            f"Content-Length: {10 * 2**30}\r\n\r\n".encode()
        )
        reply = b""
        while chunk := connection.recv(65536):  # the server closes after its answer
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413 "), reply
    assert b"Request body too large" in reply
    before = every_row(server.db_url)
    status, answer = raw(server, "POST", url, b'{"a": "' + b"x" * MAX_BODY + b'"}')
    assert status == 413 and answer["detail"].startswith("Request body too large")
    status, answer = raw(
        server,
        "POST",
        "/api/token",
        b"username=" + b"u" * MAX_BODY,
        {"Content-Type": "application/x-www-form-urlencoded"},
        user=None,
    )
    assert status == 413
    assert every_row(server.db_url) == before


def test_the_server_still_answers_after_the_hostile_input(server: Server) -> None:
    status, answer = raw(server, "GET", "/api/readyz", user=None)
    assert (status, answer) == (200, {"status": "ready"})
