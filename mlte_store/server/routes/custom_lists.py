"""MLTE's custom lists, read-only: fixed to the built-in entries of the installed `mlte`.

MLTE 2.7.0's client seeds its built-in custom-list entries into the store it is
pointed at, without a token, and accepts "already exists" (409) as success.
This server keeps no custom lists of its own: MLTE's five lists are fixed to
MLTE's built-in entries, so an entry posted to one of them is answered 409,
and any other list is 404. Nothing is ever written. MLTE's web UI reads the
lists (`GET /api/custom_lists`, `/api/custom_list/{list}`, `.../parent`) to
show and edit cards; they need a token, as every read does.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from mlte_store import ErrorAlreadyExists, ErrorNotFound
from mlte_store.server.answers import CUSTOM_LIST, SIGNED_IN
from mlte_store.server.auth import CurrentUser
from mlte_store.server.mlte_package import LIST_PARENTS, MLTE_LISTS, custom_list

router = APIRouter(prefix="/custom_list", tags=["custom_list"], responses=CUSTOM_LIST)
lists_router = APIRouter(tags=["custom_list"], responses=SIGNED_IN)


class EntryBody(BaseModel):
    """A custom-list entry as MLTE sends it."""

    name: str
    description: str = ""
    parent: str | None = None


def _known(list_id: str) -> str:
    if list_id not in MLTE_LISTS:
        raise ErrorNotFound(f"custom list {list_id!r} not found")
    return list_id


@router.post("/{list_id}/entry")
def add_entry(list_id: str, entry: EntryBody) -> None:
    """Always refused: 409 for MLTE's lists (fixed here), 404 for any other."""
    _known(list_id)
    raise ErrorAlreadyExists(
        f"Exists: custom list {list_id!r} is fixed to MLTE's built-in entries on this server; "
        f"entry {entry.name!r} already exists"
    )


@lists_router.get("/custom_lists")
def list_names(_: CurrentUser) -> list[str]:
    """The names of MLTE's custom lists."""
    return list(MLTE_LISTS)


@router.get("/{list_id}", responses=SIGNED_IN)
def list_entries(list_id: str, _: CurrentUser) -> list[dict[str, Any]]:
    """The list's entries: MLTE's built-in ones (none if `mlte` is not installed)."""
    return list(custom_list(_known(list_id)))


@router.get("/{list_id}/parent", responses=SIGNED_IN)
def list_parent(list_id: str, _: CurrentUser) -> str | None:
    """The list whose entries this list's entries name as parents, or null."""
    return LIST_PARENTS.get(_known(list_id))
