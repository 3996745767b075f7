"""Checking the arguments of the public calls: the one place they become ErrorInvalidInput.

The rules themselves live with the entities (`models.check_identifier`, the
pydantic validators); these functions apply them to what a caller passed and
turn a refusal into ErrorInvalidInput naming the argument. They run before any
database work, so a refused call writes nothing. Nothing here touches SQL.

Every refusal is one short sentence, "<argument> <rule>, got <value>", with
the value's repr cut to `models.MAX_SHOWN` characters: `limit must be an
integer from 0 to 10000, got -1`, `artifact header.identifier must not be
empty, got ''`. `refusal` says a pydantic ValidationError that way (the
command line and the server use it too).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar

from pydantic import ValidationError

from mlte_store.errors import ErrorAlreadyExists, ErrorInvalidInput, describe
from mlte_store.models import (
    TO_WRITE,
    Artifact,
    ArtifactHeader,
    ArtifactLevel,
    ArtifactRevision,
    Model,
    Refused,
    Version,
    check_identifier,
    check_text,
    shown,
)
from mlte_store.query import Query

MAX_PAGE_SIZE = 10_000
"""Largest `limit` accepted by `read_artifacts` and `search_artifacts`."""

#: Default number of artifacts `iter_artifacts` reads per round trip.
DEFAULT_PAGE_SIZE = 500

#: Largest `offset` accepted (far beyond any store; keeps `offset + limit` a 64-bit integer).
MAX_OFFSET = 2**62

#: Largest revision number (the column is a 32-bit integer on PostgreSQL; a larger number
#: could never exist, and the driver would fail on it instead of answering "not found").
MAX_REVISION = 2**31 - 1

_Entity = TypeVar("_Entity", Model, Version)


def refusal(
    exc: ValidationError | Sequence[Mapping[str, Any]], argument: str, *, show_value: bool = True
) -> str:
    """A pydantic ValidationError (or its `errors()` list, e.g. FastAPI's request
    validation errors) as one short sentence about its first error, naming `argument`
    and the field, the rule and the value (cut); more errors are counted. With
    `show_value` False the value is left out (a secret, such as a password)."""
    errors = list(exc.errors() if isinstance(exc, ValidationError) else exc)
    head, value = _refused_parts(errors[0], argument)
    sentence = f"{head}, got {value}" if show_value else head
    more = len(errors) - 1
    return sentence if not more else f"{sentence} ({more} more problem{'s' if more > 1 else ''})"


def _refused_parts(error: Mapping[str, Any], argument: str) -> tuple[str, str]:
    """(argument, field and rule; the value as shown) of one pydantic error."""
    path = ".".join(str(part) for part in error["loc"])
    refused = error.get("ctx", {}).get("error")
    if isinstance(refused, Refused):
        # A rule of ours: it names a full path itself ("body.x"), or only the field.
        field = refused.subject if "." in refused.subject or not path else path
        return f"{argument} {field} {refused.rule}", shown(refused.value)
    subject = f"{argument} {path}" if path else argument
    kind, value, message = error["type"], error.get("input"), str(error["msg"])
    if kind == "missing":
        return f"{subject} is required", "nothing"
    if kind == "extra_forbidden":
        return f"{subject} is not a known field", shown(value)
    if kind == "union_tag_invalid":
        context = error["ctx"]
        tags = ", ".join(re.findall(r"'([^']*)'", str(context["expected_tags"])))
        discriminator = str(context["discriminator"]).strip("'")
        return f"{subject}.{discriminator} must be one of {tags}", shown(context["tag"])
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    elif message.startswith("Input should be "):
        message = "must be " + message.removeprefix("Input should be ")
    else:
        message = message[:1].lower() + message[1:]
    return f"{subject} {message}", shown(value)


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
            f"{name} must be an identifier (text) or a {kind.__name__}, got {shown(value)}"
        )
    try:
        if isinstance(value, str):
            return kind(identifier=value)
        if isinstance(value, kind):
            return kind.model_validate(value.model_dump())
        return kind.model_validate(value)
    except ValidationError as exc:
        raise ErrorInvalidInput(refusal(exc, name)) from exc


def artifact(value: Artifact | Mapping[str, Any], what: str = "artifact") -> Artifact:
    """Validate (again) the artifact to write: it may have been changed since it was built."""
    try:
        if isinstance(value, Artifact):
            value = {"header": value.header.model_dump(), "body": value.body}
        return Artifact.model_validate(value, context=TO_WRITE)
    except ValidationError as exc:
        raise ErrorInvalidInput(refusal(exc, what)) from exc


def at_level(
    value: Artifact | Mapping[str, Any], level: ArtifactLevel, what: str = "artifact"
) -> Artifact:
    """A valid artifact whose header.level is `level` (e.g. "model" for a model alone)."""
    checked = artifact(value, what)
    if checked.header.level != level:
        raise ErrorInvalidInput(
            f"{what} header.level must be {level.value!r} here, got {checked.header.level.value!r}"
        )
    return checked


def owner_path(model_id: Any, version_id: Any) -> tuple[str, str | None]:
    """(model, version) naming a version, or with `version_id` None the model alone."""
    if version_id is None:
        return identifier(model_id, "model identifier"), None
    return version_path(model_id, version_id)


def batch(
    values: Iterable[Artifact | Mapping[str, Any]],
    force: bool,
    model_id: str,
    version_id: str | None,
) -> dict[str, Artifact]:
    """A bulk write's artifacts by identifier, each checked (model-level only when
    `version_id` is None); without `force` an identifier twice is ErrorAlreadyExists."""
    checked: dict[str, Artifact] = {}
    for index, value in enumerate(values):
        what = f"artifact #{index} of the batch"
        item = artifact(value, what) if version_id else at_level(value, ArtifactLevel.MODEL, what)
        identifier = item.header.identifier
        if identifier in checked and not force:
            raise ErrorAlreadyExists(
                f"{describe(model_id, version_id, identifier)} appears twice in the batch"
            )
        checked[identifier] = item
    return checked


def recorded(value: ArtifactRevision | Mapping[str, Any], level: ArtifactLevel) -> ArtifactRevision:
    """A revision recorded elsewhere (a dump line, another store) of an artifact at `level`:
    a deletion marker, or content that is a valid artifact; its digest is kept as given."""
    try:
        entry = ArtifactRevision.model_validate(
            value.model_dump() if isinstance(value, ArtifactRevision) else value
        )
    except ValidationError as exc:
        raise ErrorInvalidInput(refusal(exc, "revision")) from exc
    if entry.revision < 1:
        raise ErrorInvalidInput(f"revision must be 1 or more, got {entry.revision!r}")
    if entry.header.level != level:
        raise ErrorInvalidInput(
            f"revision header.level must be {level.value!r} here, got {entry.header.level.value!r}"
        )
    if entry.deleted != (entry.body is None) or entry.deleted != (entry.digest is None):
        rule = "must have no body or digest" if entry.deleted else "must have a body and digest"
        raise ErrorInvalidInput(f"revision {rule}, got {shown(entry.body)} / {entry.digest!r}")
    if entry.body is not None:
        artifact({"header": entry.header.model_dump(), "body": entry.body}, "revision")
    return entry


def artifact_json(value: Any) -> Artifact:
    """The artifact of a JSON value read by a transfer (a file, a dump line)."""
    return artifact(value)


def stamped(checked: Artifact, user: str | None) -> Artifact:
    """The valid artifact with header.timestamp now (Unix seconds) and header.creator `user`.

    Only the new header is validated: the body and header.type are unchanged.
    """
    if user is not None and not isinstance(user, str):
        raise ErrorInvalidInput(f"user must be text or None, got {shown(user)}")
    try:
        creator = None if user is None else check_text(user, "user")
    except Refused as exc:
        raise ErrorInvalidInput(str(exc)) from exc
    header = {**checked.header.model_dump(), "timestamp": int(time.time()), "creator": creator}
    return Artifact.model_construct(
        header=ArtifactHeader.model_construct(**header), body=checked.body
    )


def revision(value: Any) -> int:
    """A revision number (1 to MAX_REVISION)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REVISION:
        raise ErrorInvalidInput(
            f"revision must be an integer from 1 to {MAX_REVISION}, got {shown(value)}"
        )
    return value


