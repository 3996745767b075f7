"""Pydantic entities with MLTE's JSON wire format (docs/contract.md section 1).

These classes hold no SQL. They validate everything the store refuses so that
bad input fails here, before any database work: identifiers, the artifact
body's shape, and JSON values no backend can store faithfully.
"""

from __future__ import annotations

import math
import reprlib
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    model_validator,
)

from mlte_store.bodies import MAX_BODY_DEPTH as MAX_BODY_DEPTH
from mlte_store.bodies import TO_WRITE as TO_WRITE
from mlte_store.bodies import body_digest as body_digest
from mlte_store.bodies import canonical_json as canonical_json
from mlte_store.bodies import remembered
from mlte_store.bodies import storable_text as _storable_text

MAX_IDENTIFIER_LENGTH = 255
"""Longest identifier (model, version or artifact), in characters."""

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class ArtifactType(str, Enum):
    """MLTE's five artifact types, with MLTE's JSON values."""

    NEGOTIATION_CARD = "card"
    """A negotiation card: the system's goals, data, model and quality requirements."""
    EVIDENCE = "evidence"
    """Evidence: one measured value, tied to a test case."""
    TEST_SUITE = "suite"
    """A test suite: the test cases that check the requirements."""
    TEST_RESULTS = "results"
    """Test results: the outcome of validating evidence against a test suite."""
    REPORT = "report"
    """A report: the card, suite and results brought together."""


class ArtifactLevel(str, Enum):
    """Whether an artifact belongs to a model (seen from all its versions) or one version."""

    MODEL = "model"
    """Belongs to the model: visible from every version of it."""
    VERSION = "version"
    """Belongs to one version (the default)."""


#: Longest excerpt of a refused value that an error message shows.
MAX_SHOWN = 40


