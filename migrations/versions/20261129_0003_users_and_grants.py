"""Users, per-model grants and the signing secret of the HTTP server.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

Adds `mlte_user` (name, password hash, role, disabled flag, token generation),
`mlte_grant` (a user's read or write permission on a model; deleted with the
user or the model) and `mlte_server_secret` (at most one row: the token signing
key the server generates when none is configured). No user, password or key is
created here. Downgrading drops the three tables: users, grants and the
generated key are lost; models, versions and artifacts are untouched.

Self-contained on purpose: the column types are stated here, never imported
from the (changing) package.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "mlte_user",
        sa.Column("id", _KEY, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("token_generation", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'user')", name=op.f("ck_mlte_user_known_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mlte_user")),
        sa.UniqueConstraint("name", name=op.f("uq_mlte_user_name")),
    )
    op.create_table(
        "mlte_grant",
        sa.Column("user_id", _KEY, nullable=False),
        sa.Column("model_id", _KEY, nullable=False),
        sa.Column("permission", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "permission IN ('read', 'write')", name=op.f("ck_mlte_grant_known_permission")
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["mlte_model.id"],
            name=op.f("fk_mlte_grant_model_id_mlte_model"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["mlte_user.id"],
            name=op.f("fk_mlte_grant_user_id_mlte_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "model_id", name=op.f("pk_mlte_grant")),
    )
    op.create_index(op.f("ix_mlte_grant_model_id"), "mlte_grant", ["model_id"])
    op.create_table(
        "mlte_server_secret",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_mlte_server_secret_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mlte_server_secret")),
    )


def downgrade() -> None:
    op.drop_table("mlte_server_secret")
    op.drop_index(op.f("ix_mlte_grant_model_id"), table_name="mlte_grant")
    op.drop_table("mlte_grant")
    op.drop_table("mlte_user")
