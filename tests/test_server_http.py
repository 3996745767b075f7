"""The real server over HTTP: every route, status code and error body, auth and permissions.

One `mlte-store serve` subprocess per backend for the whole module (tests use
fresh model ids, so they never meet); plain httpx requests, ids in paths as
MLTE's client writes them (`/` as `---`, percent-encoded).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from mlte_store import ArtifactRepository, UserStore

from .conftest import BACKENDS
from .server import USERS, Server, backend_server, evidence, login, part, unique

#: A small body limit, so the 413 tests send little.
MAX_BODY = 200_000


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    with backend_server(request, tmp_path_factory, "--max-body", str(MAX_BODY)) as running:
        yield running
        with UserStore(running.db_url) as users:
            key = users.signing_key()
    log = running.log.read_text()
    assert key not in log
    for password, _ in USERS.values():
        assert password not in log


def artifact_url(model: str, version: str, artifact: str | None = None) -> str:
    url = f"/model/{part(model)}/version/{part(version)}/artifact"
    return url if artifact is None else f"{url}/{part(artifact)}"


def new_model(server: Server, owner: str = "ana", version: str = "v1") -> str:
    """A model created over HTTP by `owner`, with one version."""
    model = unique()
    with server.client(owner) as client:
        assert client.post("/model", json={"identifier": model, "versions": []}).status_code == 200
        assert client.post(f"/model/{part(model)}/version", json={"identifier": version}).is_success
    return model


def ok(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    return answer.json()


def error(answer: httpx.Response, status: int) -> Any:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert "Traceback" not in answer.text and "$argon2" not in answer.text
    return body


# -- health, token, docs -------------------------------------------------------------


def test_healthz_needs_no_token_and_readyz_checks_the_schema(server: Server) -> None:
    with server.client() as client:
        assert ok(client.get("/healthz")) == {"status": "healthy"}
        assert ok(client.get("/readyz")) == {"status": "ready"}


def test_token_answers_as_mltes_backend(server: Server) -> None:
    with server.client() as client:
        answer = ok(
            client.post(
                "/token",
                data={"grant_type": "password", "username": "ana", "password": USERS["ana"][0]},
            )
        )
        assert answer["token_type"] == "bearer" and answer["expires_in"] == 7200
        claims = jwt.decode(answer["access_token"], options={"verify_signature": False})
        assert claims["sub"] == "ana" and claims["exp"] - claims["iat"] == 7200
        wrong = client.post("/token", data={"username": "ana", "password": "not it at all"})
        unknown = client.post("/token", data={"username": "nobody", "password": "not it at all"})
        expected = {
            "error": "invalid_grant",
            "error_description": "Incorrect username or password.",
        }
        assert error(wrong, 400) == error(unknown, 400) == expected
        bad_grant = client.post(
            "/token", data={"grant_type": "client_credentials", "username": "a", "password": "b"}
        )
        assert error(bad_grant, 400)["error"] == "unsupported_grant_type"
        missing = client.post("/token", data={"password": "secret value 42"})
        assert error(missing, 422)["detail"][0]["loc"] == ["body", "username"]
        assert "secret value 42" not in missing.text


def test_openapi_and_docs_are_served(server: Server) -> None:
    with server.client() as client:
        spec = ok(client.get("/openapi.json"))
        assert "/api/model/{model_id}/version/{version_id}/artifact/search" in spec["paths"]
        assert client.get("/docs").status_code == 200


# -- models and versions -------------------------------------------------------------


def test_models_and_versions(server: Server) -> None:
    model = unique()
    with server.client("ana") as ana:
        assert ok(ana.post("/model", json={"identifier": model, "versions": []})) == {
            "identifier": model,
            "versions": [],
        }
        again = error(ana.post("/model", json={"identifier": model, "versions": []}), 409)
        assert again == {"detail": f"model {model!r} already exists."}
        assert model in ok(ana.get("/model"))
        assert ok(ana.post(f"/model/{model}/version", json={"identifier": "1.0"})) == {
            "identifier": "1.0"
        }
        assert error(ana.post(f"/model/{model}/version", json={"identifier": "1.0"}), 409)[
            "detail"
        ].endswith("already exists.")
        assert ok(ana.get(f"/model/{model}/version")) == ["1.0"]
        assert ok(ana.get(f"/model/{model}/version/1.0")) == {"identifier": "1.0"}
        assert ok(ana.get(f"/model/{model}")) == {
            "identifier": model,
            "versions": [{"identifier": "1.0"}],
        }
        assert error(ana.get(f"/model/{model}/version/2.0"), 404) == {
            "detail": f"model {model!r}, version '2.0' not found."
        }
        assert ok(ana.delete(f"/model/{model}/version/1.0")) == {"identifier": "1.0"}
        assert ok(ana.delete(f"/model/{model}"))["identifier"] == model
        assert error(ana.get(f"/model/{model}"), 404) == {"detail": f"model {model!r} not found."}
        assert error(ana.post("/model", json={"identifier": "", "versions": []}), 422)
    with UserStore(server.db_url) as users:
        assert model not in [m for _, m, _ in users.grants()]  # the grant went with the model


def test_a_missing_model_or_version_is_404_on_every_route(server: Server) -> None:
    model = new_model(server, "root")
    query = {"filter": {"type": "all"}}
    with server.client("root") as root:
        for missing_model, missing_version in ((unique(), "v1"), (model, "nope")):
            base = artifact_url(missing_model, missing_version)
            answers = [
                root.get(base),
                root.post(f"{base}/search", json=query),
                root.get(f"{base}/a"),
                root.delete(f"{base}/a"),
                root.get(f"{base}/a/history"),
                root.post(base, json={"artifact": evidence("a")}),
                root.get(f"/model/{part(missing_model)}/version/{missing_version}"),
                root.delete(f"/model/{part(missing_model)}/version/{missing_version}"),
            ]
            if missing_model != model:
                answers += [
                    root.get(f"/model/{missing_model}/version"),
                    root.post(f"/model/{missing_model}/version", json={"identifier": "x"}),
                ]
            for answer in answers:
                assert error(answer, 404)["detail"].endswith("not found."), answer.request.url


# -- artifacts -------------------------------------------------------------------


def test_artifact_routes(server: Server) -> None:
    model = new_model(server)
    url = artifact_url(model, "v1")
    with server.client("ana") as ana:
        before = int(time.time())
        stored = ok(ana.post(url, json={"artifact": evidence("e1", value=1), "force": False}))
        header = stored["artifact"]["header"]
        assert header["creator"] == "ana" and header["timestamp"] >= before
        conflict = error(ana.post(url, json={"artifact": evidence("e1", value=2)}), 409)
        assert conflict == {
            "detail": f"model {model!r}, version 'v1', artifact 'e1' already exists."
        }
        forced = ok(ana.post(url, json={"artifact": evidence("e1", value=2), "force": True}))
        assert forced["artifact"]["body"]["value"] == 2
        for i in range(2, 6):
            ok(ana.post(url, json={"artifact": evidence(f"e{i}", value=i, tags=["Blue"])}))
        page = ana.get(url, params={"limit": 2, "offset": 1})
        assert [a["header"]["identifier"] for a in ok(page)] == ["e2", "e3"]
        assert page.headers["x-total-count"] == "5"
        assert len(ok(ana.get(url))) == 5
        tag = {"filter": {"type": "tag", "name": "body.tags", "tag": "blue"}}
        found = ana.post(f"{url}/search", json=tag)
        assert [a["header"]["identifier"] for a in ok(found)] == ["e2", "e3", "e4", "e5"]
        assert found.headers["x-total-count"] == "4"
        sliced = ana.post(f"{url}/search", json=tag, params={"limit": 1, "offset": 3})
        assert [a["header"]["identifier"] for a in ok(sliced)] == ["e5"]
        assert sliced.headers["x-total-count"] == "4"
        assert ok(ana.get(f"{url}/e1"))["body"]["value"] == 2
        assert ok(ana.get(f"{url}/e1", params={"revision": 1}))["body"]["value"] == 1
        history = ok(ana.get(f"{url}/e1/history"))
        assert [r["revision"] for r in history] == [1, 2] and "digest" in history[0]
        assert ok(ana.delete(f"{url}/e1"))["body"]["value"] == 2
        assert error(ana.get(f"{url}/e1"), 404)["detail"].endswith("not found.")
        assert error(ana.delete(f"{url}/e1"), 404)
        restored = ok(ana.post(f"{url}/e1/restore", json={"revision": 1}))
        assert restored["artifact"]["body"]["value"] == 1
        assert restored["artifact"]["header"]["creator"] == "ana"
        assert ok(ana.get(f"{url}/e1"))["body"]["value"] == 1


def test_refused_input_is_422_json_and_nothing_is_written(server: Server) -> None:
    model = new_model(server)
    url = artifact_url(model, "v1")
    mismatched = evidence("x")
    mismatched["body"]["artifact_type"] = "report"
    with server.client("ana") as ana:
        for body in (
            {"artifact": mismatched},
            {"artifact": evidence("")},
            {"artifact": evidence("x", text="nul \u0000 here")},
            {"artifact": "not an object"},
            {"force": True},
        ):
            assert error(ana.post(url, json=body), 422)["detail"]
        assert error(ana.get(url, params={"limit": 10_001}), 422)
        assert error(ana.get(url, params={"limit": -1}), 422)
        assert error(ana.get(url, params={"offset": "x"}), 422)
        bad_query = ana.post(f"{url}/search", json={"filter": {"type": "nonsense"}})
        assert error(bad_query, 422)
        invalid_json = ana.post(
            url, content=b"{not json", headers={"content-type": "application/json"}
        )
        assert 400 <= invalid_json.status_code < 500 and invalid_json.json()
        assert ok(ana.get(url)) == []


def test_ids_with_slashes_spaces_and_symbols_follow_mltes_url_rule(server: Server) -> None:
    model, version, artifact = "team/model %+:ü", "v 1/2", "card/é 100%+:x"
    with server.client("ana") as ana:
        ok(ana.post("/model", json={"identifier": model, "versions": []}))
        ok(ana.post(f"/model/{part(model)}/version", json={"identifier": version}))
        ok(ana.post(artifact_url(model, version), json={"artifact": evidence(artifact)}))
        assert (
            ok(ana.get(artifact_url(model, version, artifact)))["header"]["identifier"] == artifact
        )
        assert ok(ana.get(f"/model/{part(model)}"))["versions"] == [{"identifier": version}]
        assert ok(ana.get(f"/model/{part(model)}/version/{part(version)}")) == {
            "identifier": version
        }
        assert model in ok(ana.get("/model"))
        assert (
            ok(ana.delete(artifact_url(model, version, artifact)))["header"]["identifier"]
            == artifact
        )


def test_a_body_over_the_limit_is_413_while_it_streams(server: Server) -> None:
    model = new_model(server)
    url = artifact_url(model, "v1")
    big = {"artifact": evidence("big", blob="x" * MAX_BODY)}
    with server.client("ana") as ana:
        assert error(ana.post(url, json=big), 413)["detail"].startswith("Request body too large")

        def chunks() -> Iterator[bytes]:
            for _ in range(50):
                yield b" " * 10_000

        streamed = ana.post(url, content=chunks(), headers={"content-type": "application/json"})
        assert error(streamed, 413)
    with server.client("ana") as ana:
        assert ok(ana.get(url)) == []


def test_custom_list_entries_get_409_without_a_token_so_mltes_set_store_succeeds(
    server: Server,
) -> None:
    with server.client() as client:
        entry = {"name": "Classification", "description": "d", "parent": None}
        answer = client.post("/custom_list/problem_types/entry", json=entry)
        assert error(answer, 409)["detail"].endswith("already exists.")
        assert error(client.post("/custom_list/nope/entry", json=entry), 404)


# -- authentication ----------------------------------------------------------------


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_bad_tokens_are_401_with_a_bearer_challenge(server: Server) -> None:
    with UserStore(server.db_url) as users:
        key = users.signing_key()
        ana = users.get("ana")
    assert ana is not None
    now = int(time.time())
    claims = {"sub": "ana", "uid": ana.id, "gen": ana.token_generation, "iat": now}
    forged = jwt.encode({**claims, "exp": now + 600}, "another key " * 4, algorithm="HS256")
    expired = jwt.encode({**claims, "exp": now - 10}, key, algorithm="HS256")
    unsigned = jwt.encode({**claims, "exp": now + 600}, None, algorithm="none")
    no_uid = jwt.encode({"sub": "ana", "exp": now + 600}, key, algorithm="HS256")
    cases: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic YW5hOnB3"},
        _bearer("not.a.token"),
        _bearer(forged),
        _bearer(expired),
        _bearer(unsigned),
        _bearer(no_uid),
    ]
    with httpx.Client(base_url=f"{server.base_url}/api") as client:
        for headers in cases:
            answer = client.get("/model", headers=headers)
            assert error(answer, 401)["detail"], headers
            assert answer.headers["www-authenticate"].startswith("Bearer"), headers
        valid = jwt.encode({**claims, "exp": now + 600}, key, algorithm="HS256")
        assert ok(client.get("/model", headers=_bearer(valid))) is not None


def test_disabling_deleting_or_a_new_password_ends_earlier_tokens(server: Server) -> None:
    name, password = unique("u"), "first password"
    with UserStore(server.db_url) as users:
        users.add(name, password)
        with httpx.Client(base_url=f"{server.base_url}/api") as client:

            def status(token: str) -> int:
                return client.get("/model", headers=_bearer(token)).status_code

            token = login(server.base_url, name, password)
            assert status(token) == 200
            users.passwd(name, "second password")
            assert status(token) == 401
            token = login(server.base_url, name, "second password")
            users.disable(name)
            assert status(token) == 401
            refused = client.post("/token", data={"username": name, "password": "second password"})
            assert error(refused, 400)["error_description"] == "User is inactive."
            users.disable(name, False)
            token = login(server.base_url, name, "second password")
            users.remove(name)
            assert status(token) == 401
            users.add(name, "second password")  # same name and password, a new user
            assert status(token) == 401


# -- permissions ----------------------------------------------------------------------


def snapshot(server: Server, model: str) -> Any:
    """Everything in a model, read through the library."""
    with ArtifactRepository(server.db_url) as repo:
        read = repo.read_model(model)
        return read, {
            v.identifier: [a.to_json() for a in repo.read_artifacts(model, v.identifier)]
            for v in read.versions
        }


def attempts(client: httpx.Client, model: str) -> dict[str, httpx.Response]:
    """One request of every kind on `model`; reads first, writes after."""
    url = artifact_url(model, "v1")
    return {
        "read model": client.get(f"/model/{part(model)}"),
        "list versions": client.get(f"/model/{part(model)}/version"),
        "read version": client.get(f"/model/{part(model)}/version/v1"),
        "list artifacts": client.get(url),
        "search": client.post(f"{url}/search", json={"filter": {"type": "all"}}),
        "read artifact": client.get(f"{url}/a"),
        "history": client.get(f"{url}/a/history"),
        "write": client.post(url, json={"artifact": evidence("b")}),
        "force write": client.post(url, json={"artifact": evidence("a"), "force": True}),
        "write with parents": client.post(url, json={"artifact": evidence("c"), "parents": True}),
        "restore": client.post(f"{url}/a/restore", json={"revision": 1}),
        "create version": client.post(f"/model/{part(model)}/version", json={"identifier": "v2"}),
        "delete artifact": client.delete(f"{url}/a"),
        "delete version": client.delete(f"/model/{part(model)}/version/v1"),
        "delete model": client.delete(f"/model/{part(model)}"),
    }


READS = [
    "read model",
    "list versions",
    "read version",
    "list artifacts",
    "search",
    "read artifact",
    "history",
]


def test_a_user_without_a_grant_gets_403_on_every_route_and_nothing_changes(
    server: Server,
) -> None:
    model = new_model(server, "ana")
    with server.client("ana") as ana:
        ok(ana.post(artifact_url(model, "v1"), json={"artifact": evidence("a", n=1)}))
    before = snapshot(server, model)
    with server.client("bob") as bob:
        for kind, answer in attempts(bob, model).items():
            assert error(answer, 403)["detail"] == (
                f"User 'bob' may not {'read' if kind in READS else 'write'} model {model!r}."
            ), kind
        assert model not in ok(bob.get("/model"))
    assert snapshot(server, model) == before


def test_a_read_grant_opens_reads_only_and_a_revoke_closes_them(server: Server) -> None:
    model = new_model(server, "ana")
    with server.client("ana") as ana:
        ok(ana.post(artifact_url(model, "v1"), json={"artifact": evidence("a", n=1)}))
    before = snapshot(server, model)
    with UserStore(server.db_url) as users:
        users.grant("bob", model, "read")
        with server.client("bob") as bob:
            for kind, answer in attempts(bob, model).items():
                assert answer.status_code == (200 if kind in READS else 403), kind
            assert model in ok(bob.get("/model"))
            assert snapshot(server, model) == before
            users.revoke("bob", model)
            assert error(bob.get(f"/model/{part(model)}"), 403)
            assert model not in ok(bob.get("/model"))


def test_the_creator_a_write_grant_and_an_admin_may_do_everything(server: Server) -> None:
    for user, grant in (("ana", None), ("bob", "write"), ("root", None)):
        model = new_model(server, "ana")
        with server.client("ana") as ana:
            ok(ana.post(artifact_url(model, "v1"), json={"artifact": evidence("a", n=1)}))
        if grant:
            with UserStore(server.db_url) as users:
                users.grant(user, model, grant)
        with server.client(user) as client:
            for kind, answer in attempts(client, model).items():
                assert answer.status_code == 200, (user, kind, answer.text)
        with server.client("root") as root:
            assert error(root.get(f"/model/{part(model)}"), 404)


def test_a_write_with_parents_creates_the_model_for_its_writer_only(server: Server) -> None:
    model = unique()
    url = artifact_url(model, "v1")
    with server.client("bob") as bob:
        written = ok(bob.post(url, json={"artifact": evidence("a"), "parents": True}))
        assert written["artifact"]["header"]["creator"] == "bob"
        assert error(bob.post(artifact_url(unique(), "v1"), json={"artifact": evidence("a")}), 404)
    before = snapshot(server, model)
    with server.client("ana") as ana:
        answer = ana.post(url, json={"artifact": evidence("z"), "parents": True})
        assert error(answer, 403)["detail"] == f"User 'ana' may not write model {model!r}."
    assert snapshot(server, model) == before
    with server.client("bob") as bob:
        assert ok(bob.delete(f"/model/{part(model)}"))["identifier"] == model