def shown(value: Any) -> str:
    """A refused value as an error message shows it: its repr, cut to MAX_SHOWN characters
    (text also says its length); containers are shown only a few levels deep."""
    if isinstance(value, str):
        text = repr(value[:MAX_SHOWN])
        if len(value) <= MAX_SHOWN and len(text) <= MAX_SHOWN:
            return text
        return f"{text[: MAX_SHOWN - 1]}… ({len(value)} characters)"
    text = _SHORT_REPR.repr(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxlevel = 3
_SHORT_REPR.maxdict = _SHORT_REPR.maxlist = _SHORT_REPR.maxset = 4
_SHORT_REPR.maxother = MAX_SHOWN


class Refused(ValueError):
    """A refused value, said in one short sentence: "<subject> <rule>, got <value>".

    `subject` names what was refused (`header.identifier`, `body.scores[2]`);
    callers that know better name it again with `about` (the argument).
    """

    def __init__(self, subject: str, rule: str, value: Any) -> None:
        self.subject, self.rule, self.value = subject, rule, value
        super().__init__(self.about(subject))

    def about(self, subject: str) -> str:
        """The sentence, naming the refused thing `subject`."""
        return f"{subject} {self.rule}, got {shown(self.value)}"


def check_text(value: str, what: str) -> str:
    """Refuse text that no backend stores faithfully: NUL and lone surrogates."""
    if _storable_text(value):
        return value
    if "\x00" in value:
        raise Refused(what, "must not contain NUL", value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Refused(what, "must be valid Unicode (no lone surrogate)", value) from exc
    return value


def check_identifier(value: str, what: str = "identifier") -> str:
    """Apply the identifier rules: non-empty, at most 255 characters, storable text."""
    if not isinstance(value, str):
        raise Refused(what, "must be text", value)
    if not value:
        raise Refused(what, "must not be empty", value)
    if len(value) > MAX_IDENTIFIER_LENGTH:
        raise Refused(what, f"must be at most {MAX_IDENTIFIER_LENGTH} characters", value)
    return check_text(value, what)


def _identifier(value: str) -> str:
    return check_identifier(value)


# Strict: bytes or numbers are refused, not silently turned into text.
Identifier = Annotated[str, Strict(), AfterValidator(_identifier)]


def check_json_value(value: Any, what: str = "body") -> None:
    """Refuse a value that is not plain, storable JSON.

    Walks the value without recursion, so hostile nesting is refused with a
    clear message instead of a crash. Refused: NUL characters and lone
    surrogates in keys or strings, non-finite floats, non-text keys, non-JSON
    Python objects, and nesting deeper than MAX_BODY_DEPTH.
    """
    if _plain_json(value):
        return
    # Something is refused: walk again, keeping paths, to say what and where.
    stack: list[tuple[Any, str, int]] = [(value, what, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            check_text(item, where)
        elif isinstance(item, bool) or item is None or isinstance(item, int):
            continue
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise Refused(where, "must be a finite number", item)
        elif isinstance(item, dict | list):
            if depth >= MAX_BODY_DEPTH:
                rule = f"must be nested at most {MAX_BODY_DEPTH} levels deep"
                raise Refused(what, rule, depth + 1)
            if isinstance(item, dict):
                for key, child in item.items():
                    if not isinstance(key, str):
                        raise Refused(f"{where} keys", "must be text", key)
                    check_text(key, f"{where} keys")
                    stack.append((child, f"{where}.{key}", depth + 1))
            else:
                stack.extend((child, f"{where}[{i}]", depth + 1) for i, child in enumerate(item))
        else:
            raise Refused(where, "must be JSON (object, list, text, number, boolean or null)", item)


def _plain_json(value: Any) -> bool:
    """Whether `check_json_value` accepts the value: the same rules, without paths.

    The fast walk of every write: scalars are checked where they are found,
    only containers go on the stack. Only exact JSON types pass (anything
    else, e.g. a subclass, is left to `check_json_value`'s detailed walk).
    """
    stack: list[tuple[Any, int]] = [([value], -1)]
    while stack:
        container, depth = stack.pop()
        if depth >= MAX_BODY_DEPTH:
            return False
        if type(container) is dict:
            for key in container:
                if type(key) is not str or "\x00" in key:
                    return False
                if not key.isascii() and not _storable_text(key):
                    return False
            children: Any = container.values()
        else:
            children = container
        for child in children:
            kind = type(child)
            if kind is str:
                if "\x00" in child or (not child.isascii() and not _storable_text(child)):
                    return False
            elif kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is float:
                if not math.isfinite(child):
                    return False
            elif not (child is None or kind is int or kind is bool):
                return False
    return True


class Version(BaseModel):
    """A version of a model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    identifier: Identifier


class Model(BaseModel):
    """A model and its versions."""

    model_config = ConfigDict(extra="forbid")

    identifier: Identifier
    versions: list[Version] = Field(default_factory=list)


class ArtifactHeader(BaseModel):
    """MLTE's artifact header."""

    model_config = ConfigDict(extra="forbid")

    identifier: Identifier
    type: ArtifactType
    timestamp: int | None = -1
    creator: str | None = None
    level: ArtifactLevel = ArtifactLevel.VERSION

    @model_validator(mode="after")
    def _check_fields(self) -> ArtifactHeader:
        if self.timestamp is not None and not _INT64_MIN <= self.timestamp <= _INT64_MAX:
            raise Refused("header.timestamp", "must fit in 64 bits", self.timestamp)
        if self.creator is not None:
            check_text(self.creator, "header.creator")
        return self


class Artifact(BaseModel):
    """An artifact: MLTE's header plus a JSON object body whose artifact_type is header.type."""

    model_config = ConfigDict(extra="forbid")

    header: ArtifactHeader
    body: dict[str, Any]

    @model_validator(mode="after")
    def _check_body(self, info: ValidationInfo) -> Artifact:
        body_type = self.body.get("artifact_type")
        if body_type != self.header.type.value:
            rule = f"must equal header.type {self.header.type.value!r}"
            raise Refused("body.artifact_type", rule, body_type)
        if info.context is not TO_WRITE:
            check_json_value(self.body)
            return self
        if not remembered(self.body):
            check_json_value(self.body)  # refused (says why), or accepted off the fast path
        return self

    def to_json(self) -> dict[str, Any]:
        """The artifact as MLTE's JSON value."""
        return {"header": self.header.model_dump(mode="json"), "body": self.body}


class ArtifactRevision(BaseModel):
    """One entry of an artifact's history: a write of its content, or its deletion.

    `revision` counts from 1 per identifier within its model (model-level) or
    version (version-level). A deletion marker has `deleted` set, the deleted
    artifact's header, and no body or digest.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    revision: int
    header: ArtifactHeader
    body: dict[str, Any] | None
    digest: str | None
    deleted: bool
    recorded_at: datetime

    def artifact(self) -> Artifact:
        """The artifact as it was at this revision; ValueError for a deletion marker."""
        if self.body is None:
            raise ValueError(f"revision {self.revision} is a deletion marker, it has no content")
        return Artifact.model_construct(header=self.header, body=self.body)


class DigestMismatch(BaseModel):
    """An artifact or revision whose stored body no longer matches its digest (`verify`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_id: str
    version_id: str | None
    artifact_id: str
    #: The revision number; None for the current artifact row.
    revision: int | None
    stored_digest: str
    computed_digest: str
