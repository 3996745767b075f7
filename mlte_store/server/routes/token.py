"""`POST /api/token`: OAuth 2 password grant, answered as MLTE's backend answers it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel

from mlte_store.server.answers import TOKEN
from mlte_store.server.auth import Users, issue_token
from mlte_store.server.errors import TokenError, TooManyLogins
from mlte_store.server.throttle import LoginThrottle

router = APIRouter(tags=["token"])


class TokenResponse(BaseModel):
    """A bearer token and its lifetime in seconds."""

    access_token: str
    token_type: str
    expires_in: int


@router.post("/token", responses=TOKEN)
def token(
    request: Request,
    users: Users,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    grant_type: Annotated[str | None, Form()] = None,
) -> TokenResponse:
    """A token for a user's name and password (form fields, `grant_type=password`).

    Unknown user and wrong password get the same answer (and cost the same time).
    Repeated failures are throttled (429, see `throttle`), before any password check.
    """
    if grant_type not in (None, "password"):
        raise TokenError("unsupported_grant_type", f"Grant type {grant_type!r} is not supported.")
    throttle: LoginThrottle = request.app.state.throttle
    address = request.client.host if request.client else ""
    wait = throttle.retry_after(username, address)
    if wait:
        raise TooManyLogins(wait)
    user = users.authenticate(username, password)
    if user is None:
        throttle.failed(username, address)
        raise TokenError("invalid_grant", "Incorrect username or password.")
    throttle.succeeded(username, address)
    if user.disabled:
        raise TokenError("invalid_request", "User is inactive.")
    ttl: int = request.app.state.settings.token_ttl
    return TokenResponse(
        access_token=issue_token(user, request.app.state.signing_key, ttl),
        token_type="bearer",
        expires_in=ttl,
    )
