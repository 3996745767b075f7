"""`POST /api/custom_list/{list}/entry`: only so that MLTE's `set_store()` succeeds.

MLTE 2.7.0's client seeds its built-in custom-list entries into the store it is
pointed at, without a token, and accepts "already exists" (409) as success.
This server keeps no custom lists of its own: MLTE's five lists are fixed to
MLTE's built-in entries, so an entry posted to one of them is answered 409,
and any other list is 404. Nothing is ever written.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from mlte_store import ErrorAlreadyExists, ErrorNotFound
from mlte_store.server.answers import CUSTOM_LIST

router = APIRouter(prefix="/custom_list", tags=["custom_list"], responses=CUSTOM_LIST)

#: MLTE 2.7.0's custom lists.
MLTE_LISTS = ("classification", "problem_types", "tags", "qa_categories", "quality_attributes")


class EntryBody(BaseModel):
    """A custom-list entry as MLTE sends it."""

    name: str
    description: str = ""
    parent: str | None = None


@router.post("/{list_id}/entry")
def add_entry(list_id: str, entry: EntryBody) -> None:
    """Always refused: 409 for MLTE's lists (fixed here), 404 for any other."""
    if list_id not in MLTE_LISTS:
        raise ErrorNotFound(f"custom list {list_id!r} not found")
    raise ErrorAlreadyExists(
        f"Exists: custom list {list_id!r} is fixed to MLTE's built-in entries on this server; "
        f"entry {entry.name!r} already exists"
    )
