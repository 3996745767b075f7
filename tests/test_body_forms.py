"""The fast JSON paths agree with their definitions: the one-walk body forms (search
document, digest, acceptance), the orjson canonical JSON, and the engine's (de)serializer."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlte_store import casefold
from mlte_store.bodies import (
    MAX_BODY_DEPTH,
    _reference_canonical_json,
    body_forms,
    canonical_json,
    loads,
)
from mlte_store.engine import dumps
from mlte_store.models import _plain_json

_EDGE_NUMBERS = [
    0.0, -0.0, 1e-5, -1.234e-7, 5e-324, 0.0001, 1e16, 2.5e300, 1.5e300, 1e22, 9007199254740993.0,
    2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63) - 1, 10**300, -(10**40),
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(_EDGE_NUMBERS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400)
@given(st.dictionaries(st.text(), json_values, max_size=5))
def test_the_one_walk_agrees_with_validation_search_document_and_digest(
    body: dict[str, Any],
) -> None:
    forms = body_forms(body)
    if not _plain_json(body):
        assert forms is None
        return
    assert forms is not None
    assert forms.search == casefold.search_document(body)
    assert forms.digest == hashlib.sha256(_reference_canonical_json(body)).hexdigest()


@settings(max_examples=400)
@given(json_values)
def test_canonical_json_is_the_json_module_s(value: Any) -> None:
    if _plain_json(value):
        assert canonical_json(value) == _reference_canonical_json(value)


def test_edge_numbers_keep_their_canonical_text() -> None:
    body = {"n": _EDGE_NUMBERS, "nested": {"z": 1e-9, "a": [10**30, 0.5]}}
    assert canonical_json(body) == _reference_canonical_json(body)
    assert body_forms(body) is not None


def test_too_deep_or_refused_bodies_are_left_to_the_detailed_walk() -> None:
    deep: Any = "x"
    for _ in range(MAX_BODY_DEPTH + 1):
        deep = [deep]
    for body in ({"d": deep}, {"x": math.nan}, {"x": "\x00"}, {"\ud800": 1}, {1: 2}):
        assert body_forms(body) is None


@settings(max_examples=400)
@given(json_values)
def test_stored_json_reads_back_as_python_json_reads_it(value: Any) -> None:
    if not _plain_json(value):
        return
    text = dumps(value)
    expected = json.loads(json.dumps(value, ensure_ascii=False))
    assert loads(text) == expected
    assert json.loads(text) == expected
    assert repr(loads(text)) == repr(expected)  # same types: big integers stay integers


def test_loads_refuses_and_accepts_what_json_does() -> None:
    for text in ["NaN", "[1e400]", "-Infinity", '"\\ud800"', str(10**40), "[-9223372036854775809]"]:
        assert repr(loads(text)) == repr(json.loads(text))
    for bad in ['"a\tb"', "[1,]", "\ufeff1", "01", "tru", "{}{}"]:
        with pytest.raises(json.JSONDecodeError) as ours:
            loads(bad)
        with pytest.raises(json.JSONDecodeError) as theirs:
            json.loads(bad)
        assert str(ours.value) == str(theirs.value)
