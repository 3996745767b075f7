"""`/api/healthz` (the process answers) and `/api/readyz` (the database answers, schema at head)."""

from __future__ import annotations

from fastapi import APIRouter

from mlte_store.server.answers import UNAVAILABLE
from mlte_store.server.auth import Users

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The server is up (no token, no database)."""
    return {"status": "healthy"}


@router.get("/readyz", responses=UNAVAILABLE)
def readyz(users: Users) -> dict[str, str]:
    """200 when the database answers and its schema is at this server's revision, else 503."""
    users.check_schema()
    return {"status": "ready"}
