"""`/api/user/me` and `/api/user/me/models`: who the caller is, which models they may read.

MLTE's web UI asks for both after login: it reads `role` (MLTE's `admin` or
`regular`) to decide what to show, and takes its model list only from
`/user/me/models`. The answer has MLTE's user fields, never a password or hash.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from mlte_store import Role
from mlte_store.server.answers import SIGNED_IN
from mlte_store.server.auth import CurrentUser, Repository, Users
from mlte_store.server.routes.models import list_models

router = APIRouter(prefix="/user/me", tags=["user"], responses=SIGNED_IN)

#: MLTE's name of each role.
MLTE_ROLES = {Role.ADMIN: "admin", Role.USER: "regular"}


class BasicUser(BaseModel):
    """MLTE's `BasicUser`: the fields its UI reads (no email, full name or groups here)."""

    username: str
    email: str | None = None
    full_name: str | None = None
    disabled: bool
    role: str
    groups: list[str] = []


@router.get("")
def read_me(user: CurrentUser) -> BasicUser:
    """The caller's name and role."""
    return BasicUser(username=user.name, disabled=user.disabled, role=MLTE_ROLES[user.role])


@router.get("/models")
def my_models(user: CurrentUser, repo: Repository, users: Users) -> list[str]:
    """The identifiers of the models the caller may read (as `GET /api/model`)."""
    return list_models(user, repo, users)
