"""Pydantic entities with MLTE's JSON wire format (docs/contract.md section 1).

These classes hold no SQL. They validate everything the store refuses so that
bad input fails here, before any database work: identifiers, the artifact
body's shape, and JSON values no backend can store faithfully.
"""

from __future__ import annotations

import hashlib
import json
import math
import reprlib
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, NamedTuple

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    model_validator,
)

from mlte_store import casefold

#: Longest identifier (model, version or artifact), in characters.
MAX_IDENTIFIER_LENGTH = 255

#: Deepest nesting of objects and lists accepted in an artifact body.
MAX_BODY_DEPTH = 200

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class ArtifactType(str, Enum):
    """MLTE's five artifact types, with MLTE's JSON values."""

    NEGOTIATION_CARD = "card"
    EVIDENCE = "evidence"
    TEST_SUITE = "suite"
    TEST_RESULTS = "results"
    REPORT = "report"


class ArtifactLevel(str, Enum):
    """Whether an artifact belongs to a model (seen from all its versions) or one version."""

    MODEL = "model"
    VERSION = "version"


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


def _storable_text(value: str) -> bool:
    """Whether text holds no NUL and no lone surrogate (ASCII text needs no encoding)."""
    if "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
        forms = body_forms(self.body)
        if forms is None:
            check_json_value(self.body)  # refused (says why), or accepted off the fast path
        else:
            _validated.last = (self.body, forms)
        return self

    def to_json(self) -> dict[str, Any]:
        """The artifact as MLTE's JSON value."""
        return {"header": self.header.model_dump(mode="json"), "body": self.body}


def canonical_json(body: Any) -> bytes:
    """The body's canonical JSON as UTF-8: sorted keys, no insignificant whitespace.

    A float with an integral value is written as the integer its decimal
    text denotes (1.5e300 as 15 followed by 299 zeros): the same JSON number,
    and what PostgreSQL's JSONB gives back for it. Numbers are written as
    Python's `json` writes them (the bytes of old digests must not change).
    """
    try:
        return _canonical_bytes(_canonical(body))
    except (_OffFastPath, TypeError, ValueError):
        return _reference_canonical_json(body)


def body_digest(body: Any) -> str:
    """SHA-256 (hex) of the body's canonical JSON: what revisions and `verify` compare."""
    return hashlib.sha256(canonical_json(body)).hexdigest()


