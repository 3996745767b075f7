"""Initial schema: models, versions and artifacts.

Revision ID: 0001
Revises:
Create Date: 2026-11-27

Self-contained on purpose: a revision states the schema as it was, so it never
imports the (changing) ORM tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_IDENTIFIER = sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "mlte_model",
        sa.Column("id", _KEY, autoincrement=True, nullable=False),
        sa.Column("identifier", _IDENTIFIER, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mlte_model")),
        sa.UniqueConstraint("identifier", name=op.f("uq_mlte_model_identifier")),
    )
    op.create_table(
        "mlte_version",
        sa.Column("id", _KEY, autoincrement=True, nullable=False),
        sa.Column("model_id", _KEY, nullable=False),
        sa.Column("identifier", _IDENTIFIER, nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["mlte_model.id"],
            name=op.f("fk_mlte_version_model_id_mlte_model"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mlte_version")),
        sa.UniqueConstraint(
            "model_id", "identifier", name=op.f("uq_mlte_version_model_id_identifier")
        ),
    )
    op.create_table(
        "mlte_artifact",
        sa.Column("id", _KEY, autoincrement=True, nullable=False),
        sa.Column("model_id", _KEY, nullable=True),
        sa.Column("version_id", _KEY, nullable=True),
        sa.Column("identifier", _IDENTIFIER, nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=True),
        sa.Column("creator", sa.Text(), nullable=True),
        sa.Column("body", _JSON, nullable=False),
        sa.Column("search", _JSON, nullable=False),
        sa.CheckConstraint(
            "type IN ('card', 'evidence', 'suite', 'results', 'report')",
            name=op.f("ck_mlte_artifact_known_type"),
        ),
        sa.CheckConstraint(
            "(model_id IS NULL) <> (version_id IS NULL)", name=op.f("ck_mlte_artifact_one_owner")
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["mlte_model.id"],
            name=op.f("fk_mlte_artifact_model_id_mlte_model"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["mlte_version.id"],
            name=op.f("fk_mlte_artifact_version_id_mlte_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mlte_artifact")),
    )
    op.create_index(op.f("ix_mlte_artifact_type"), "mlte_artifact", ["type"])
    for owner in ("model_id", "version_id"):
        op.create_index(
            op.f(f"uq_mlte_artifact_{owner}_identifier"),
            "mlte_artifact",
            [owner, "identifier"],
            unique=True,
            sqlite_where=sa.text(f"{owner} IS NOT NULL"),
            postgresql_where=sa.text(f"{owner} IS NOT NULL"),
        )


def downgrade() -> None:
    op.drop_table("mlte_artifact")
    op.drop_table("mlte_version")
    op.drop_table("mlte_model")
