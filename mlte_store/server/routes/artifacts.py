"""Artifacts of a version, `/api/model/{m}/version/{v}/artifact[...]`, and a model's own
(model-level) artifacts by model only, `/api/model/{m}/artifact[/{a}]`: those are
reachable also when the model has no version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel

from mlte_store import ArtifactLevel, ErrorAlreadyExists, ErrorNotFound, Permission
from mlte_store.server.answers import (
    ARTIFACTS,
    HISTORY,
    ONE_ARTIFACT,
    SIGNED_IN,
    WRITTEN,
    FastJSONResponse,
)
from mlte_store.server.auth import (
    Access,
    Creator,
    Reader,
    Repository,
    Users,
    Writer,
    check,
    decode_id,
    is_admin,
)
from mlte_store.server.headers import complete, complete_model_level

router = APIRouter(
    prefix="/model/{model_id}/version/{version_id}/artifact",
    tags=["artifact"],
    responses=SIGNED_IN,
)

model_router = APIRouter(
    prefix="/model/{model_id}/artifact", tags=["artifact"], responses=SIGNED_IN
)

Limit = Annotated[int, Query(ge=0, description="Page size.")]
Offset = Annotated[int, Query(ge=0, description="Artifacts to skip.")]
Level = Annotated[ArtifactLevel | None, Query(description="History of this level only.")]


class WriteBody(BaseModel):
    """MLTE's write request: the artifact JSON, overwrite, create model and version."""

    artifact: dict[str, Any]
    force: bool = False
    parents: bool = False


class RestoreBody(BaseModel):
    """Which revision to make current again."""

    revision: int
    level: ArtifactLevel | None = None


def _json(value: Any, total: int | None = None) -> FastJSONResponse:
    headers = None if total is None else {"X-Total-Count": str(total)}
    return FastJSONResponse(value, headers=headers)


@router.post("", responses=WRITTEN)
def write_artifact(
    version_id: str, body: WriteBody, access: Creator, repo: Repository, users: Users
) -> Response:
    """Write an artifact, its header completed as MLTE's backend does (`headers.complete`)
    and stamped with now and the caller as creator.

    With `parents` into a missing model, the caller creates it (and, unless an
    admin, gets write on it); if someone else created it meanwhile, the caller
    needs write on it like on any model.
    """
    _parents_for(access, body, repo, users)
    stored = repo.write_artifact_with_header(
        access.model_id,
        decode_id(version_id),
        complete(body.artifact),
        force=body.force,
        parents=body.parents,
        user=access.user.name,
    )
    return _json({"artifact": stored.to_json()})


def _parents_for(access: Access, body: WriteBody, repo: Repository, users: Users) -> None:
    """A write into a missing model: 404, unless `parents`, which creates it for its writer."""
    if access.exists:
        return
    if not body.parents:
        raise ErrorNotFound(f"model {access.model_id!r} not found")
    _create_for(access, repo, users)


def _create_for(access: Access, repo: Repository, users: Users) -> None:
    """Create the missing model for its writer; never grant before the model exists."""
    try:
        repo.create_model(access.model_id)
    except ErrorAlreadyExists:
        check(users, access.user, access.model_id, Permission.WRITE)
        return
    if not is_admin(access.user):
        users.grant(access.user.name, access.model_id, Permission.WRITE)


@router.get("", responses=ARTIFACTS)
def read_artifacts(
    version_id: str, access: Reader, repo: Repository, limit: Limit = 100, offset: Offset = 0
) -> Response:
    """A page of the artifacts visible from the version; `X-Total-Count` counts them all."""
    version = decode_id(version_id)
    page = repo.read_artifacts(access.model_id, version, limit=limit, offset=offset)
    total = repo.count_artifacts(access.model_id, version)
    return _json([artifact.to_json() for artifact in page], total)


