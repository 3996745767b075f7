"""Users of the HTTP server and their permissions: entities and input rules, no SQL.

A user has a role (admin: everything; user: the models they created or were
granted) and per-model grants (read, or write which includes read). The
password itself is never kept or returned: only its hash, and only in the
database layer.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict

from mlte_store.errors import ErrorInvalidInput

#: Longest user name (it goes into tokens and into `http://USER:PASS@host` URLs).
MAX_USER_NAME_LENGTH = 64

#: Shortest and longest password accepted.
MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH = 8, 1024

#: Letters, digits and `. _ - @`, starting with a letter or digit: safe in URLs and logs.
_USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]*")


class Role(str, Enum):
    """What a user may do: everything (admin), or what their grants allow (user)."""

    ADMIN = "admin"
    """May do everything, on every model, and manage users."""
    USER = "user"
    """May create models, and use the models they created or were granted."""


class Permission(str, Enum):
    """A grant on one model: read (GET, search) or write (also POST and DELETE)."""

    READ = "read"
    """Read the model's versions and artifacts, and search them."""
    WRITE = "write"
    """Read, and also write and delete (includes read)."""

    def allows(self, needed: Permission) -> bool:
        """Whether holding this permission is enough for `needed`."""
        return self is Permission.WRITE or needed is Permission.READ


class User(BaseModel):
    """A user as the server and the CLI see it: never a password or its hash."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    role: Role
    disabled: bool
    token_generation: int
    created_at: datetime


def check_user_name(name: object) -> str:
    """A valid user name, or ErrorInvalidInput saying what is wrong with it."""
    if not isinstance(name, str):
        raise ErrorInvalidInput(f"user name must be text, got {type(name).__name__}")
    if not 1 <= len(name) <= MAX_USER_NAME_LENGTH or not _USER_NAME.fullmatch(name):
        raise ErrorInvalidInput(
            f"invalid user name {name[:80]!r}: 1 to {MAX_USER_NAME_LENGTH} letters, digits "
            "or . _ - @, starting with a letter or digit"
        )
    return name


def check_password(password: object) -> str:
    """A password fit to hash, or ErrorInvalidInput (the message never contains it)."""
    if not isinstance(password, str):
        raise ErrorInvalidInput("password must be text")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ErrorInvalidInput(
            f"password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long"
        )
    if "\x00" in password:
        raise ErrorInvalidInput("password must not contain NUL characters")
    return password
