"""How the server answers errors: always JSON, never internals.

The library's errors map to MLTE's status codes and texts ("... not found.",
"... already exists."); database outages are 503 so clients can retry; anything
unexpected is a 500 whose cause is logged, never sent.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from mlte_store.errors import (
    ErrorAlreadyExists,
    ErrorDatabase,
    ErrorInvalidInput,
    ErrorNotFound,
    ErrorSchema,
)

logger = logging.getLogger("mlte_store.server")

INTERNAL_ERROR = "Internal server error."
DATABASE_UNAVAILABLE = "The database is unavailable; nothing was changed. Retry later."
SCHEMA_NOT_READY = "The database schema is missing or not at this server's revision."


class TokenError(Exception):
    """A refused token request, answered as OAuth 2 says: 400 with `error`, `error_description`."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


class TooManyLogins(Exception):
    """Too many failed logins from this client (429 with Retry-After)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed logins; retry in {retry_after} seconds.")
        self.retry_after = retry_after


class Forbidden(Exception):
    """The authenticated user may not do this to that model (403)."""


def sentence(message: str, ending: str) -> str:
    """MLTE's detail text: the message ending in `ending` and a full stop."""
    message = message.rstrip(". ")
    return f"{message}." if message.endswith(ending) else f"{message}: {ending}."


def detail(status: int, text: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON error answer `{"detail": text}`."""
    return JSONResponse({"detail": text}, status_code=status, headers=headers)


def _not_found(_: Request, exc: Exception) -> JSONResponse:
    return detail(404, sentence(str(exc), "not found"))


def _already_exists(_: Request, exc: Exception) -> JSONResponse:
    return detail(409, sentence(str(exc), "already exists"))


def _invalid_input(_: Request, exc: Exception) -> JSONResponse:
    return detail(422, str(exc))


def _forbidden(_: Request, exc: Exception) -> JSONResponse:
    return detail(403, str(exc))


def _database(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("%s %s: %s", request.method, request.url.path, exc)
    text = SCHEMA_NOT_READY if isinstance(exc, ErrorSchema) else DATABASE_UNAVAILABLE
    return detail(503, text, {"Retry-After": "1"})


def _token(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TokenError)
    return JSONResponse(
        {"error": exc.error, "error_description": exc.description},
        status_code=400,
        headers={"Cache-Control": "no-store"},
    )


def _too_many_logins(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TooManyLogins)
    return detail(429, str(exc), {"Retry-After": str(exc.retry_after)})


def _validation(_: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, without echoing the refused input (it may hold a password)."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {key: value for key, value in error.items() if key in ("type", "loc", "msg")}
        for error in exc.errors()
    ]
    return detail(422, errors)


def _internal(request: Request, exc: Exception) -> JSONResponse:
    logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return detail(500, INTERNAL_ERROR)


def install(app: FastAPI) -> None:
    """Register the handlers on `app`."""
    app.add_exception_handler(ErrorNotFound, _not_found)
    app.add_exception_handler(ErrorAlreadyExists, _already_exists)
    app.add_exception_handler(ErrorInvalidInput, _invalid_input)
    app.add_exception_handler(ErrorDatabase, _database)
    app.add_exception_handler(ErrorSchema, _database)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(TokenError, _token)
    app.add_exception_handler(TooManyLogins, _too_many_logins)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(Exception, _internal)
