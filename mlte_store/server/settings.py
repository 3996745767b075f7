"""Server settings: from arguments or `MLTE_STORE_*` environment variables.

Worker processes started by uvicorn build their app from the environment
(`create_app_from_env`), so everything a worker needs can be said there. The
signing key itself is never put into the environment by `mlte-store serve`:
only the path of a file holding it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mlte_store.engine import DEFAULT_URL, URL_ENV_VAR

#: Default largest request body: 16 MiB.
DEFAULT_MAX_BODY = 16 * 1024 * 1024

#: Default token lifetime: 2 hours, as MLTE's backend.
DEFAULT_TOKEN_TTL = 2 * 60 * 60

#: Shortest configured signing key accepted (HS256 wants at least 256 bits).
MIN_SECRET_KEY_LENGTH = 32

#: `MLTE_STORE_` + a field name in capitals names its environment variable (so `url` is
#: read from URL_ENV_VAR, as everywhere else).
ENV_PREFIX = URL_ENV_VAR.removesuffix("URL")

#: A browser origin: scheme, host and optional port; no path, no wildcard.
_ORIGIN = re.compile(r"https?://[^\s/?#*@]+")


class ServerSettings(BaseModel):
    """What the HTTP server is configured with."""

    model_config = ConfigDict(frozen=True)

    url: str = DEFAULT_URL
    #: Largest request body in bytes; a larger one is answered with 413 while it streams in.
    max_body: int = Field(DEFAULT_MAX_BODY, ge=1)
    #: Token lifetime in seconds.
    token_ttl: int = Field(DEFAULT_TOKEN_TTL, ge=1)
    #: The signing key, or a file holding it; neither: generated once and kept in the database.
    secret_key: str | None = Field(None, repr=False)
    secret_key_file: Path | None = None
    #: Seconds to wait for a new database connection (PostgreSQL), and for one statement:
    #: a database outage is answered with a quick 503, never a hung worker.
    db_connect_timeout: int = Field(5, ge=1)
    db_statement_timeout: int = Field(30, ge=1)
    #: Connections per worker process (pool size), extra ones under load, and how long a
    #: request waits for a free one before it is answered 503.
    db_pool_size: int = Field(10, ge=1)
    db_max_overflow: int = Field(10, ge=0)
    db_pool_timeout: int = Field(30, ge=1)
    #: Failed logins allowed per (user name, client address), and per client address,
    #: within `login_window` seconds; then 429 with Retry-After until the window ends.
    login_max_failures: int = Field(5, ge=1)
    login_max_address_failures: int = Field(50, ge=1)
    login_window: int = Field(60, ge=1)

    #: Serve MLTE's web UI from the installed `mlte` package at `/` (extra `ui`).
    ui: bool = False
    #: Origins whose pages may call the API from a browser (CORS), such as a separately
    #: served `mlte ui` at http://localhost:8000. In the environment: comma-separated.
    cors_origins: tuple[str, ...] = ()

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"not a browser origin: {origin[:200]!r} "
                    "(scheme://host[:port], as in http://localhost:8000; no path, no '*')"
                )
        return value

    @classmethod
    def from_env(cls) -> ServerSettings:
        """Settings from `MLTE_STORE_URL`, `MLTE_STORE_MAX_BODY`, `MLTE_STORE_TOKEN_TTL`, ...

        The names are the field names upper-cased with the `MLTE_STORE_` prefix;
        unset ones keep their defaults.
        """
        values = {
            name: os.environ[ENV_PREFIX + name.upper()]
            for name in cls.model_fields
            if os.environ.get(ENV_PREFIX + name.upper())
        }
        return cls.model_validate(values)

    def configured_key(self) -> str | None:
        """The configured signing key (argument, else file), checked; None if not configured."""
        key = self.secret_key
        if key is None and self.secret_key_file is not None:
            key = self.secret_key_file.read_text(encoding="utf-8").strip()
        if key is not None and len(key) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"the signing key must be at least {MIN_SECRET_KEY_LENGTH} characters long"
            )
        return key