def level(value: ArtifactLevel | str | None) -> ArtifactLevel | None:
    """An artifact level, or None for "either"."""
    if value is None:
        return None
    try:
        return ArtifactLevel(value)
    except ValueError as exc:
        raise ErrorInvalidInput(f"level must be 'model' or 'version', got {shown(value)}") from exc


def utc(moment: Any) -> datetime:
    """A datetime in UTC (`older_than`); a naive one is taken to be UTC already."""
    if not isinstance(moment, datetime):
        raise ErrorInvalidInput(f"older_than must be a datetime, got {shown(moment)}")
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
        raise ErrorInvalidInput(refusal(exc, "query")) from exc


def page(limit: Any, offset: Any) -> tuple[int, int]:
    """A page's (limit, offset): limit 0 to MAX_PAGE_SIZE, offset 0 to MAX_OFFSET."""
    return integer("limit", limit, 0, MAX_PAGE_SIZE), integer("offset", offset, 0, MAX_OFFSET)


def offset(value: Any) -> int:
    """An offset without a limit (`search_artifacts` returning every match from there)."""
    return integer("offset", value, 0, MAX_OFFSET)


def page_size(value: Any) -> int:
    """`iter_artifacts`' page size: 1 to MAX_PAGE_SIZE."""
    return integer("page_size", value, 1, MAX_PAGE_SIZE)


def integer(name: str, value: Any, low: int, high: int) -> int:
    """An integer argument from `low` to `high`."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ErrorInvalidInput(
            f"{name} must be an integer from {low} to {high}, got {shown(value)}"
        )
    return value
