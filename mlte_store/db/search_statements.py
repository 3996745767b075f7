"""The statements of the search documents' Unicode version: check it, re-fold stale ones.

A search document is folded with the Unicode tables of the Python that wrote
it (`casefold`); `mlte_artifact.folded_with` records that version. These are
cold-path builders (run at startup and by `reindex`), built per call; nothing
here executes SQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, Select, bindparam, func, select, update

from mlte_store.db.rows import REFOLD_COLUMNS
from mlte_store.tables import artifact_table as _artifact


def fold_versions() -> Select[Any]:
    """(lowest, highest) `folded_with` of all artifacts: two probes of its index; both
    NULL in an empty store."""
    return select(func.min(_artifact.c.folded_with), func.max(_artifact.c.folded_with))


def stale_page(current: str, after: int, size: int) -> Select[Any]:
    """REFOLD_COLUMNS of up to `size` artifacts folded with another version than
    `current`, after primary key `after`, in key order."""
    return (
        select(*REFOLD_COLUMNS)
        .where(_artifact.c.id > after, _artifact.c.folded_with != current)
        .order_by(_artifact.c.id)
        .limit(size)
    )


def refold() -> Executable:
    """UPDATE of one artifact's search document and version, only if the
    row still holds the revision and version it was read with: a concurrent write wins."""
    return (
        update(_artifact)
        .where(
            _artifact.c.id == bindparam("r_id"),
            _artifact.c.revision == bindparam("r_revision"),
            _artifact.c.folded_with == bindparam("r_old"),
        )
        .values(search=bindparam("r_search"), folded_with=bindparam("r_new"))
    )
