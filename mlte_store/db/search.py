"""Operations on the search documents of `mlte_artifact`: which Unicode version folded
them, and folding stale ones again (`reindex`).

Every function takes an open `Tx` and never commits.
"""

from __future__ import annotations

from mlte_store.db import search_statements
from mlte_store.db.connection import Tx
from mlte_store.db.rows import refold_params


def fold_versions(tx: Tx) -> tuple[str | None, str | None]:
    """(lowest, highest) Unicode version the store's search documents were folded with."""
    low, high = tx.connection.execute(search_statements.fold_versions()).one()
    return low, high


def refold_page(tx: Tx, current: str, after: int, size: int) -> tuple[int, int | None]:
    """Fold again up to `size` documents not folded with `current`, after key `after`;
    return (how many were updated, the key to continue after, or None at the end).

    A row written meanwhile (another revision, or already re-folded) is left to
    its writer.
    """
    rows = tx.connection.execute(search_statements.stale_page(current, after, size)).all()
    if not rows:
        return 0, None
    statement, updated = search_statements.refold(), 0
    for row in rows:  # one by one: executemany gives no reliable row count on psycopg2
        updated += tx.connection.execute(statement, refold_params(row, current)).rowcount
    return updated, (int(rows[-1][0]) if len(rows) == size else None)
