"""Checking the arguments of the public calls: the one place they become ErrorInvalidInput.

The rules themselves live with the entities (`models.check_identifier`, the
pydantic validators); these functions apply them to what a caller passed and
turn a refusal into ErrorInvalidInput naming the argument. They run before any
database work, so a refused call writes nothing. Nothing here touches SQL.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar

from pydantic import ValidationError

from mlte_store.errors import ErrorInvalidInput
from mlte_store.models import (
    Artifact,
    ArtifactHeader,
    ArtifactLevel,
    Model,
    Version,
    check_identifier,
)
from mlte_store.query import Query

#: Largest `limit` accepted by `read_artifacts` and `search_artifacts`.
MAX_PAGE_SIZE = 10_000

#: Default number of artifacts `iter_artifacts` reads per round trip.
DEFAULT_PAGE_SIZE = 500

#: Largest `offset` accepted (far beyond any store; keeps `offset + limit` a 64-bit integer).
MAX_OFFSET = 2**62

#: Largest revision number (the column is a 32-bit integer on PostgreSQL; a larger number
#: could never exist, and the driver would fail on it instead of answering "not found").
MAX_REVISION = 2**31 - 1

_Entity = TypeVar("_Entity", Model, Version)


def identifier(value: Any, what: str) -> str:
    """A model, version or artifact identifier; `what` names it in the error."""
    try:
        return check_identifier(value, what)
    except ValueError as exc:
        raise ErrorInvalidInput(str(exc)) from exc


def version_path(model_id: Any, version_id: Any) -> tuple[str, str]:
    """The (model, version) identifiers naming a version, model first."""
    return (
        identifier(model_id, "model identifier"),
        identifier(version_id, "version identifier"),
    )


def entity(kind: type[_Entity], value: Any) -> _Entity:
    """A Model or Version from an entity, a mapping or an identifier, validated."""
    name = kind.__name__.lower()
    if not isinstance(value, str | kind | Mapping):
        raise ErrorInvalidInput(
            f"{name} must be an identifier (text) or a {kind.__name__}, got {type(value).__name__}"
        )
    try:
        if isinstance(value, str):
            return kind(identifier=value)
        if isinstance(value, kind):
            return kind.model_validate(value.model_dump())
        return kind.model_validate(value)
    except ValidationError as exc:
        raise ErrorInvalidInput(f"invalid {name}: {exc}") from exc


def artifact(value: Artifact | Mapping[str, Any], what: str = "artifact") -> Artifact:
    """Validate (again) the artifact to write: it may have been changed since it was built."""
    try:
        if isinstance(value, Artifact):
            return Artifact.model_validate(
                {"header": value.header.model_dump(), "body": value.body}
            )
        return Artifact.model_validate(value)
    except ValidationError as exc:
        raise ErrorInvalidInput(f"invalid {what}: {exc}") from exc


def artifact_json(value: Any) -> Artifact:
    """The artifact of a JSON value read by a transfer (a file, a dump line).

    The message lists every refused field on one line, for the transfer's report
    (`invalid artifact: ...` of `artifact` is pydantic's multi-line text).
    """
    try:
        return Artifact.model_validate(value)
    except ValidationError as exc:
        errors = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'artifact'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ErrorInvalidInput(f"not a valid artifact: {errors}") from exc


def stamped(checked: Artifact, user: str | None) -> Artifact:
    """The valid artifact with header.timestamp now (Unix seconds) and header.creator `user`.

    Only the new header is validated: the body and header.type are unchanged.
    """
    header = {**checked.header.model_dump(), "timestamp": int(time.time()), "creator": user}
    try:
        return Artifact.model_construct(
            header=ArtifactHeader.model_validate(header), body=checked.body
        )
    except ValidationError as exc:
        raise ErrorInvalidInput(f"invalid user for artifact header: {exc}") from exc


def revision(value: Any) -> int:
    """A revision number (1 to MAX_REVISION)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REVISION:
        raise ErrorInvalidInput(
            f"revision must be an integer from 1 to {MAX_REVISION}, got {value!r}"
        )
    return value


def level(value: ArtifactLevel | str | None) -> ArtifactLevel | None:
    """An artifact level, or None for "either"."""
    if value is None:
        return None
    try:
        return ArtifactLevel(value)
    except ValueError as exc:
        raise ErrorInvalidInput(f"level must be 'model' or 'version', got {value!r}") from exc


def utc(moment: Any) -> datetime:
    """A datetime in UTC (`older_than`); a naive one is taken to be UTC already."""
    if not isinstance(moment, datetime):
        raise ErrorInvalidInput(f"older_than must be a datetime, got {moment!r}")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def query(value: Query | Mapping[str, Any] | None) -> Query:
    """A search query; None means every artifact."""
    if value is None:
        return Query()
    if isinstance(value, Query):
        return value
    try:
        return Query.model_validate(value)
    except ValidationError as exc:
        raise ErrorInvalidInput(f"invalid query: {exc}") from exc


def page(limit: Any, offset: Any) -> tuple[int, int]:
    """A page's (limit, offset): limit up to MAX_PAGE_SIZE, offset up to MAX_OFFSET."""
    for name, value in (("limit", limit), ("offset", offset)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ErrorInvalidInput(f"{name} must be an integer, got {value!r}")
    if not 0 <= limit <= MAX_PAGE_SIZE:
        raise ErrorInvalidInput(f"limit must be between 0 and {MAX_PAGE_SIZE}, got {limit}")
    if offset < 0:
        raise ErrorInvalidInput(f"offset must be 0 or more, got {offset}")
    if offset > MAX_OFFSET:
        raise ErrorInvalidInput(f"offset {offset} is too large")
    return limit, offset


def offset(value: Any) -> int:
    """An offset without a limit (`search_artifacts` returning every match from there)."""
    return page(0, value)[1]


def page_size(value: Any) -> int:
    """`iter_artifacts`' page size: 1 to MAX_PAGE_SIZE.

    Checked by `page`, so its messages still say "limit" (kept as they were).
    """
    size = page(value, 0)[0]
    if size == 0:
        raise ErrorInvalidInput("page_size must be at least 1")
    return size