def _reference_canonical_json(body: Any) -> bytes:
    """`canonical_json` with Python's json module: the definition the fast path must match."""
    return json.dumps(
        _canonical_numbers(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def _canonical_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(Decimal(repr(value)))  # 1.5e300 -> 15 * 10**299, as JSONB gives it back
    if isinstance(value, dict):
        return {key: _canonical_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical_numbers(item) for item in value]
    return value


class _OffFastPath(Exception):
    """A value the fast walks do not handle: refused, or left to the detailed walk."""


#: Integers orjson writes itself (64 bits, signed or unsigned); others are fragments.
_INT64, _UINT64 = -(2**63), 2**64 - 1

#: Integral floats below this magnitude are exact integers (no decimal text needed).
_EXACT_FLOAT = 2.0**53


def _canonical_number(value: Any, kind: type) -> Any:
    """A number, boolean or null as the canonical walk keeps it for orjson: the same text
    as Python's json writes (orjson writes floats below 1e-4 and ints over 64 bits
    differently or not at all, so those become pre-written fragments)."""
    if kind is float:
        if not math.isfinite(value):
            raise _OffFastPath
        if value.is_integer():
            if -_EXACT_FLOAT < value < _EXACT_FLOAT:
                return int(value)
            value, kind = int(Decimal(repr(value))), int
        elif -1e-4 < value < 1e-4:
            return orjson.Fragment(repr(value))
        else:
            return value
    if kind is int:
        if _INT64 <= value <= _UINT64:
            return value
        return orjson.Fragment(str(value))
    if value is None or kind is bool:
        return value
    raise _OffFastPath


def _canonical(value: Any) -> Any:
    """The canonical walk for orjson (exact JSON types only, else _OffFastPath)."""
    kind = type(value)
    if kind is dict:
        return {key: _canonical(item) for key, item in value.items()}
    if kind is list:
        return [_canonical(item) for item in value]
    if kind is str:
        return value
    return _canonical_number(value, kind)


def _canonical_bytes(canonical: Any) -> bytes:
    return orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)


class BodyForms(NamedTuple):
    """What a write stores besides an artifact's body: its search document and digest."""

    #: `casefold.search_document(body)`.
    search: dict[str, Any]
    #: `body_digest(body)`.
    digest: str


#: Validation context of the store's own checks (`inputs.artifact`): the validator walks
#: the body once to check it and to make its BodyForms, kept for the write (`forms_of`).
TO_WRITE: dict[str, bool] = {"to_write": True}

# The last body validated TO_WRITE on this thread, and its forms (one slot: a call
# validates its artifact, then writes it; the body is held so its id is never reused).
_validated = threading.local()


def forms_of(body: dict[str, Any]) -> BodyForms:
    """The search document and digest of a body: those made when it was validated to be
    written, if it is that body, else computed now."""
    last = getattr(_validated, "last", None)
    if last is not None and last[0] is body:
        return last[1]  # type: ignore[no-any-return]
    forms = body_forms(body)
    if forms is not None:
        return forms
    return BodyForms(casefold.search_document(body), body_digest(body))


def body_forms(body: Any) -> BodyForms | None:
    """One walk of a body: whether `check_json_value` accepts it on the fast path (exact
    JSON types only, like `_plain_json`), its search document and canonical digest input
    together. None when refused or off the fast path (`check_json_value` then decides)."""
    if type(body) is not dict:
        return None
    fold = casefold.fold
    try:
        search, canonical = _forms(body, 0, str.casefold if fold is _FOLD else fold)
        digest = hashlib.sha256(_canonical_bytes(canonical)).hexdigest()
    except (_OffFastPath, TypeError, ValueError):
        return None
    return BodyForms(search, digest)


#: casefold's own rule, `str.casefold`, called directly when not replaced (tests do).
_FOLD = casefold.fold

#: Object keys already checked, each with its search document key (keys repeat across
#: artifacts); emptied when it reaches _MAX_KEYS.
_KEYS: dict[str, str] = {}
_MAX_KEYS = 10_000


def _search_key(key: Any) -> str:
    """The search document key of a storable text key; _OffFastPath for any other key."""
    if type(key) is not str:
        raise _OffFastPath
    code = _KEYS.get(key)
    if code is None:
        if "\x00" in key or not _storable_text(key):
            raise _OffFastPath
        if len(_KEYS) >= _MAX_KEYS:
            _KEYS.clear()
        code = _KEYS[key] = casefold.encode_key(key)
    return code


def _forms(
    container: dict[str, Any] | list[Any], depth: int, fold: Callable[[str], str]
) -> tuple[Any, Any]:
    """(search document, canonical form) of a dict or list at `depth`, text folded with
    `fold`; _OffFastPath if `_plain_json` would refuse it."""
    if depth >= MAX_BODY_DEPTH:
        raise _OffFastPath
    if type(container) is not dict:
        return _values(container, depth, fold)
    codes = [_KEYS.get(key) for key in container]  # a hit is a checked text key
    if None in codes:
        codes = [_search_key(key) for key in container]
    folded, kept = _values(container.values(), depth, fold)
    return dict(zip(codes, folded, strict=True)), dict(zip(container, kept, strict=True))


def _values(
    values: Iterable[Any], depth: int, fold: Callable[[str], str]
) -> tuple[list[Any], list[Any]]:
    """(search document, canonical form) of each value of a container at `depth`."""
    folded: list[Any] = []
    kept: list[Any] = []
    add_folded, add_kept = folded.append, kept.append
    for child in values:
        kind = type(child)
        if kind is str:
            if "\x00" in child or (not child.isascii() and not _storable_text(child)):
                raise _OffFastPath
            add_folded(fold(child))
            add_kept(child)
        elif kind is dict or kind is list:
            child_folded, child_kept = _forms(child, depth + 1, fold)
            add_folded(child_folded)
            add_kept(child_kept)
        else:
            add_folded(child)
            if kind is bool or child is None or (kind is int and _INT64 <= child <= _UINT64):
                add_kept(child)
            else:
                add_kept(_canonical_number(child, kind))
    return folded, kept


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
