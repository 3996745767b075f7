"""A refused body names what was wrong and where (docs/python-api.md: Input rules), both backends.

The messages are checked for the path of the offending value inside the body (`body.x`,
`body.x[1]`, `body.x keys`), which only the library's own check can produce, and
for the real fault even when other, valid values are walked first or the body sits at
the deepest nesting allowed.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from mlte_store import ArtifactRepository, ErrorInvalidInput

from .helpers import make_artifact

MAX_DEPTH = 200  # docs/python-api.md: bodies may nest 200 levels deep, no deeper


def nested(depth: int, kind: str = "dict") -> Any:
    """Containers (dicts or lists) whose innermost one is the body's `depth`-th level."""
    value: Any = {} if kind == "dict" else []
    for _ in range(depth - 2):
        value = {"k": value} if kind == "dict" else [value]
    return value


def refusal(repo: ArtifactRepository, **body: Any) -> str:
    wire = {"header": {"identifier": "a", "type": "evidence"},
            "body": {"artifact_type": "evidence", **body}}  # fmt: skip
    with pytest.raises(ErrorInvalidInput) as caught:
        repo.write_artifact("m", "v", wire, parents=True)
    assert repo.list_models() == []
    return str(caught.value)


# Each case: the body fields (keys after the fault are walked first), and what the
# message must say. Valid scalars of every kind (None, int, bool, float, text) sit beside.
VALID = {"none": None, "int": 7, "bool": True, "float": 2.5, "text": "ok", "list": [1, "x"]}
CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("NaN", {"bad": math.nan, **VALID}, ["body.bad", "nan"]),
    ("Infinity in a list", {"bad": [1, -math.inf], **VALID}, ["body.bad[1]", "inf"]),
    ("NUL in a value", {"bad": {"x": "a\x00"}, **VALID}, ["body.bad.x", "NUL"]),
    ("NUL in a key", {"bad": {"k\x00": 1}, **VALID}, ["body.bad keys", "NUL"]),
    ("lone surrogate", {"bad": ["\udc80"], **VALID}, ["body.bad[0]", "surrogate"]),
    (
        "lone surrogate in a key",
        {"bad": {"k\udc80": 1}, **VALID},
        ["body.bad keys", "surrogate"],
    ),
    ("NaN beside non-ASCII text", {"bad": {"ключ ✓": "значение ✓", "k": math.nan}}, ["body.bad.k"]),
    ("non-text key", {"bad": {3: "x"}, **VALID}, ["body.bad keys must be text", "got 3"]),
    ("a set", {"bad": {1, 2}, **VALID}, ["body.bad must be JSON", "got {1, 2}"]),
    ("bytes", {"bad": b"x", **VALID}, ["body.bad must be JSON", "got b'x'"]),
]


@pytest.mark.parametrize(("case", "fields", "said"), CASES, ids=[c[0] for c in CASES])
def test_a_refused_body_names_the_fault_and_its_path(
    repo: ArtifactRepository, case: str, fields: dict[str, Any], said: list[str]
) -> None:
    message = refusal(repo, **fields)
    for words in said:
        assert words in message, (case, message)


@pytest.mark.parametrize("kind", ["dict", "list"])
@pytest.mark.parametrize(("case", "fields", "said"), CASES, ids=[c[0] for c in CASES])
def test_the_fault_is_named_also_next_to_the_deepest_allowed_nesting(
    repo: ArtifactRepository, case: str, fields: dict[str, Any], said: list[str], kind: str
) -> None:
    deep = nested(MAX_DEPTH, kind)
    repo.write_artifact("ok", "v", make_artifact("deep", deep=deep), parents=True)  # allowed
    repo.delete_model("ok")
    message = refusal(repo, **fields, deep=deep)  # walked first: the walk is last-in first-out
    assert "nested at most" not in message, message
    for words in said:
        assert words in message, (case, message)


@pytest.mark.parametrize("kind", ["dict", "list"])
def test_nesting_one_level_too_deep_is_named(repo: ArtifactRepository, kind: str) -> None:
    message = refusal(repo, deep=nested(MAX_DEPTH + 1, kind))
    assert "must be nested at most 200 levels deep" in message
