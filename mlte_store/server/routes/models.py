"""Models and versions: `/api/model`, `/api/model/{m}`, `/api/model/{m}/version[/{v}]`."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from mlte_store import Model, Permission, Version
from mlte_store.server.answers import SIGNED_IN
from mlte_store.server.auth import (
    CurrentUser,
    Reader,
    Repository,
    Users,
    Writer,
    decode_id,
    is_admin,
)

router = APIRouter(prefix="/model", tags=["model"], responses=SIGNED_IN)
logger = logging.getLogger("mlte_store.server")


@router.post("")
@router.post("/", include_in_schema=False)  # MLTE's web UI posts to /api/model/
def create_model(body: Model, user: CurrentUser, repo: Repository, users: Users) -> Model:
    """Create a model; its creator (unless an admin) gets write on it."""
    model = repo.create_model(body)
    if not is_admin(user):
        try:
            users.grant(user.name, model.identifier, Permission.WRITE)
        except Exception:
            logger.error(
                "model %r was created but the grant to its creator %r failed; "
                "an admin can run: mlte-store users grant",
                model.identifier,
                user.name,
            )
            raise
    return model


@router.get("")
def list_models(user: CurrentUser, repo: Repository, users: Users) -> list[str]:
    """The identifiers of the models the caller may read."""
    readable = users.readable_models(user)
    return repo.list_models() if readable is None else readable


@router.get("/{model_id}")
def read_model(access: Reader, repo: Repository) -> Model:
    """The model with its versions."""
    return repo.read_model(access.model_id)


@router.delete("/{model_id}")
def delete_model(access: Writer, repo: Repository) -> Model:
    """Delete the model with its versions, artifacts and grants; return it."""
    return repo.delete_model(access.model_id)


@router.post("/{model_id}/version")
def create_version(body: Version, access: Writer, repo: Repository) -> Version:
    """Create a version of the model."""
    return repo.create_version(access.model_id, body)


@router.get("/{model_id}/version")
def list_versions(access: Reader, repo: Repository) -> list[str]:
    """The identifiers of the model's versions."""
    return repo.list_versions(access.model_id)


@router.get("/{model_id}/version/{version_id}")
def read_version(version_id: str, access: Reader, repo: Repository) -> Version:
    """The version."""
    return repo.read_version(access.model_id, decode_id(version_id))


@router.delete("/{model_id}/version/{version_id}")
def delete_version(version_id: str, access: Writer, repo: Repository) -> Version:
    """Delete the version and its version-level artifacts; return it."""
    return repo.delete_version(access.model_id, decode_id(version_id))
