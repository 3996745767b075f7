"""Hostile and bad input, on both backends: refused with the library's error and
nothing written, or stored and read back exactly. Never a crash, never a driver error.

Extends the hostile-identifier tests of test_repository.py and the SQL-vs-Python
agreement of test_search.py with every kind of input the input rules (docs/python-api.md) name.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlte_store import (
    MAX_IDENTIFIER_LENGTH,
    MAX_PAGE_SIZE,
    Artifact,
    ArtifactRepository,
    ErrorInvalidInput,
    ErrorNotFound,
    IdentifierFilter,
    Model,
    PropertyFilter,
    Query,
    TagFilter,
    Version,
)
from mlte_store.models import MAX_BODY_DEPTH
from mlte_store.tables import ArtifactRow, ModelRow, VersionRow

from .docs_pages import figures
from .helpers import count_rows, ids, make_artifact, same_json

#: Distinct generated inputs per backend, filled in by the hypothesis test (a stated figure).
GENERATED: dict[str, dict[str, int]] = {}

#: The figures docs/guarantees.md states for the tests below.
(STATED_IDENTIFIER_CALLS,) = figures("guarantees.md", r"takes an identifier \((\d+) of them\)")
STATED_GRID = figures("guarantees.md", r"a grid of (\d+) paths x (\d+) values")
STATED_DISTINCT, STATED_AT_LEAST = figures(
    "guarantees.md",
    r"(\d+) distinct \(identifier, body\) pairs per backend, .*? and at least (\d+) of each kind",
)


def nothing_written(repo: ArtifactRepository) -> bool:
    return all(count_rows(repo, table) == 0 for table in (ModelRow, VersionRow, ArtifactRow))


def nested(depth: int, kind: str = "dict") -> Any:
    """A value whose innermost container sits `depth` containers down."""
    value: Any = {} if kind == "dict" else []
    for _ in range(depth - 1):
        value = {"k": value} if kind == "dict" else [value]
    return value


# -- identifiers ------------------------------------------------------------------------

STORED_IDENTIFIERS = [
    "' OR '1'='1",
    "'); DELETE FROM mlte_model; --",
    "\"quoted\" and 'single' and `back`",
    "back\\slash\\\\double\\'",
    "%",
    "_",
    "%_\\%\\_[a-z]^*?",
    "a..b", ".", "$", "$.a[0]", "[]", "{}",
    "plane0 \u00e9 \u4e2d \uffff \ufffe",  # BMP, noncharacters included
    "plane1 \U0001d518 \U0001f9ea",  # SMP: math letter, emoji
    "plane2 \U00020000 plane3 \U00030000",  # SIP, TIP
    "plane14 \U000e0001\U000e0041",  # tag characters
    "plane15 \U000f0000 plane16 \U0010fffd",  # private use
    "e\u0301\u0302\u0303\u0304",  # stacked combining marks
    "\u0301 leading combining mark",
    "rtl \u200f\u202e\u2066abc\u2069\u202c",  # bidi controls
    "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",  # Hebrew, Arabic
    "tab\tnewline\ncr\r",
    "\x01\x1f\x7f",
    " ",
    "x" * MAX_IDENTIFIER_LENGTH,
    "\U0010fffd" * MAX_IDENTIFIER_LENGTH,  # 255 characters, 1,020 UTF-8 bytes
    "e\u0301" * (MAX_IDENTIFIER_LENGTH // 2),
]  # fmt: skip


def test_hostile_identifiers_round_trip_everywhere(repo: ArtifactRepository) -> None:
    decoy = "decoy"
    for name in STORED_IDENTIFIERS:
        repo.write_artifact(name, name, make_artifact(name, **{name: name}), parents=True)
        repo.write_artifact(name, name, make_artifact(decoy, level="model"))
        assert repo.list_models() == [name]
        assert repo.read_model(name) == Model(identifier=name, versions=[Version(identifier=name)])
        stored = repo.read_artifact(name, name, name)
        assert stored.header.identifier == name and stored.body[name] == name
        assert ids(repo.read_artifacts(name, name)) == sorted([name, decoy])
        by_id = Query(filter=IdentifierFilter(id=name))
        assert ids(repo.search_artifacts(name, name, by_id)) == [name]
        by_body = {"filter": {"type": "property", "name": "body." + name, "property": name}}
        assert ids(repo.search_artifacts(name, name, by_body)) == (
            [name] if "." not in name else []
        )
        assert repo.delete_artifact(name, name, name).header.identifier == name
        assert repo.delete_version(name, name) == Version(identifier=name)
        assert repo.delete_model(name).identifier == name
        assert nothing_written(repo), repr(name)


REFUSED_IDENTIFIERS = [
    ("", "empty"),
    ("x" * (MAX_IDENTIFIER_LENGTH + 1), "256 characters"),
    ("\U0010fffd" * (MAX_IDENTIFIER_LENGTH + 1), "256 characters"),
    ("x" * 100_000, "100000 characters"),
    ("\x00", "NUL"),
    ("a\x00b", "NUL"),
    ("end\x00", "NUL"),
    ("\ud800", "surrogate"),
    ("a\udfffb", "surrogate"),
    (None, "must be|valid string"),
    (7, "must be|valid string"),
    (b"bytes", "must be|valid string"),
]


def test_bad_identifiers_are_refused_by_every_call(repo: ArtifactRepository) -> None:
    for bad, reason in REFUSED_IDENTIFIERS:
        refused_everywhere(repo, bad, reason)
    assert nothing_written(repo)


def refused_everywhere(repo: ArtifactRepository, bad: Any, reason: str) -> None:
    artifact = make_artifact("a")
    bad_header = {"header": {"identifier": bad, "type": "card"}, "body": {"artifact_type": "card"}}
    calls: list[tuple[str, Callable[[], object]]] = [
        ("model", lambda: repo.create_model(bad)),
        ("model", lambda: repo.read_model(bad)),
        ("model", lambda: repo.delete_model(bad)),
        ("model", lambda: repo.list_versions(bad)),
        ("version", lambda: repo.create_version("m", bad)),
        ("version", lambda: repo.read_version("m", bad)),
        ("version", lambda: repo.delete_version("m", bad)),
        ("model", lambda: repo.write_artifact(bad, "v", artifact, parents=True)),
        ("version", lambda: repo.write_artifact("m", bad, artifact, parents=True)),
        ("version", lambda: repo.write_artifacts("m", bad, [artifact], parents=True)),
        ("version", lambda: repo.write_artifact_with_header("m", bad, artifact, parents=True)),
        ("artifact", lambda: repo.read_artifact("m", "v", bad)),
        ("artifact", lambda: repo.delete_artifact("m", "v", bad)),
        ("model", lambda: repo.read_artifacts(bad, "v")),
        ("version", lambda: repo.search_artifacts("m", bad)),
        ("version", lambda: repo.count_artifacts("m", bad)),
        ("model", lambda: list(repo.iter_artifacts(bad, "v"))),
        ("artifact", lambda: repo.write_artifact("m", "v", bad_header, parents=True)),
        ("version", lambda: repo.read_artifact_history("m", bad, "a")),
        ("artifact", lambda: repo.restore_artifact("m", "v", bad, revision=1)),
    ]
    assert len(calls) == STATED_IDENTIFIER_CALLS
    for what, call in calls:
        with pytest.raises(ErrorInvalidInput) as caught:
            call()
        message = str(caught.value)
        assert what in message and re.search(reason, message), message


# -- bodies ----------------------------------------------------------------------------

BAD_ARTIFACTS: list[tuple[str, Any, str]] = [
    ("NUL in a value", {"artifact_type": "evidence", "v": "a\x00"}, "NUL"),
    ("NUL in a key", {"artifact_type": "evidence", "k\x00": 1}, "NUL"),
    ("NUL deep down", {"artifact_type": "evidence", "v": [[{"x": ["\x00"]}]]}, "NUL"),
    ("lone surrogate", {"artifact_type": "evidence", "v": "\udc80"}, "surrogate"),
    ("1,000 levels of objects", {"artifact_type": "evidence", "v": nested(1000)}, "nested"),
    ("1,000 levels of lists", {"artifact_type": "evidence", "v": nested(1000, "list")}, "nested"),
    ("100,000 levels", {"artifact_type": "evidence", "v": nested(100_000)}, "nested"),
    ("NaN", {"artifact_type": "evidence", "v": math.nan}, "nan"),
    ("Infinity", {"artifact_type": "evidence", "v": [-math.inf]}, "inf"),
    ("a set", {"artifact_type": "evidence", "v": {1, 2}}, "must be JSON"),
    ("bytes", {"artifact_type": "evidence", "v": b"x"}, "must be JSON"),
    ("a Decimal", {"artifact_type": "evidence", "v": Decimal("1.5")}, "must be JSON"),
    ("a non-text key", {"artifact_type": "evidence", 1: "x"}, "key"),
    ("a list body", ["artifact_type", "evidence"], "dict"),
    ("a text body", "evidence", "dict"),
    ("a number body", 42, "dict"),
    ("a null body", None, "dict"),
    ("no artifact_type", {"kind": "evidence"}, "artifact_type"),
    ("another type's body", {"artifact_type": "report"}, "artifact_type"),
    ("artifact_type not text", {"artifact_type": ["evidence"]}, "artifact_type"),
]


def test_bad_bodies_are_refused_and_nothing_is_written(repo: ArtifactRepository) -> None:
    for what, body, reason in BAD_ARTIFACTS:
        wire = {"header": {"identifier": "a", "type": "evidence"}, "body": body}
        for call in (
            lambda w: repo.write_artifact("m", "v", w, parents=True),
            lambda w: repo.write_artifacts("m", "v", [make_artifact("ok"), w], parents=True),
            lambda w: repo.write_artifact_with_header("m", "v", w, parents=True, user="u"),
        ):
            with pytest.raises(ErrorInvalidInput, match=f"(?i){reason}"):
                call(wire)
        assert nothing_written(repo), what


BAD_HEADERS: list[tuple[dict[str, Any], str]] = [
    ({"identifier": "a", "type": "unknown"}, "type"),
    ({"identifier": "a", "type": "CARD"}, "type"),
    ({"identifier": "a"}, "type"),
    ({"type": "evidence"}, "identifier"),
    ({"identifier": "a", "type": "evidence", "level": "project"}, "level"),
    ({"identifier": "a", "type": "evidence", "timestamp": 2**63}, "64 bits"),
    ({"identifier": "a", "type": "evidence", "timestamp": "soon"}, "timestamp"),
    ({"identifier": "a", "type": "evidence", "creator": "x\x00"}, "NUL"),
    ({"identifier": "a", "type": "evidence", "extra": 1}, "extra"),
]


def test_bad_headers_are_refused_and_nothing_is_written(repo: ArtifactRepository) -> None:
    for header, reason in BAD_HEADERS:
        wire = {"header": header, "body": {"artifact_type": header.get("type", "evidence")}}
        with pytest.raises(ErrorInvalidInput, match=reason):
            repo.write_artifact("m", "v", wire, parents=True)
    assert nothing_written(repo)


def test_non_mapping_artifacts_are_refused(repo: ArtifactRepository) -> None:
    for bad in (None, "artifact", 1, ["header", "body"], {"header": None, "body": None}):
        with pytest.raises(ErrorInvalidInput, match="artifact"):
            repo.write_artifact("m", "v", bad, parents=True)  # type: ignore[arg-type]
    assert nothing_written(repo)


def test_bodies_at_the_depth_limit_round_trip(repo: ArtifactRepository) -> None:
    for kind in ("dict", "list"):
        # The body is level 0, so its deepest container may sit MAX_BODY_DEPTH - 1 down.
        body = {"artifact_type": "evidence", "v": nested(MAX_BODY_DEPTH - 1, kind)}
        header = {"identifier": kind, "type": "evidence"}
        repo.write_artifact("m", "v", {"header": header, "body": body}, parents=True)
        assert repo.read_artifact("m", "v", kind).body == body
        body["v"] = nested(MAX_BODY_DEPTH, kind)
        too_deep = f"nested at most {MAX_BODY_DEPTH} levels deep, got {MAX_BODY_DEPTH + 1}"
        with pytest.raises(ErrorInvalidInput, match=too_deep):
            repo.write_artifact("m", "v", {"header": header, "body": body}, force=True)
    assert count_rows(repo, ArtifactRow) == 2
    assert repo.read_artifact("m", "v", "dict").body["v"] == nested(MAX_BODY_DEPTH - 1)


def test_a_10_mb_body_round_trips(repo: ArtifactRepository) -> None:
    body = {
        "artifact_type": "evidence",
        "text": "é🧪" * 1_700_000,  # 10.2 MB of UTF-8
        "rows": [{"i": i, "x": i / 7, "s": f"row {i}"} for i in range(1000)],
    }
    size = len(json.dumps(body, ensure_ascii=False).encode())
    assert size > 10_000_000
    repo.write_artifact("m", "v", make_artifact("big", **body), parents=True)
    got = repo.read_artifact("m", "v", "big")
    assert same_json(got.body, body)
    needle = Query(filter=PropertyFilter(name="body.text", property="É🧪É"))
    assert ids(repo.search_artifacts("m", "v", needle)) == ["big"]


# -- query paths and filter values ----------------------------------------------------

EXOTIC_KEYS = ["$", "['a']", '"q"', "a[0]", "*", "", " ", "\\", "%", "_", "..", "'", "$.a"]
EXOTIC_PATHS = [
    *(f"body.{key}" for key in EXOTIC_KEYS),
    "body..x",
    "body.",
    ".",
    "..",
    "",
    "body.[0]",
    "body.$.x",
    "$.body.x",
    "body['x']",
    "body.x.y.z",
    "body." + ".".join(["k"] * 1000),
    "body." + ".".join([""] * 1000),
    "header.identifier",
]
WILDCARD_VALUES = ["%", "_", "\\", "\\%", "%_", "[a]", "[!a]", "^", "*", "?", "'", "''", "x", ""]


def test_exotic_paths_and_wildcard_values_agree_with_python(repo: ArtifactRepository) -> None:
    texts = ["x", "%", "_", "a\\b", "\\%", "[a]", "it's", "''", "100%_done", "X*?^"]
    bodies = {
        f"a{i}": {key: texts[(i + j) % len(texts)] for j, key in enumerate(EXOTIC_KEYS)}
        | {"x": {"y": {"z": [texts[i % len(texts)]]}}, "k": nested(190)}
        for i in range(len(texts))
    }
    for identifier, body in bodies.items():
        repo.write_artifact("m", "v", make_artifact(identifier, **body), parents=True)
    visible = repo.read_artifacts("m", "v")
    matched = 0
    for path in EXOTIC_PATHS:
        for value in WILDCARD_VALUES:
            for query in (
                Query(filter=PropertyFilter(name=path, property=value)),
                Query(filter=TagFilter(name=path, tag=value)),
            ):
                expected = [a.header.identifier for a in visible if query.match(a)]
                assert ids(repo.search_artifacts("m", "v", query)) == expected, query
                matched += len(expected)
    assert matched > 0  # the grid finds real matches, not only empty results
    assert (len(EXOTIC_PATHS), len(WILDCARD_VALUES)) == STATED_GRID
    assert len(repo.read_artifacts("m", "v")) == len(texts)  # no query changed anything


# -- paging ----------------------------------------------------------------------------

GOOD_PAGES = [(0, 0), (1, 0), (MAX_PAGE_SIZE, 0), (10, 2**62), (1, 1), (MAX_PAGE_SIZE, 2)]
BAD_PAGES: list[tuple[Any, Any]] = [
    (-1, 0), (0, -1), (-(2**70), 0), (MAX_PAGE_SIZE + 1, 0), (10**30, 0), (10, 2**63),
    (10, 10**30), (1.0, 0), (1.5, 0), (0, 0.0), ("10", 0), (10, "0"), (True, 0), (10, False),
    (None, 0), (10, None), (float("nan"), 0), ([1], 0),
]  # fmt: skip


def test_paging_arguments_are_checked_everywhere(repo: ArtifactRepository) -> None:
    for i in range(3):
        repo.write_artifact("m", "v", make_artifact(f"a{i}"), parents=True)
    every = ids(repo.read_artifacts("m", "v"))
    for limit, offset in GOOD_PAGES:
        page = every[offset : offset + limit]
        assert ids(repo.read_artifacts("m", "v", limit=limit, offset=offset)) == page
        assert ids(repo.search_artifacts("m", "v", limit=limit, offset=offset)) == page
    for limit, offset in BAD_PAGES:
        with pytest.raises(ErrorInvalidInput, match=r"limit|offset"):
            repo.read_artifacts("m", "v", limit=limit, offset=offset)
        if limit is not None:
            with pytest.raises(ErrorInvalidInput, match=r"limit|offset"):
                repo.search_artifacts("m", "v", limit=limit, offset=offset)
    for page_size in (0, -1, MAX_PAGE_SIZE + 1, 1.5, "1", None, True):
        with pytest.raises(ErrorInvalidInput):
            list(repo.iter_artifacts("m", "v", page_size=page_size))  # type: ignore[arg-type]
    assert ids(list(repo.iter_artifacts("m", "v", page_size=1))) == every


def test_bad_queries_are_refused(repo: ArtifactRepository) -> None:
    repo.create_model(Model(identifier="m", versions=[Version(identifier="v")]))
    for bad in (
        {"filter": {"type": "sql", "where": "1=1"}},
        {"filter": {"type": "property", "name": 1, "property": "x"}},
        {"filter": {"type": "tag", "name": "body.x", "tag": None}},
        {"filter": {"type": "and", "filters": "all"}},
        {"filter": {"type": "identifier", "id": ["x"]}},
        {"filter": {"type": "identifier", "id": "a\ud800"}},
        {"filter": {"type": "property", "name": "body.\x00", "property": "x"}},
        {"filter": {"type": "tag", "name": "body.x", "tag": "\udfff"}},
        "not a query",
    ):
        with pytest.raises(ErrorInvalidInput, match="query"):
            repo.search_artifacts("m", "v", bad)  # type: ignore[arg-type]
    with pytest.raises(ErrorNotFound):
        repo.search_artifacts("m", "nope", Query())


def test_revision_numbers_no_row_could_hold_are_refused(repo: ArtifactRepository) -> None:
    repo.write_artifact("m", "v", make_artifact("a"), parents=True)
    for bad in (0, -1, 2**31, 2**63, 10**30, 1.0, "1", True):
        with pytest.raises(ErrorInvalidInput, match="revision"):
            repo.read_artifact("m", "v", "a", revision=bad)  # type: ignore[arg-type]
        with pytest.raises(ErrorInvalidInput, match="revision"):
            repo.restore_artifact("m", "v", "a", revision=bad)  # type: ignore[arg-type]
    with pytest.raises(ErrorNotFound):
        repo.read_artifact("m", "v", "a", revision=2**31 - 1)


# -- generated identifiers and bodies -------------------------------------------------

# Any text: every plane, NUL and lone surrogates included (those must be refused).
any_text = st.text(st.characters(codec=None), max_size=12)
identifiers = st.one_of(
    any_text,
    st.text(
        st.characters(codec="utf-8"),
        min_size=MAX_IDENTIFIER_LENGTH - 1,
        max_size=MAX_IDENTIFIER_LENGTH + 1,
    ),
)
json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    any_text,
)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(any_text, inner, max_size=4)
    ),
    max_leaves=20,
)


def valid_text(value: str) -> bool:
    return "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)


def valid_json(value: Any) -> bool:
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, list):
        return all(valid_json(v) for v in value)
    if isinstance(value, dict):
        return all(valid_text(k) and valid_json(v) for k, v in value.items())
    return True


def test_generated_identifiers_and_bodies_round_trip(
    repo: ArtifactRepository, backend: str
) -> None:
    """Any generated (identifier, body): refused as ErrorInvalidInput, or read back equal."""
    seen: set[str] = set()
    outcomes = {"stored": 0, "refused": 0}

    @settings(
        max_examples=150,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(identifier=identifiers, fields=st.dictionaries(any_text, json_values, max_size=5))
    def round_trip(identifier: str, fields: dict[str, Any]) -> None:
        body = {**fields, "artifact_type": "evidence"}
        seen.add(json.dumps([identifier, body], sort_keys=True, default=repr))
        valid = (
            0 < len(identifier) <= MAX_IDENTIFIER_LENGTH
            and valid_text(identifier)
            and valid_json(body)
        )
        wire = {"header": {"identifier": identifier, "type": "evidence"}, "body": body}
        if not valid:
            with pytest.raises(ErrorInvalidInput):
                repo.write_artifact(identifier, identifier, wire, parents=True)
            assert nothing_written(repo)
            outcomes["refused"] += 1
            return
        repo.write_artifact(identifier, identifier, wire, parents=True, force=True)
        got = repo.read_artifact(identifier, identifier, identifier)
        assert got.header.identifier == identifier
        assert same_json(got.body, body)
        assert repo.list_models() == [identifier]
        repo.delete_model(identifier)
        outcomes["stored"] += 1

    round_trip()
    GENERATED[backend] = {"distinct": len(seen), **outcomes}
    assert len(seen) == STATED_DISTINCT, GENERATED
    assert min(outcomes.values()) >= STATED_AT_LEAST, GENERATED


def test_artifact_entities_changed_after_validation_are_checked_again(
    repo: ArtifactRepository,
) -> None:
    artifact = make_artifact("a")
    artifact.header.identifier = "x" * 300
    with pytest.raises(ErrorInvalidInput, match="300"):
        repo.write_artifact("m", "v", artifact, parents=True)
    artifact = make_artifact("a")
    artifact.body["artifact_type"] = "card"
    with pytest.raises(ErrorInvalidInput, match="artifact_type"):
        repo.write_artifact("m", "v", artifact, parents=True)
    assert nothing_written(repo)
    assert isinstance(Artifact.model_validate(make_artifact("ok").to_json()), Artifact)
