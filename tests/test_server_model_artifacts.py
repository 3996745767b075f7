"""A model's own (model-level) artifacts over HTTP, by model only: `/api/model/{m}/artifact`.

Against the real server on both backends: write, list, read and delete with
and without versions, MLTE's header completion with the level made "model",
404 for what is missing, 409 without `force`, 403 without a grant (nothing
changes) and 422 for refused input.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mlte_store import ArtifactRepository, UserStore

from .conftest import BACKENDS
from .server import Server, backend_server, evidence, part, unique
from .test_reliability_migrations import every_row
from .test_server_http import artifact_url, error, ok
from .test_server_ui_api import requirement, ui_card


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    with backend_server(request, tmp_path_factory) as running:
        yield running


def model_url(model: str, artifact: str | None = None) -> str:
    url = f"/model/{part(model)}/artifact"
    return url if artifact is None else f"{url}/{part(artifact)}"


def new_model(server: Server, *versions: str, owner: str = "ana") -> str:
    """A model created over HTTP by `owner`, with the versions given (none by default)."""
    model = unique()
    listed = [{"identifier": v} for v in versions]
    with server.client(owner) as client:
        ok(client.post("/model", json={"identifier": model, "versions": listed}))
    return model


def identifiers(answer: Any) -> list[str]:
    return [artifact["header"]["identifier"] for artifact in answer]


def test_a_model_without_versions_gets_its_artifacts_written_listed_read_and_deleted(
    server: Server,
) -> None:
    model = new_model(server)
    url = model_url(model)
    with server.client("ana") as ana:
        before = int(time.time())
        written = ok(ana.post(url, json={"artifact": evidence("e1", value=1)}))["artifact"]
        header = written["header"]
        assert header["level"] == "model"  # sent as "version": a write to the model alone
        assert header["creator"] == "ana" and header["timestamp"] >= before
        for name in ("e3", "team/e 2"):
            ok(ana.post(url, json={"artifact": evidence(name, value=name)}))
        card = ok(ana.post(url, json={"artifact": ui_card("fraud", requirement())}))["artifact"]
        assert card["header"]["identifier"] == "card.fraud"
        assert card["header"]["level"] == "model"
        assert card["body"]["system_requirements"][0]["identifier"] == "card.fraud-qas_001"
        page = ana.get(url, params={"limit": 2, "offset": 1})
        assert identifiers(ok(page)) == ["e1", "e3"]
        assert page.headers["x-total-count"] == "4"
        assert identifiers(ok(ana.get(url))) == ["card.fraud", "e1", "e3", "team/e 2"]
        assert ok(ana.get(model_url(model, "team/e 2")))["body"]["value"] == "team/e 2"
        assert ok(ana.get(model_url(model, "e1"))) == written
        assert ok(ana.delete(model_url(model, "e1"))) == written
        missing = {"detail": f"model {model!r}, artifact 'e1' not found."}
        assert error(ana.get(model_url(model, "e1")), 404) == missing
        assert error(ana.delete(model_url(model, "e1")), 404) == missing
        emptied = ana.get(url, params={"offset": 3})
        assert ok(emptied) == [] and emptied.headers["x-total-count"] == "3"
        assert ok(ana.get(f"/model/{part(model)}/version")) == []
    with ArtifactRepository(server.db_url) as repo:
        assert [a.header.identifier for a in repo.read_model_artifacts(model)] == [
            "card.fraud",
            "e3",
            "team/e 2",
        ]
        assert repo.count_model_artifacts(model) == 3


def test_a_write_without_force_is_409_and_force_replaces(server: Server) -> None:
    model = new_model(server)
    url = model_url(model)
    with server.client("ana") as ana:
        ok(ana.post(url, json={"artifact": evidence("e", value=1)}))
        conflict = ana.post(url, json={"artifact": evidence("e", value=2), "force": False})
        assert error(conflict, 409) == {"detail": f"model {model!r}, artifact 'e' already exists."}
        assert ok(ana.get(model_url(model, "e")))["body"]["value"] == 1
        forced = ok(ana.post(url, json={"artifact": evidence("e", value=2), "force": True}))
        assert forced["artifact"]["body"]["value"] == 2
        assert ok(ana.get(model_url(model, "e")))["body"]["value"] == 2


def test_the_model_route_lists_only_model_level_artifacts_that_versions_see(
    server: Server,
) -> None:
    model = new_model(server, "v1")
    with server.client("ana") as ana:
        ok(ana.post(artifact_url(model, "v1"), json={"artifact": evidence("own")}))
        ok(ana.post(model_url(model), json={"artifact": evidence("shared", n=1)}))
        listed = ana.get(model_url(model))
        assert identifiers(ok(listed)) == ["shared"] and listed.headers["x-total-count"] == "1"
        seen = ok(ana.get(artifact_url(model, "v1", "shared")))
        assert seen["header"]["level"] == "model" and seen["body"]["n"] == 1
        assert error(ana.get(model_url(model, "own")), 404)
        assert error(ana.delete(model_url(model, "own")), 404)
        # The version sees the model-level one: a version-level write of its id conflicts.
        assert error(
            ana.post(artifact_url(model, "v1"), json={"artifact": evidence("shared")}), 409
        )
        ok(ana.delete(model_url(model, "shared")))
        assert error(ana.get(artifact_url(model, "v1", "shared")), 404)
        assert identifiers(ok(ana.get(artifact_url(model, "v1")))) == ["own"]


def test_a_missing_model_is_404_on_every_route_and_parents_creates_it(server: Server) -> None:
    missing = unique()
    expected = {"detail": f"model {missing!r} not found."}
    with server.client("root") as root:
        answers = [
            root.get(model_url(missing)),
            root.get(model_url(missing, "a")),
            root.delete(model_url(missing, "a")),
            root.post(model_url(missing), json={"artifact": evidence("a")}),
        ]
        for answer in answers:
            assert error(answer, 404) == expected, answer.request.url
        assert error(root.get(f"/model/{part(missing)}"), 404)
    created = unique()
    with server.client("bob") as bob:
        sent = {"artifact": evidence("a"), "parents": True}
        written = ok(bob.post(model_url(created), json=sent))["artifact"]
        assert written["header"]["creator"] == "bob" and written["header"]["level"] == "model"
        assert ok(bob.get(f"/model/{part(created)}")) == {"identifier": created, "versions": []}
    with server.client("ana") as ana:  # bob created it: ana has no grant on it
        sent = {"artifact": evidence("z"), "parents": True}
        assert error(ana.post(model_url(created), json=sent), 403)
    with ArtifactRepository(server.db_url) as repo:
        assert [a.header.identifier for a in repo.read_model_artifacts(created)] == ["a"]


def _attempts(client: httpx.Client, model: str) -> dict[str, httpx.Response]:
    """One request of every kind on the model's own artifacts; reads first."""
    url = model_url(model)
    return {
        "list": client.get(url),
        "read": client.get(f"{url}/a"),
        "write": client.post(url, json={"artifact": evidence("b")}),
        "force write": client.post(url, json={"artifact": evidence("a"), "force": True}),
        "write with parents": client.post(url, json={"artifact": evidence("c"), "parents": True}),
        "delete": client.delete(f"{url}/a"),
    }