@router.post("/search", responses=ARTIFACTS)
def search_artifacts(
    version_id: str,
    query: Annotated[dict[str, Any], Body(description="MLTE query JSON.")],
    access: Reader,
    repo: Repository,
    limit: Annotated[int | None, Query(ge=0)] = None,
    offset: Offset = 0,
) -> Response:
    """Every matching artifact (or a page of them); `X-Total-Count` counts every match."""
    version = decode_id(version_id)
    found = repo.search_artifacts(access.model_id, version, query, limit=limit, offset=offset)
    if limit is None and offset == 0:
        total = len(found)
    else:
        total = repo.count_artifacts(access.model_id, version, query)
    return _json([artifact.to_json() for artifact in found], total)


@router.get("/{artifact_id}", responses=ONE_ARTIFACT)
def read_artifact(
    version_id: str,
    artifact_id: str,
    access: Reader,
    repo: Repository,
    revision: Annotated[int | None, Query(ge=1)] = None,
    level: Level = None,
) -> Response:
    """The artifact (the version's, else the model's), or one of its revisions."""
    artifact = repo.read_artifact(
        access.model_id,
        decode_id(version_id),
        decode_id(artifact_id),
        revision=revision,
        level=level,
    )
    return _json(artifact.to_json())


@router.delete("/{artifact_id}", responses=ONE_ARTIFACT)
def delete_artifact(
    version_id: str, artifact_id: str, access: Writer, repo: Repository
) -> Response:
    """Delete the artifact; return it."""
    deleted = repo.delete_artifact(access.model_id, decode_id(version_id), decode_id(artifact_id))
    return _json(deleted.to_json())


@router.get("/{artifact_id}/history", responses=HISTORY)
def artifact_history(
    version_id: str, artifact_id: str, access: Reader, repo: Repository, level: Level = None
) -> Response:
    """Every revision of the artifact, oldest first, deletions included."""
    revisions = repo.read_artifact_history(
        access.model_id, decode_id(version_id), decode_id(artifact_id), level=level
    )
    return _json([revision.model_dump(mode="json") for revision in revisions])


@router.post("/{artifact_id}/restore", responses=WRITTEN)
def restore_artifact(
    version_id: str, artifact_id: str, body: RestoreBody, access: Writer, repo: Repository
) -> Response:
    """Make an old revision current again, stamped with now and the caller."""
    restored = repo.restore_artifact(
        access.model_id,
        decode_id(version_id),
        decode_id(artifact_id),
        revision=body.revision,
        level=body.level,
        user=access.user.name,
    )
    return _json({"artifact": restored.to_json()})


# -- a model's own artifacts, by model only ----------------------------------------------


@model_router.post("", responses=WRITTEN)
def write_model_artifact(
    body: WriteBody, access: Creator, repo: Repository, users: Users
) -> Response:
    """Write a model-level artifact to the model alone: its header completed as by
    `write_artifact`, its level made "model", stamped with now and the caller as creator.

    `parents` creates a missing model, as `write_artifact` does.
    """
    _parents_for(access, body, repo, users)
    stored = repo.write_model_artifact_with_header(
        access.model_id,
        complete_model_level(body.artifact),
        force=body.force,
        parents=body.parents,
        user=access.user.name,
    )
    return _json({"artifact": stored.to_json()})


@model_router.get("", responses=ARTIFACTS)
def read_model_artifacts(
    access: Reader, repo: Repository, limit: Limit = 100, offset: Offset = 0
) -> Response:
    """A page of the model's model-level artifacts; `X-Total-Count` counts them all."""
    page = repo.read_model_artifacts(access.model_id, limit=limit, offset=offset)
    total = repo.count_model_artifacts(access.model_id)
    return _json([artifact.to_json() for artifact in page], total)


@model_router.get("/{artifact_id}", responses=ONE_ARTIFACT)
def read_model_artifact(artifact_id: str, access: Reader, repo: Repository) -> Response:
    """The model's model-level artifact."""
    return _json(repo.read_model_artifact(access.model_id, decode_id(artifact_id)).to_json())


@model_router.delete("/{artifact_id}", responses=ONE_ARTIFACT)
def delete_model_artifact(artifact_id: str, access: Writer, repo: Repository) -> Response:
    """Delete the model's model-level artifact; return it."""
    deleted = repo.delete_model_artifact(access.model_id, decode_id(artifact_id))
    return _json(deleted.to_json())
