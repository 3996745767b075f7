"""`serve --ui` and `--cors-origin` in process: MLTE's UI files, its API base, CORS answers.

The UI's pages come from the installed `mlte` package with the API base
rewritten in memory; the installed files stay as they are. CORS answers only
the configured origins, on every answer (redirects and errors too).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from mlte_store import UserStore
from mlte_store.cli import app as cli_app
from mlte_store.server import ServerSettings, create_app
from mlte_store.server import app as server_app
from mlte_store.server.mlte_package import ui_folder
from mlte_store.server.ui import BUILT_API_BASE, SERVED_API_BASE

PASSWORD = "ana-password-1"
ORIGIN = "http://localhost:8000"
KEY = "a configured key of more than thirty-two characters"


def client_for(store_url: str, **settings: object) -> TestClient:
    app = create_app(ServerSettings(url=store_url, secret_key=KEY, **settings))  # type: ignore[arg-type]
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def ui(store_url: str) -> Iterator[TestClient]:
    with client_for(store_url, ui=True) as client:
        yield client


def test_the_ui_is_served_with_its_api_base_at_this_origin(ui: TestClient) -> None:
    folder = ui_folder()
    assert folder is not None
    for path in ("/", "/login/", "/artifact/negotiation-card/"):
        page = ui.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html")
        assert SERVED_API_BASE in page.text and BUILT_API_BASE not in page.text
        assert page.headers["x-frame-options"] == "DENY"
    assert ui.get("/login", follow_redirects=False).status_code == 307  # to /login/
    # The installed files are untouched.
    assert BUILT_API_BASE in (folder / "index.html").read_text(encoding="utf-8")
    script = next((folder / "_nuxt").glob("*.js"))
    asset = ui.get(f"/_nuxt/{script.name}")
    assert asset.status_code == 200 and asset.content == script.read_bytes()
    assert "javascript" in asset.headers["content-type"]


def test_outside_the_ui_answers_stay_the_apis(ui: TestClient) -> None:
    missing = ui.get("/no/such/page")
    assert missing.status_code == 404 and SERVED_API_BASE in missing.text  # MLTE's 404 page
    assert ui.post("/").status_code == 405 and ui.post("/").json()["detail"]
    assert ui.get("/../../etc/passwd").status_code == 404
    assert ui.get("/api/nope").json() == {"detail": "Not Found"}
    assert ui.get("/api/healthz").json() == {"status": "healthy"}
    assert ui.get("/api/model").status_code == 401


def test_without_ui_there_are_no_pages(store_url: str) -> None:
    with client_for(store_url) as client:
        answer = client.get("/")
        assert answer.status_code == 404 and answer.json() == {"detail": "Not Found"}


def test_ui_without_mltes_package_is_a_clear_error(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_app, "ui_folder", lambda: None)
    with pytest.raises(Exception, match=r"mlte_store\[ui\]"):
        create_app(ServerSettings(url=store_url, ui=True))


def test_cors_answers_the_configured_origins_only(store_url: str) -> None:
    with UserStore(store_url) as users:
        users.add("ana", PASSWORD)
    with client_for(store_url, cors_origins=(ORIGIN, "http://127.0.0.1:8000")) as client:
        preflight = client.options(
            "/api/model/",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "Authorization" in preflight.headers["access-control-allow-headers"]
        for answer in (
            client.get("/api/model", headers={"Origin": ORIGIN}),  # 401
            client.post(
                "/api/model/m/version/",
                headers={"Origin": ORIGIN},
                follow_redirects=False,
            ),  # a redirect
            client.post(
                "/api/token",
                data={"username": "ana", "password": PASSWORD},
                headers={"Origin": ORIGIN},
            ),
        ):
            assert answer.headers["access-control-allow-origin"] == ORIGIN, answer.status_code
        other = client.get("/api/healthz", headers={"Origin": "http://localhost:9999"})
        assert "access-control-allow-origin" not in other.headers
        refused = client.options(
            "/api/model",
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert refused.status_code == 400
    with client_for(store_url) as client:
        plain = client.get("/api/healthz", headers={"Origin": ORIGIN})
        assert "access-control-allow-origin" not in plain.headers


@pytest.mark.parametrize(
    "origin", ["*", "http://localhost:8000/", "localhost:8000", "http://a/b", "ftp://a", ""]
)
def test_an_origin_must_be_scheme_host_and_port(origin: str) -> None:
    with pytest.raises(ValidationError, match="not a browser origin"):
        ServerSettings(cors_origins=(origin,))


def test_origins_and_ui_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLTE_STORE_CORS_ORIGINS", "http://localhost:8000, https://mlte.example")
    monkeypatch.setenv("MLTE_STORE_UI", "1")
    settings = ServerSettings.from_env()
    assert settings.cors_origins == ("http://localhost:8000", "https://mlte.example")
    assert settings.ui is True


def test_serve_refuses_a_bad_origin_or_a_missing_ui(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    bad = runner.invoke(cli_app, ["serve", "--url", store_url, "--cors-origin", "http://a/"])
    assert bad.exit_code == 2 and "not a browser origin" in bad.stderr
    monkeypatch.setattr("mlte_store.server.mlte_package.ui_folder", lambda: None)
    missing = runner.invoke(cli_app, ["serve", "--url", store_url, "--ui"])
    assert missing.exit_code == 2 and "mlte_store[ui]" in missing.stderr
