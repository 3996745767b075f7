"""SQLAlchemy 2.0 ORM tables: models, versions, artifacts, artifact revisions, and the
HTTP server's users, per-model grants and signing secret.

Constraint and index names come from `NAMING_CONVENTION`, so Alembic and every
backend agree on them. Identifier columns compare and sort by code point on
every backend (PostgreSQL: collation "C"; SQLite: its default BINARY), which
is the order Python's `sorted()` gives.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    column,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from mlte_store.accounts import MAX_USER_NAME_LENGTH
from mlte_store.models import MAX_IDENTIFIER_LENGTH, ArtifactType

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Alembic's bookkeeping table, named so the store can share a database.
VERSION_TABLE = "mlte_store_alembic_version"


def identifier_type() -> TypeEngine[str]:
    """Identifier text: code-point collation on PostgreSQL, BINARY on SQLite."""
    return String(MAX_IDENTIFIER_LENGTH).with_variant(
        String(MAX_IDENTIFIER_LENGTH, collation="C"), "postgresql"
    )


#: JSON on SQLite, JSONB on PostgreSQL.
JsonDocument: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")

#: 64-bit surrogate keys; plain INTEGER on SQLite so the key is the rowid.
SurrogateKey: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ModelRow(Base):
    """A model."""

    __tablename__ = "mlte_model"

    id: Mapped[int] = mapped_column(SurrogateKey, primary_key=True, autoincrement=True)
    identifier: Mapped[str] = mapped_column(identifier_type(), unique=True)


class VersionRow(Base):
    """A version, unique by identifier within its model."""

    __tablename__ = "mlte_version"

    id: Mapped[int] = mapped_column(SurrogateKey, primary_key=True, autoincrement=True)
    model_id: Mapped[int] = mapped_column(
        SurrogateKey, ForeignKey(ModelRow.id, ondelete="CASCADE"), nullable=False
    )
    identifier: Mapped[str] = mapped_column(identifier_type())

    __table_args__ = (UniqueConstraint("model_id", "identifier"),)


ARTIFACT_TYPES = tuple(t.value for t in ArtifactType)


def unique_per_owner(table: str, *more: str) -> tuple[Index, Index]:
    """Unique (owner, identifier, *more) indexes, one partial index per owner column."""
    return tuple(  # type: ignore[return-value]
        Index(
            "_".join(["uq", table, name, "identifier", *more]),
            name,
            "identifier",
            *more,
            unique=True,
            sqlite_where=column(name).isnot(None),
            postgresql_where=column(name).isnot(None),
        )
        for name in ("version_id", "model_id")
    )


#: Hex characters of a SHA-256 digest.
DIGEST_LENGTH = 64


class _OwnedByModelOrVersion:
    """The owner of an artifact or revision: its model (model level) or its version."""

    model_id: Mapped[int | None] = mapped_column(
        SurrogateKey, ForeignKey(ModelRow.id, ondelete="CASCADE"), nullable=True
    )
    version_id: Mapped[int | None] = mapped_column(
        SurrogateKey, ForeignKey(VersionRow.id, ondelete="CASCADE"), nullable=True
    )


class ArtifactRow(_OwnedByModelOrVersion, Base):
    """An artifact. Model-level artifacts have `model_id` set, version-level ones `version_id`.

    `body` holds the body exactly as written. `search` holds the whole artifact
    JSON (header and body) as a search document (see `casefold`): strings
    case-folded, keys encoded. Filters run against it, never against `body`.
    """

    __tablename__ = "mlte_artifact"

    id: Mapped[int] = mapped_column(SurrogateKey, primary_key=True, autoincrement=True)
    identifier: Mapped[str] = mapped_column(identifier_type())
    type: Mapped[str] = mapped_column(String(16))
    timestamp: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    creator: Mapped[str | None] = mapped_column(Text, nullable=True)
    body: Mapped[Any] = mapped_column(JsonDocument)
    search: Mapped[Any] = mapped_column(JsonDocument)
    #: The revision this content is (see ArtifactRevisionRow) and its body's digest.
    revision: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    #: The Unicode version whose tables folded `search` (`casefold.UNICODE_VERSION`).
    folded_with: Mapped[str] = mapped_column(String(16))

    __table_args__ = (
        CheckConstraint("(model_id IS NULL) <> (version_id IS NULL)", name="one_owner"),
        CheckConstraint(
            "type IN (" + ", ".join(f"'{t}'" for t in ARTIFACT_TYPES) + ")", name="known_type"
        ),
        # One artifact per identifier in a version, and per identifier among a model's
        # model-level artifacts. They also serve lookups, paging (ordered by
        # identifier) and the foreign keys' ON DELETE CASCADE.
        *unique_per_owner("mlte_artifact"),
        Index(None, "type"),
        # min()/max() of it tell in two probes whether every document has one version.
        Index(None, "folded_with"),
    )


class ArtifactRevisionRow(_OwnedByModelOrVersion, Base):
    """One revision of an artifact: every write of new content, and every deletion.

    Numbered from 1 per identifier within its owner (the model for model-level
    artifacts, the version for version-level ones). A deletion marker has
    `deleted` set, the deleted artifact's header, and no body or digest.
    """

    __tablename__ = "mlte_artifact_revision"

    id: Mapped[int] = mapped_column(SurrogateKey, primary_key=True, autoincrement=True)
    identifier: Mapped[str] = mapped_column(identifier_type())
    revision: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(16))
    timestamp: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    creator: Mapped[str | None] = mapped_column(Text, nullable=True)
    body: Mapped[Any | None] = mapped_column(JsonDocument, nullable=True)
    digest: Mapped[str | None] = mapped_column(String(DIGEST_LENGTH), nullable=True)
    deleted: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("(model_id IS NULL) <> (version_id IS NULL)", name="one_owner"),
        CheckConstraint(
            "(deleted AND body IS NULL AND digest IS NULL) "
            "OR (NOT deleted AND body IS NOT NULL AND digest IS NOT NULL)",
            name="marker_or_content",
        ),
        # The revisions of one identifier, in order; also serves max(revision) and cascades.
        *unique_per_owner("mlte_artifact_revision", "revision"),
        Index(None, "recorded_at"),
    )


class UserRow(Base):
    """A user of the HTTP server: a password hash only, never the password.

    `token_generation` is part of every token issued to the user; changing the
    password or disabling the user increments it, so earlier tokens stop working.
    """

    __tablename__ = "mlte_user"

    id: Mapped[int] = mapped_column(SurrogateKey, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(MAX_USER_NAME_LENGTH), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean)
    token_generation: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("role IN ('admin', 'user')", name="known_role"),)


class GrantRow(Base):
    """A user's permission on one model: read, or write (which includes read).

    Deleting the user or the model deletes the grant.
    """

    __tablename__ = "mlte_grant"

    user_id: Mapped[int] = mapped_column(
        SurrogateKey, ForeignKey(UserRow.id, ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[int] = mapped_column(
        SurrogateKey, ForeignKey(ModelRow.id, ondelete="CASCADE"), primary_key=True, index=True
    )
    permission: Mapped[str] = mapped_column(String(16))

    __table_args__ = (CheckConstraint("permission IN ('read', 'write')", name="known_permission"),)


class ServerSecretRow(Base):
    """The one signing key the HTTP server generated, shared by all its worker processes."""

    __tablename__ = "mlte_server_secret"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)


# Core Table handles of the ORM classes, typed as Table, for SQLAlchemy Core statements.
model_table = cast(Table, ModelRow.__table__)
version_table = cast(Table, VersionRow.__table__)
artifact_table = cast(Table, ArtifactRow.__table__)
revision_table = cast(Table, ArtifactRevisionRow.__table__)
user_table = cast(Table, UserRow.__table__)
grant_table = cast(Table, GrantRow.__table__)
secret_table = cast(Table, ServerSecretRow.__table__)
