"""The Unicode version each artifact's search document was folded with.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Adds `mlte_artifact.folded_with` (the `unicodedata.unidata_version` of the
Python that case-folded the row's search document) and an index on it, so a
repository can tell in two index probes (min and max) whether every document
was folded with its own Unicode tables. Existing rows get the version of the
Python running this migration: the most likely writer; `mlte-store reindex`
folds them again if that is wrong. Downgrading drops the column.

Self-contained on purpose: the column type is stated here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VERSION = sa.String(length=16)


def upgrade() -> None:
    with op.batch_alter_table("mlte_artifact") as batch:
        batch.add_column(sa.Column("folded_with", _VERSION, nullable=True))
    artifacts = sa.table("mlte_artifact", sa.column("folded_with", _VERSION))
    op.execute(artifacts.update().values(folded_with=unicodedata.unidata_version))
    with op.batch_alter_table("mlte_artifact") as batch:
        batch.alter_column("folded_with", existing_type=_VERSION, nullable=False)
        batch.create_index("ix_mlte_artifact_folded_with", ["folded_with"])


def downgrade() -> None:
    with op.batch_alter_table("mlte_artifact") as batch:
        batch.drop_index("ix_mlte_artifact_folded_with")
        batch.drop_column("folded_with")