READS = ("list", "read")


def _model_with_artifact(server: Server) -> str:
    model = new_model(server)
    with server.client("ana") as ana:
        ok(ana.post(model_url(model), json={"artifact": evidence("a", n=1)}))
    return model


def test_without_a_grant_every_route_is_403_and_nothing_changes(server: Server) -> None:
    model = _model_with_artifact(server)
    before = every_row(server.db_url)
    with server.client("bob") as bob:
        for kind, answer in _attempts(bob, model).items():
            needed = "read" if kind in READS else "write"
            assert error(answer, 403) == {
                "detail": f"User 'bob' may not {needed} model {model!r}."
            }, kind
    assert every_row(server.db_url) == before


def test_a_read_grant_opens_reads_only_and_a_write_grant_everything(server: Server) -> None:
    model = _model_with_artifact(server)
    before = every_row(server.db_url)
    with UserStore(server.db_url) as users:
        users.grant("bob", model, "read")
    granted = every_row(server.db_url)
    assert granted != before
    with server.client("bob") as bob:
        for kind, answer in _attempts(bob, model).items():
            assert answer.status_code == (200 if kind in READS else 403), (kind, answer.text)
    assert every_row(server.db_url) == granted
    with UserStore(server.db_url) as users:
        users.grant("bob", model, "write")
    with server.client("bob") as bob:
        for kind, answer in _attempts(bob, model).items():
            assert answer.status_code == 200, (kind, answer.text)
    with ArtifactRepository(server.db_url) as repo:
        assert [a.header.identifier for a in repo.read_model_artifacts(model)] == ["b", "c"]
        assert {a.header.creator for a in repo.read_model_artifacts(model)} == {"bob"}


def test_refused_input_is_422_and_nothing_is_written(server: Server) -> None:
    model = new_model(server)
    url = model_url(model)
    before = every_row(server.db_url)
    with server.client("ana") as ana:
        for params in ({"limit": -1}, {"limit": 10_001}, {"offset": -1}, {"offset": "x"}):
            assert error(ana.get(url, params=params), 422), params
        no_body = {"artifact": {"header": evidence("x")["header"]}}
        bad_type = evidence("x")
        bad_type["header"]["type"] = "nonsense"
        for body in (no_body, {"artifact": bad_type}, {"force": True}, {"artifact": []}):
            assert error(ana.post(url, json=body), 422), body
        empty_id = evidence("")
        assert error(ana.post(url, json={"artifact": empty_id}), 422)
        assert ok(ana.get(url)) == []
    assert every_row(server.db_url) == before
