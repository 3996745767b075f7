"""The login throttle's counts, shared by every worker and host.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Placeholder: this revision's schema changes are being written on a branch; until
they land it changes nothing, so the revision chain is fixed for every branch.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing yet."""


def downgrade() -> None:
    """Nothing yet."""
