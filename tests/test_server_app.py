"""The app in process (FastAPI's TestClient): what needs a hand on its inside.

A cause that must never reach the client (500), a database that fails (503),
a schema that falls behind (readyz 503), a configured signing key, settings
from the environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient

from mlte_store import ArtifactRepository, ErrorDatabase, ErrorSchema, UserStore, migrate
from mlte_store.server import ServerSettings, create_app
from mlte_store.tables import secret_table

from .helpers import count_rows

PASSWORD = "ana-password-1"
KEY = "a configured key of more than thirty-two characters"


@pytest.fixture
def client(store_url: str) -> Iterator[TestClient]:
    with UserStore(store_url) as users:
        users.add("ana", PASSWORD)
    app = create_app(ServerSettings(url=store_url, secret_key=KEY))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        answer = test_client.post("/api/token", data={"username": "ana", "password": PASSWORD})
        test_client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        yield test_client


def test_a_configured_key_signs_the_tokens_and_none_is_stored(
    client: TestClient, store_url: str
) -> None:
    token = client.headers["Authorization"].removeprefix("Bearer ")
    assert jwt.decode(token, KEY, algorithms=["HS256"])["sub"] == "ana"
    assert client.get("/api/model").status_code == 200
    with ArtifactRepository(store_url) as repo:
        assert count_rows(repo, secret_table) == 0


def test_an_unexpected_failure_is_a_500_without_its_cause(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> list[str]:
        raise RuntimeError("secret internals at /srv/app.py line 12")

    repository = client.app.state.repository  # type: ignore[attr-defined]
    monkeypatch.setattr(repository, "list_models", broken)
    monkeypatch.setattr(client.app.state.users, "readable_models", lambda user: None)  # type: ignore[attr-defined]
    answer = client.get("/api/model")
    assert answer.status_code == 500
    assert answer.json() == {"detail": "Internal server error."}
    assert "secret" not in answer.text and "Traceback" not in answer.text
    assert "secret internals" in caplog.text  # logged for the operator


def test_a_database_failure_is_a_503_that_says_retry(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_: object, **__: object) -> None:
        raise ErrorDatabase("connection refused by db.internal:5432")

    monkeypatch.setattr(client.app.state.repository, "create_model", down)  # type: ignore[attr-defined]
    answer = client.post("/api/model", json={"identifier": "m", "versions": []})
    assert answer.status_code == 503 and answer.headers["retry-after"] == "1"
    assert "db.internal" not in answer.text and answer.json()["detail"].startswith("The database")


def test_readyz_is_503_when_the_schema_falls_behind(client: TestClient, store_url: str) -> None:
    assert client.get("/api/readyz").json() == {"status": "ready"}
    migrate.downgrade(store_url, "0002")
    try:
        answer = client.get("/api/readyz")
        assert answer.status_code == 503 and "schema" in answer.json()["detail"]
        assert client.get("/api/healthz").status_code == 200
    finally:
        migrate.upgrade(store_url)  # the PostgreSQL database is shared by the session


def test_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    monkeypatch.setenv("MLTE_STORE_URL", "sqlite:///elsewhere.db")
    monkeypatch.setenv("MLTE_STORE_MAX_BODY", "1234")
    monkeypatch.setenv("MLTE_STORE_SECRET_KEY_FILE", str(key_file))
    settings = ServerSettings.from_env()
    assert (settings.url, settings.max_body, settings.token_ttl) == (
        "sqlite:///elsewhere.db",
        1234,
        7200,
    )
    assert settings.configured_key() == KEY
    assert KEY not in repr(settings)
    with pytest.raises(ValueError, match="at least 32"):
        ServerSettings(secret_key="short").configured_key()


def test_an_unmigrated_database_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ErrorSchema, match="mlte-store db upgrade"):
        create_app(ServerSettings(url=f"sqlite:///{tmp_path / 'empty.db'}"))
