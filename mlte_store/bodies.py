"""Artifact bodies as the store keeps them: canonical JSON and digest, search document.

The domain's JSON rules that need no entity: which text is storable, how deep a
body may nest, the canonical JSON a digest is taken of, and the one walk of a
body that a write makes (`body_forms`): it checks the body on the fast path of
`models.check_json_value` and makes its search document and canonical JSON
together. orjson writes the canonical JSON; numbers it writes differently from
Python's json (floats below 1e-4, integers over 64 bits) are given to it as
pre-written fragments, so digests are byte for byte the ones json gave.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, NamedTuple

import orjson

from mlte_store import casefold

#: Deepest nesting of objects and lists accepted in an artifact body.
MAX_BODY_DEPTH = 200

#: A run of this many digits may be an integer over 64 bits, which orjson reads as a float.
_LONG_DIGITS = b"0" * 19
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")


def loads(text: str | bytes) -> Any:
    """Parse JSON exactly as Python's `json.loads` does, faster: with orjson unless the
    text has a run of 19 digits (a possible integer over 64 bits, which json keeps exact)
    or orjson refuses it (json then parses it, or raises its own JSONDecodeError)."""
    try:
        data = text.encode("utf-8") if isinstance(text, str) else text
        if _LONG_DIGITS not in data.translate(_DIGITS_AS_ZERO):
            return orjson.loads(data)
    except (UnicodeEncodeError, orjson.JSONDecodeError):
        pass
    return json.loads(text)


def storable_text(value: str) -> bool:
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
    written, if it is that body (the last one, or any of a batch: `keeping_forms`), else
    computed now."""
    kept = getattr(_validated, "kept", None)
    if kept is not None:
        found = kept.get(id(body))
        if found is not None and found[0] is body:
            return found[1]  # type: ignore[no-any-return]
    last = getattr(_validated, "last", None)
    if last is not None and last[0] is body:
        return last[1]  # type: ignore[no-any-return]
    forms = body_forms(body)
    if forms is not None:
        return forms
    return BodyForms(casefold.search_document(body), body_digest(body))


@contextmanager
def keeping_forms() -> Iterator[None]:
    """Within it, every body validated to be written on this thread keeps its forms until
    the block ends, not only the last one: for a batch, validated whole before it is
    written. The forms live as long as the block (the batch's rows hold as much)."""
    outer = getattr(_validated, "kept", None)
    _validated.kept = {} if outer is None else outer
    try:
        yield
    finally:
        _validated.kept = outer


def remembered(body: dict[str, Any]) -> bool:
    """Whether the body passes the fast walk; if so its forms are kept for its write
    (`forms_of`). False: refused, or off the fast path (`check_json_value` decides)."""
    forms = body_forms(body)
    if forms is None:
        return False
    _validated.last = (body, forms)
    kept = getattr(_validated, "kept", None)
    if kept is not None:
        kept[id(body)] = (body, forms)
    return True


def body_forms(body: Any) -> BodyForms | None:
    """One walk of a body: whether `check_json_value` accepts it on the fast path (exact
    JSON types only, like `_plain_json`), its search document and canonical digest input
    together. None when refused or off the fast path (`check_json_value` then decides).

    The canonical JSON is the body's own unless a number is written otherwise there
    (an integral or tiny float, an integer over 64 bits): only then is a canonical copy
    made (`_canonical`).
    """
    if type(body) is not dict:
        return None
    fold = casefold.fold
    rewritten: list[bool] = []  # one item once a number needs the canonical copy
    try:
        search = _forms(body, 0, str.casefold if fold is _FOLD else fold, rewritten)
        canonical = _canonical(body) if rewritten else body
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
        if "\x00" in key or not storable_text(key):
            raise _OffFastPath
        if len(_KEYS) >= _MAX_KEYS:
            _KEYS.clear()
        code = _KEYS[key] = casefold.encode_key(key)
    return code


def _forms(
    container: dict[str, Any] | list[Any],
    depth: int,
    fold: Callable[[str], str],
    rewritten: list[bool],
) -> Any:
    """The search document of a dict or list at `depth`, text folded with `fold`;
    _OffFastPath if `_plain_json` would refuse it. Notes in `rewritten` a number that
    canonical JSON writes otherwise."""
    if depth >= MAX_BODY_DEPTH:
        raise _OffFastPath
    if type(container) is not dict:
        return _values(container, depth, fold, rewritten)
    codes = [_KEYS.get(key) for key in container]  # a hit is a checked text key
    if None in codes:
        codes = [_search_key(key) for key in container]
    return dict(zip(codes, _values(container.values(), depth, fold, rewritten), strict=True))


_isfinite = math.isfinite


def _values(
    values: Iterable[Any], depth: int, fold: Callable[[str], str], rewritten: list[bool]
) -> list[Any]:
    """The search document of each value of a container at `depth` (see `_forms`)."""
    folded: list[Any] = []
    add_folded = folded.append
    for child in values:
        kind = type(child)
        if kind is str:
            if "\x00" in child or (not child.isascii() and not storable_text(child)):
                raise _OffFastPath
            add_folded(fold(child))
        elif kind is dict or kind is list:
            add_folded(_forms(child, depth + 1, fold, rewritten))
        else:
            add_folded(child)
            if kind is float:
                if not _isfinite(child):
                    raise _OffFastPath
                if not rewritten and (child.is_integer() or -1e-4 < child < 1e-4):
                    rewritten.append(True)
            elif kind is int:
                if not rewritten and not _INT64 <= child <= _UINT64:
                    rewritten.append(True)
            elif not (child is None or kind is bool):
                raise _OffFastPath
    return folded
