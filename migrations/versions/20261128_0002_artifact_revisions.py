"""Artifact revision history: every write and deletion of an artifact is a revision.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Adds `mlte_artifact_revision` and, on `mlte_artifact`, the current content's
revision number and body digest. Upgrading a populated database gives every
artifact its revision 1 (same header and body, digest computed here);
downgrading keeps the current artifacts and drops the history.

Self-contained on purpose: the column types and the digest rule are stated
here, never imported from the (changing) package.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_IDENTIFIER = sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_DIGEST = sa.String(length=64)

#: Artifacts read and updated per round trip while computing digests.
_BATCH = 1000


def _canonical(value: Any) -> Any:
    """Numbers as JSON values: a float with an integral value is that integer."""
    if isinstance(value, float) and value.is_integer():
        return int(Decimal(repr(value)))  # 1.5e300 -> 15 * 10**299, as JSONB gives it back
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def _digest(body: Any) -> str:
    """SHA-256 of the body's canonical JSON (the rule of mlte_store.models.body_digest)."""
    text = json.dumps(_canonical(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _artifact_table() -> sa.TableClause:
    """The columns of mlte_artifact this revision reads and writes."""
    return sa.table(
        "mlte_artifact",
        sa.column("id", _KEY),
        sa.column("model_id", _KEY),
        sa.column("version_id", _KEY),
        sa.column("identifier", _IDENTIFIER),
        sa.column("type", sa.String(16)),
        sa.column("timestamp", sa.BigInteger()),
        sa.column("creator", sa.Text()),
        sa.column("body", _JSON),
        sa.column("revision", sa.Integer()),
        sa.column("digest", _DIGEST),
    )


def upgrade() -> None:
    with op.batch_alter_table("mlte_artifact") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("digest", _DIGEST, nullable=True))
    _fill_digests()
    with op.batch_alter_table("mlte_artifact") as batch:
        batch.alter_column("revision", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("digest", existing_type=_DIGEST, nullable=False)

    revisions = op.create_table(
        "mlte_artifact_revision",
        sa.Column("id", _KEY, autoincrement=True, nullable=False),
        sa.Column("model_id", _KEY, nullable=True),
        sa.Column("version_id", _KEY, nullable=True),
        sa.Column("identifier", _IDENTIFIER, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=True),
        sa.Column("creator", sa.Text(), nullable=True),
        sa.Column("body", _JSON, nullable=True),
        sa.Column("digest", _DIGEST, nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(model_id IS NULL) <> (version_id IS NULL)",
            name=op.f("ck_mlte_artifact_revision_one_owner"),
        ),
        sa.CheckConstraint(
            "(deleted AND body IS NULL AND digest IS NULL) "
            "OR (NOT deleted AND body IS NOT NULL AND digest IS NOT NULL)",
            name=op.f("ck_mlte_artifact_revision_marker_or_content"),
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["mlte_model.id"],
            name=op.f("fk_mlte_artifact_revision_model_id_mlte_model"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["mlte_version.id"],
            name=op.f("fk_mlte_artifact_revision_version_id_mlte_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mlte_artifact_revision")),
    )
    op.create_index(
        op.f("ix_mlte_artifact_revision_recorded_at"), "mlte_artifact_revision", ["recorded_at"]
    )
    for owner in ("model_id", "version_id"):
        op.create_index(
            op.f(f"uq_mlte_artifact_revision_{owner}_identifier_revision"),
            "mlte_artifact_revision",
            [owner, "identifier", "revision"],
            unique=True,
            sqlite_where=sa.text(f"{owner} IS NOT NULL"),
            postgresql_where=sa.text(f"{owner} IS NOT NULL"),
        )

    # Every existing artifact becomes its own revision 1.
    artifact = _artifact_table()
    columns = ["model_id", "version_id", "identifier", "type", "timestamp", "creator", "body"]
    recorded_at = datetime.now(timezone.utc)
    op.get_bind().execute(
        revisions.insert().from_select(
            [*columns, "revision", "digest", "deleted", "recorded_at"],
            sa.select(
                *(artifact.c[name] for name in columns),
                artifact.c.revision,
                artifact.c.digest,
                sa.literal(False, sa.Boolean()),
                sa.literal(recorded_at, sa.DateTime(timezone=True)),
            ),
        )
    )


def _fill_digests() -> None:
    """Set revision 1 and the body digest on every artifact, a batch at a time."""
    bind = op.get_bind()
    artifact = _artifact_table()
    update = (
        sa.update(artifact)
        .where(artifact.c.id == sa.bindparam("row_id"))
        .values(revision=1, digest=sa.bindparam("row_digest"))
    )
    last_id = None
    while True:
        page = sa.select(artifact.c.id, artifact.c.body).order_by(artifact.c.id).limit(_BATCH)
        if last_id is not None:
            page = page.where(artifact.c.id > last_id)
        rows = bind.execute(page).all()
        if not rows:
            return
        bind.execute(update, [{"row_id": pk, "row_digest": _digest(body)} for pk, body in rows])
        last_id = rows[-1][0]


def downgrade() -> None:
    op.drop_table("mlte_artifact_revision")
    with op.batch_alter_table("mlte_artifact") as batch:
        batch.drop_column("digest")
        batch.drop_column("revision")
