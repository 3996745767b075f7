"""Tokens, the authenticate dependency and the per-model authorise dependency.

A token is an HS256 JWT naming the user (`sub`), their key (`uid`) and their
token generation (`gen`): a deleted, re-created or disabled user, or a password
change, ends every token issued before. Every request re-reads the user, so
such changes take effect at once, on every worker.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer

from mlte_store import ArtifactRepository, ErrorNotFound, Permission, Role, User, UserStore
from mlte_store.server.errors import Forbidden

ALGORITHM = "HS256"

#: OpenAPI's description of the scheme; errors are raised below, not by it.
_bearer = OAuth2PasswordBearer(tokenUrl="/api/token", auto_error=False)


def issue_token(user: User, key: str, ttl: int) -> str:
    """A signed token for `user`, valid for `ttl` seconds."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user.name,
        "uid": user.id,
        "gen": user.token_generation,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


class VerifiedTokens:
    """The claims of tokens whose signature and claims were checked, by token, so the HMAC
    and the claim checks run once per token instead of once per request.

    Only the expiry depends on time: it is checked again on every use. The user is still
    re-read on every request (`authenticated`), so a disabled user, a password change or a
    deletion still ends the token at once. Bounded: emptied when full.
    """

    def __init__(self, key: str, size: int = 4096) -> None:
        self._key, self._size = key, size
        self._claims: dict[str, dict[str, Any]] = {}

    def claims(self, token: str) -> dict[str, Any]:
        """The token's claims; jwt's errors (expired, invalid) if it is not valid now."""
        claims = self._claims.get(token)
        if claims is None:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                options={"require": ["sub", "uid", "gen", "exp"]},
            )
            if len(self._claims) >= self._size:
                self._claims.clear()
            self._claims[token] = claims
        elif int(claims["exp"]) <= time.time():  # PyJWT's rule, without leeway
            raise jwt.ExpiredSignatureError("Signature has expired")
        return claims


def _unauthorized(text: str, error: str | None = None) -> HTTPException:
    challenge = "Bearer" if error is None else f'Bearer error="{error}"'
    return HTTPException(401, detail=text, headers={"WWW-Authenticate": challenge})


async def repository(request: Request) -> ArtifactRepository:
    """The app's repository (async: FastAPI runs a sync dependency on a worker thread)."""
    repo: ArtifactRepository = request.app.state.repository
    return repo


async def user_store(request: Request) -> UserStore:
    """The app's user store (async, as `repository`)."""
    users: UserStore = request.app.state.users
    return users


Repository = Annotated[ArtifactRepository, Depends(repository)]
Users = Annotated[UserStore, Depends(user_store)]
Token = Annotated[str | None, Depends(_bearer)]


def authenticated(request: Request, users: Users, token: Token) -> User:
    """The user the request's bearer token names; 401 unless it is valid and current."""
    return _current_user(request, users, token)


def _current_user(request: Request, users: UserStore, token: str | None) -> User:
    """The body of `authenticated`, callable from other dependencies."""
    if not token:
        raise _unauthorized("Not authenticated.")
    try:
        tokens: VerifiedTokens = request.app.state.tokens
        claims = tokens.claims(token)
    except jwt.ExpiredSignatureError:
        raise _unauthorized("Token expired.", "invalid_token") from None
    except jwt.InvalidTokenError:
        raise _unauthorized("Invalid token.", "invalid_token") from None
    name = claims["sub"]
    user = users.get(name) if isinstance(name, str) else None
    if (
        user is None
        or user.disabled
        or user.id != claims["uid"]
        or user.token_generation != claims["gen"]
    ):
        raise _unauthorized(
            "Invalid token: its user is unknown, disabled or changed.", "invalid_token"
        )
    return user


CurrentUser = Annotated[User, Depends(authenticated)]


def decode_id(value: str) -> str:
    """A path id as MLTE sends it: already percent-decoded; `---` stands for `/`."""
    return value.replace("---", "/")


@dataclass(frozen=True)
class Access:
    """The caller, the (decoded) model they address, and whether it exists."""

    user: User
    model_id: str
    exists: bool


def check(users: UserStore, user: User, model_id: str, needed: Permission) -> bool:
    """Whether the model exists; Forbidden if it does and `user` may not do `needed` in it."""
    exists, granted = users.access(user, model_id)
    if exists and (granted is None or not granted.allows(needed)):
        raise Forbidden(f"User {user.name!r} may not {needed.value} model {model_id!r}.")
    return exists


class Authorised:
    """Dependency: the caller may do `needed` in the path's model (else 403).

    A missing model is 404, for every caller, unless `allow_missing`: then the
    route decides (a write with `parents` creates it).
    """

    def __init__(self, needed: Permission, *, allow_missing: bool = False) -> None:
        self.needed, self.allow_missing = needed, allow_missing

    def __call__(self, model_id: str, request: Request, users: Users, token: Token) -> Access:
        # Authenticates itself rather than depending on `authenticated`: FastAPI runs each
        # sync dependency on a worker thread, so this is one thread hop per request, not two.
        user = _current_user(request, users, token)
        decoded = decode_id(model_id)
        exists = check(users, user, decoded, self.needed)
        if not exists and not self.allow_missing:
            raise ErrorNotFound(f"model {decoded!r} not found")
        return Access(user, decoded, exists)


Reader = Annotated[Access, Depends(Authorised(Permission.READ))]
Writer = Annotated[Access, Depends(Authorised(Permission.WRITE))]
Creator = Annotated[Access, Depends(Authorised(Permission.WRITE, allow_missing=True))]


def is_admin(user: User) -> bool:
    """Admins need no grants."""
    return user.role is Role.ADMIN
