"""The app factory: one engine shared by the repository and the user store, routes under `/api`.

`create_app(settings)` builds everything at once: the engine (bounded connect
and statement timeouts, so an outage is a quick 503, not a hung worker), the
schema check (ErrorSchema if the database is not migrated), and the signing
key (configured, else generated once and kept in the database, so every worker
agrees). The key is never printed or logged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from mlte_store import ArtifactRepository, UserStore
from mlte_store.engine import create_engine, resolve_url
from mlte_store.errors import ErrorStore
from mlte_store.server.auth import VerifiedTokens
from mlte_store.server.errors import install as install_error_handlers
from mlte_store.server.limits import BodyLimit
from mlte_store.server.mlte_package import ui_folder
from mlte_store.server.routes import (
    artifacts,
    custom_lists,
    health,
    models,
    suite_template,
    token,
    users_me,
)
from mlte_store.server.settings import ServerSettings
from mlte_store.server.throttle import LoginThrottle
from mlte_store.server.ui import UiFrontend

API_PREFIX = "/api"


def _engine_options(settings: ServerSettings) -> dict[str, Any]:
    """Pool size and, on PostgreSQL, connect and statement timeouts."""
    url = resolve_url(settings.url)
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return {}  # one private in-memory database: SQLAlchemy's single-connection pool
    options: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout,
    }
    if url.get_backend_name() == "postgresql":
        options["connect_args"] = {
            "connect_timeout": settings.db_connect_timeout,
            "options": f"-c statement_timeout={settings.db_statement_timeout * 1000}",
        }
    return options


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    """The ASGI app serving the store of `settings.url` over MLTE's HTTP API."""
    settings = settings or ServerSettings()
    ui = ui_folder() if settings.ui else None
    if settings.ui and ui is None:
        raise ErrorStore("the web UI needs MLTE's package: pip install 'mlte_store[ui]'")
    engine = create_engine(settings.url, **_engine_options(settings))
    try:
        repository = ArtifactRepository(engine)
        users = UserStore(engine)
        signing_key = settings.configured_key() or users.signing_key()
    except BaseException:
        engine.dispose()
        raise

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="mlte_store",
        summary="MLTE's artifact API over a SQL store.",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=f"{API_PREFIX}/redoc",
        openapi_url=f"{API_PREFIX}/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.repository = repository
    app.state.users = users
    app.state.signing_key = signing_key
    app.state.tokens = VerifiedTokens(signing_key)
    app.state.throttle = LoginThrottle(
        settings.login_max_failures, settings.login_max_address_failures, settings.login_window
    )
    for router in (
        health.router,
        token.router,
        models.router,
        artifacts.router,
        artifacts.model_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(custom_lists.router, prefix=API_PREFIX)
    for router in (custom_lists.lists_router, users_me.router, suite_template.router):
        app.include_router(router, prefix=API_PREFIX)
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_body=settings.max_body)
    if ui is not None:
        app.add_middleware(UiFrontend, folder=ui, api_prefix=API_PREFIX)
    if settings.cors_origins:  # outermost: every answer, redirects and errors too
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
            expose_headers=["X-Total-Count"],
            max_age=600,
        )
    return app


def create_app_from_env() -> FastAPI:
    """`create_app` with settings from the environment: what each uvicorn worker runs."""
    return create_app(ServerSettings.from_env())
