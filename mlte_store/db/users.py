"""Users, grants and the server secret: statements and operations on an open connection.

Every function takes the caller's connection (the facade in `mlte_store.users`
owns the transaction) and uses bound parameters only. Password hashes go in
and out of this module and `mlte_store.users` only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from mlte_store.accounts import Permission, Role, User
from mlte_store.errors import ErrorAlreadyExists
from mlte_store.tables import grant_table as _grant
from mlte_store.tables import model_table as _model
from mlte_store.tables import secret_table as _secret
from mlte_store.tables import user_table as _user

_USER_COLUMNS = (
    _user.c.id,
    _user.c.name,
    _user.c.role,
    _user.c.disabled,
    _user.c.token_generation,
    _user.c.created_at,
)


def _to_user(row: Any) -> User:
    return User(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        disabled=bool(row.disabled),
        token_generation=row.token_generation,
        created_at=row.created_at,
    )


def insert_user(
    connection: Connection, name: str, password_hash: str, role: Role, now: datetime
) -> User:
    """Insert a user and return it; ErrorAlreadyExists if the name is taken."""
    try:
        row = connection.execute(
            insert(_user)
            .values(
                name=name,
                password_hash=password_hash,
                role=role.value,
                disabled=False,
                token_generation=0,
                created_at=now,
            )
            .returning(*_USER_COLUMNS)
        ).one()
    except IntegrityError as exc:
        raise ErrorAlreadyExists(f"user {name!r} already exists") from exc
    return _to_user(row)


def users(connection: Connection) -> list[User]:
    """Every user, by name."""
    return [
        _to_user(row) for row in connection.execute(select(*_USER_COLUMNS).order_by(_user.c.name))
    ]


def user_with_hash(connection: Connection, name: str) -> tuple[User, str] | None:
    """The user called `name` and their password hash, or None."""
    row = connection.execute(
        select(*_USER_COLUMNS, _user.c.password_hash).where(_user.c.name == name)
    ).first()
    return None if row is None else (_to_user(row), row.password_hash)


def user(connection: Connection, name: str) -> User | None:
    """The user called `name`, or None."""
    row = connection.execute(select(*_USER_COLUMNS).where(_user.c.name == name)).first()
    return None if row is None else _to_user(row)


def update_user(connection: Connection, name: str, **values: Any) -> User | None:
    """Change a user's columns and start a new token generation; None if there is no such user.

    Every change made through here (password, disabled flag) must end the
    tokens issued before it, so the generation always moves on.
    """
    row = connection.execute(
        update(_user)
        .where(_user.c.name == name)
        .values(token_generation=_user.c.token_generation + 1, **values)
        .returning(*_USER_COLUMNS)
    ).first()
    return None if row is None else _to_user(row)


def delete_user(connection: Connection, name: str) -> User | None:
    """Delete a user (their grants go with them); None if there is no such user."""
    row = connection.execute(
        delete(_user).where(_user.c.name == name).returning(*_USER_COLUMNS)
    ).first()
    return None if row is None else _to_user(row)


def model_pk(connection: Connection, model_id: str) -> int | None:
    """The key of the model `model_id`, or None."""
    key: int | None = connection.execute(
        select(_model.c.id).where(_model.c.identifier == model_id)
    ).scalar_one_or_none()
    return key


def upsert_grant(
    connection: Connection, user_pk: int, model_key: int, permission: Permission
) -> None:
    """Give a user `permission` on a model, replacing the grant they had on it."""
    dialect = connection.dialect.name
    build = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = build(_grant).values(
        user_id=user_pk, model_id=model_key, permission=permission.value
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[_grant.c.user_id, _grant.c.model_id],
            set_={"permission": statement.excluded.permission},
        )
    )


def delete_grant(connection: Connection, user_pk: int, model_key: int) -> bool:
    """Remove a user's grant on a model; whether there was one."""
    result = connection.execute(
        delete(_grant).where(and_(_grant.c.user_id == user_pk, _grant.c.model_id == model_key))
    )
    return bool(result.rowcount)


def access(connection: Connection, user_pk: int, model_id: str) -> tuple[bool, Permission | None]:
    """Whether the model exists, and the user's grant on it (None: no grant)."""
    row = connection.execute(
        select(_model.c.id, _grant.c.permission)
        .select_from(
            _model.outerjoin(
                _grant, and_(_grant.c.model_id == _model.c.id, _grant.c.user_id == user_pk)
            )
        )
        .where(_model.c.identifier == model_id)
    ).first()
    if row is None:
        return False, None
    return True, None if row.permission is None else Permission(row.permission)


def granted_models(connection: Connection, user_pk: int) -> list[str]:
    """The identifiers of the models a user holds a grant on, sorted."""
    rows = connection.execute(
        select(_model.c.identifier)
        .select_from(_grant.join(_model, _model.c.id == _grant.c.model_id))
        .where(_grant.c.user_id == user_pk)
        .order_by(_model.c.identifier)
    )
    return list(rows.scalars())


def grants(connection: Connection) -> list[tuple[str, str, Permission]]:
    """Every grant as (user name, model identifier, permission), sorted."""
    rows = connection.execute(
        select(_user.c.name, _model.c.identifier, _grant.c.permission)
        .select_from(
            _grant.join(_user, _user.c.id == _grant.c.user_id).join(
                _model, _model.c.id == _grant.c.model_id
            )
        )
        .order_by(_user.c.name, _model.c.identifier)
    )
    return [(name, model, Permission(permission)) for name, model, permission in rows]


def insert_secret_if_absent(connection: Connection, secret: str, now: datetime) -> None:
    """Store `secret` as the server's signing key unless one is stored already."""
    dialect = connection.dialect.name
    build = postgresql_insert if dialect == "postgresql" else sqlite_insert
    connection.execute(
        build(_secret).values(id=1, secret=secret, created_at=now).on_conflict_do_nothing()
    )


def secret(connection: Connection) -> str | None:
    """The stored signing key, if any."""
    value: str | None = connection.execute(
        select(_secret.c.secret).where(_secret.c.id == 1)
    ).scalar_one_or_none()
    return value
