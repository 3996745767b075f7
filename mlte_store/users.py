"""UserStore: the HTTP server's users, per-model grants and signing key, over SQL.

The same shape as ArtifactRepository: built from a URL (then it owns and
`close()` disposes the engine) or from an Engine shared with a repository;
every public method runs in one transaction and raises only the library's
errors. Passwords are hashed with Argon2 (argon2-cffi, installed with the
`server` extra); neither passwords nor hashes ever leave this module.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL

from mlte_store import migrate
from mlte_store.accounts import Permission, Role, User, check_password, check_user_name
from mlte_store.db import users as sql
from mlte_store.db.connection import Database, OwnsDatabase
from mlte_store.errors import (
    ErrorDatabase,
    ErrorInvalidInput,
    ErrorNotFound,
    ErrorStore,
    describe,
)
from mlte_store.models import check_identifier

if TYPE_CHECKING:
    from argon2 import PasswordHasher

#: Bytes of randomness in a generated signing key.
SECRET_BYTES = 48


class UserStore(OwnsDatabase):
    """Users, grants and the signing key of the HTTP server, in the store's database."""

    def __init__(self, url_or_engine: str | URL | Engine | None = None) -> None:
        self._db = Database(url_or_engine, keep_history=False)
        try:
            self.check_schema()
        except BaseException:
            self.close()
            raise

    def check_schema(self) -> None:
        """ErrorSchema unless the database answers and is at this code's head revision."""
        with self._db.transaction(write=False) as tx:
            migrate.check_schema(tx.connection, self._db.url_shown)

    # -- users -------------------------------------------------------------------

    def add(self, name: str, password: str, *, role: Role | str = Role.USER) -> User:
        """Create a user; ErrorAlreadyExists if the name is taken."""
        name, role = check_user_name(name), _role(role)
        password_hash = self._hasher.hash(check_password(password))
        with self._db.transaction(write=True) as tx:
            return sql.insert_user(tx.connection, name, password_hash, role, _now())

    def list_users(self) -> list[User]:
        """Every user, by name."""
        with self._db.transaction(write=False) as tx:
            return sql.users(tx.connection)

    def get(self, name: str) -> User | None:
        """The user called `name`, or None (also for a name that could not exist)."""
        try:
            name = check_user_name(name)
        except ErrorInvalidInput:
            return None
        with self._db.transaction(write=False) as tx:
            return sql.user(tx.connection, name)

    def passwd(self, name: str, password: str) -> User:
        """Set a new password; tokens issued before stop working."""
        name = check_user_name(name)
        password_hash = self._hasher.hash(check_password(password))
        with self._db.transaction(write=True) as tx:
            return _found(sql.update_user(tx.connection, name, password_hash=password_hash), name)

    def disable(self, name: str, disabled: bool = True) -> User:
        """Disable (or enable again) a user; tokens issued before stop working."""
        name = check_user_name(name)
        with self._db.transaction(write=True) as tx:
            return _found(sql.update_user(tx.connection, name, disabled=disabled), name)

    def remove(self, name: str) -> User:
        """Delete a user with their grants; return what was deleted."""
        name = check_user_name(name)
        with self._db.transaction(write=True) as tx:
            return _found(sql.delete_user(tx.connection, name), name)

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if `password` is theirs, else None.

        Unknown names cost the same hash verification as wrong passwords (a
        dummy hash), so the answer and its timing do not say which it was. A
        disabled user is returned too: the caller decides what that means.
        """
        dummy_hash = self._dummy_hash  # made first, so even the first call costs the same
        found: tuple[User, str] | None = None
        if isinstance(name, str) and isinstance(password, str):
            try:
                with self._db.transaction(write=False) as tx:
                    found = sql.user_with_hash(tx.connection, check_user_name(name))
            except ErrorInvalidInput:
                found = None
        password_hash = found[1] if found else dummy_hash
        if not self._verify(password_hash, password if isinstance(password, str) else ""):
            return None
        return found[0] if found else None

    # -- grants ------------------------------------------------------------------

    def grant(self, name: str, model_id: str, permission: Permission | str) -> None:
        """Give a user read or write on an existing model (replacing their grant on it)."""
        name, model_id = check_user_name(name), _model_id(model_id)
        wanted = _permission(permission)
        with self._db.transaction(write=True) as tx:
            user_pk, model_key = self._user_and_model(tx.connection, name, model_id)
            sql.upsert_grant(tx.connection, user_pk, model_key, wanted)

    def revoke(self, name: str, model_id: str) -> None:
        """Remove a user's grant on a model; ErrorNotFound if they had none."""
        name, model_id = check_user_name(name), _model_id(model_id)
        with self._db.transaction(write=True) as tx:
            user_pk, model_key = self._user_and_model(tx.connection, name, model_id)
            if not sql.delete_grant(tx.connection, user_pk, model_key):
                raise ErrorNotFound(f"grant of user {name!r} on {describe(model_id)} not found")

    def grants(self) -> list[tuple[str, str, Permission]]:
        """Every grant as (user name, model identifier, permission)."""
        with self._db.transaction(write=False) as tx:
            return sql.grants(tx.connection)

    def access(self, user: User, model_id: str) -> tuple[bool, Permission | None]:
        """Whether the model exists, and what `user` may do in it (None: nothing).

        Admins may write everywhere; other users what their grant says.
        """
        model_id = _model_id(model_id)
        with self._db.transaction(write=False) as tx:
            exists, granted = sql.access(tx.connection, user.id, model_id)
        if exists and user.role is Role.ADMIN:
            return True, Permission.WRITE
        return exists, granted

    def readable_models(self, user: User) -> list[str] | None:
        """The models `user` may read, sorted; None for an admin (every model)."""
        if user.role is Role.ADMIN:
            return None
        with self._db.transaction(write=False) as tx:
            return sql.granted_models(tx.connection, user.id)

    # -- signing key -------------------------------------------------------------

    def signing_key(self) -> str:
        """The server's token signing key: generated once, then the same for every process."""
        with self._db.transaction(write=True) as tx:
            sql.insert_secret_if_absent(tx.connection, secrets.token_urlsafe(SECRET_BYTES), _now())
            stored = sql.secret(tx.connection)
        if stored is None:  # pragma: no cover - the insert above guarantees a row
            raise ErrorDatabase("the server secret could not be stored")
        return stored

    # -- private -----------------------------------------------------------------

    @cached_property
    def _hasher(self) -> PasswordHasher:
        try:
            from argon2 import PasswordHasher
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise ErrorStore(
                "password hashing needs argon2-cffi: pip install 'mlte_store[server]'"
            ) from exc
        return PasswordHasher()

    @cached_property
    def _dummy_hash(self) -> str:
        return self._hasher.hash(secrets.token_urlsafe(16))

    def _verify(self, password_hash: str, password: str) -> bool:
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _user_and_model(self, connection: Connection, name: str, model_id: str) -> tuple[int, int]:
        user = _found(sql.user(connection, name), name)
        model_key = sql.model_pk(connection, model_id)
        if model_key is None:
            raise ErrorNotFound(f"{describe(model_id)} not found")
        return user.id, model_key


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _found(user: User | None, name: str) -> User:
    if user is None:
        raise ErrorNotFound(f"user {name!r} not found")
    return user


def _model_id(value: object) -> str:
    try:
        return check_identifier(value, "model identifier")  # type: ignore[arg-type]
    except ValueError as exc:
        raise ErrorInvalidInput(str(exc)) from exc


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ErrorInvalidInput(f"role must be 'admin' or 'user', got {value!r}") from None


def _permission(value: Permission | str) -> Permission:
    try:
        return Permission(value)
    except ValueError:
        raise ErrorInvalidInput(f"permission must be 'read' or 'write', got {value!r}") from None
