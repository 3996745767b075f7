"""Refused input is one short sentence naming the argument, the rule and the offending
value (cut to a few dozen characters), in the library and on the command line alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from mlte_store import MAX_IDENTIFIER_LENGTH, ArtifactHeader, ArtifactRepository, ErrorInvalidInput
from mlte_store.cli import app
from mlte_store.inputs import refusal
from mlte_store.models import MAX_SHOWN

from .helpers import make_artifact

runner = CliRunner()

TYPES = "'card', 'evidence', 'suite', 'results' or 'report'"


def _wire(header: dict[str, Any], body: Any = None) -> dict[str, Any]:
    return {"header": header, "body": {"artifact_type": "evidence"} if body is None else body}


def _evidence(**body: Any) -> dict[str, Any]:
    """An evidence artifact's JSON with these body fields (unchecked)."""
    return _wire({"identifier": "a", "type": "evidence"}, {"artifact_type": "evidence", **body})


CASES: list[tuple[str, Any, str]] = [
    ("empty model", lambda r: r.create_model(""), "model identifier must not be empty, got ''"),
    (
        "empty version",
        lambda r: r.read_version("m", ""),
        "version identifier must not be empty, got ''",
    ),
    (
        "identifier not text",
        lambda r: r.read_model(42),
        "model identifier must be text, got 42",
    ),
    (
        "identifier too long",
        lambda r: r.read_artifact("m", "v", "x" * 300),
        f"artifact identifier must be at most {MAX_IDENTIFIER_LENGTH} characters, "
        f"got '{'x' * (MAX_SHOWN - 2)}… (300 characters)",
    ),
    (
        "limit",
        lambda r: r.read_artifacts("m", "v", limit=-1),
        "limit must be an integer from 0 to 10000, got -1",
    ),
    (
        "offset",
        lambda r: r.read_artifacts("m", "v", offset="3"),
        "offset must be an integer from 0 to 4611686018427387904, got '3'",
    ),
    (
        "page size",
        lambda r: list(r.iter_artifacts("m", "v", page_size=0)),
        "page_size must be an integer from 1 to 10000, got 0",
    ),
    (
        "unknown type",
        lambda r: r.write_artifact("m", "v", _wire({"identifier": "a", "type": "nope"})),
        f"artifact header.type must be {TYPES}, got 'nope'",
    ),
    (
        "missing type",
        lambda r: r.write_artifact("m", "v", _wire({"identifier": "a"})),
        "artifact header.type is required, got nothing",
    ),
    (
        "unknown field",
        lambda r: r.write_artifact(
            "m", "v", _wire({"identifier": "a", "type": "evidence", "colour": "red"})
        ),
        "artifact header.colour is not a known field, got 'red'",
    ),
    (
        "empty artifact identifier",
        lambda r: r.write_artifact("m", "v", _wire({"identifier": "", "type": "evidence"})),
        "artifact header.identifier must not be empty, got ''",
    ),
    (
        "body of another type",
        lambda r: r.write_artifact(
            "m", "v", _wire({"identifier": "a", "type": "evidence"}, {"artifact_type": "card"})
        ),
        "artifact body.artifact_type must equal header.type 'evidence', got 'card'",
    ),
    (
        "NUL in the body",
        lambda r: r.write_artifact("m", "v", _evidence(v="a\0")),
        "artifact body.v must not contain NUL, got 'a\\x00'",
    ),
    (
        "NaN in the body",
        lambda r: r.write_artifact("m", "v", _evidence(x=[float("nan")])),
        "artifact body.x[0] must be a finite number, got nan",
    ),
    (
        "a bad artifact of a batch",
        lambda r: r.write_artifacts(
            "m", "v", [make_artifact("ok"), _wire({"identifier": "", "type": "evidence"})]
        ),
        "artifact #1 of the batch header.identifier must not be empty, got ''",
    ),
    (
        "a level",
        lambda r: r.read_artifact_history("m", "v", "a", level="project"),
        "level must be 'model' or 'version', got 'project'",
    ),
    (
        "a revision",
        lambda r: r.read_artifact("m", "v", "a", revision=0),
        "revision must be an integer from 1 to 2147483647, got 0",
    ),
    (
        "a user",
        lambda r: r.write_artifact_with_header("m", "v", make_artifact("a"), user=7),
        "user must be text or None, got 7",
    ),
    (
        "a model-level write of a version-level artifact",
        lambda r: r.write_model_artifact("m", make_artifact("a")),
        "artifact header.level must be 'model' here, got 'version'",
    ),
]


@pytest.mark.parametrize(("what", "call", "message"), CASES, ids=[c[0] for c in CASES])
def test_refusals_are_one_short_sentence(
    repo: ArtifactRepository, what: str, call: Any, message: str
) -> None:
    with pytest.raises(ErrorInvalidInput) as caught:
        call(repo)
    assert str(caught.value) == message


def test_a_query_of_an_unknown_filter_names_the_known_ones(repo: ArtifactRepository) -> None:
    with pytest.raises(ErrorInvalidInput) as caught:
        repo.search_artifacts("m", "v", {"filter": {"type": "bogus"}})
    message = str(caught.value)
    assert message.startswith("query filter.type must be one of all, none, identifier, ")
    assert message.endswith(", got 'bogus'")


def test_a_huge_value_is_cut_and_more_problems_are_counted(repo: ArtifactRepository) -> None:
    body = {"artifact_type": "evidence", "v": "\0" + "x" * 10_000_000}
    with pytest.raises(ErrorInvalidInput) as caught:
        repo.write_artifact("m", "v", _wire({"identifier": "a", "type": "evidence"}, body))
    message = str(caught.value)
    assert message.startswith("artifact body.v must not contain NUL, got '\\x00xxx")
    assert message.endswith("… (10000001 characters)") and len(message) < 120
    with pytest.raises(ErrorInvalidInput) as caught:
        repo.write_artifact("m", "v", {"header": {"identifier": ""}, "body": 1})
    assert str(caught.value) == (
        "artifact header.identifier must not be empty, got '' (2 more problems)"
    )


def test_other_front_ends_say_a_validation_error_the_same_way_and_may_hide_the_value() -> None:
    with pytest.raises(ValidationError) as caught:
        ArtifactHeader.model_validate({"identifier": "a", "type": "nope"})
    assert refusal(caught.value, "header") == f"header type must be {TYPES}, got 'nope'"
    hidden = refusal(caught.value.errors(), "header", show_value=False)
    assert hidden == f"header type must be {TYPES}"
    secret = {
        "type": "string_too_short",
        "loc": ("password",),
        "msg": "String should have at least 8 characters",
        "input": "hunter2",
    }
    message = refusal([secret], "form", show_value=False)
    assert message == "form password string should have at least 8 characters"


def test_the_command_line_says_the_same(store_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"header": {"identifier": "a", "type": "nope"}, "body": {}}', "utf-8")
    cases = [
        (
            ["artifacts", "put", "m", "v", str(bad)],
            f"artifact header.type must be {TYPES}, got 'nope'",
        ),
        (["artifacts", "ls", "m", "v", "--limit", "-1"], "limit must be an integer from 0 to"),
        (
            ["artifacts", "search", "m", "v", "--where", "nosep"],
            "--where must be PATH~TEXT (e.g. body.system.task~flowers), got 'nosep'",
        ),
        (
            ["artifacts", "search", "m", "v", "--query", '{"type": "bogus"}'],
            "query filter.type must be one of all, none,",
        ),
        (
            ["artifacts", "put", "m", "v", str(tmp_path / "missing.json")],
            "artifact file must be a readable file or -, got",
        ),
        (
            ["artifacts", "put", "m", "v", "{not json"],
            "artifact file must be JSON, got '{not json' (Expecting property name",
        ),
    ]
    for argv, message in cases:
        result = runner.invoke(app, [*argv, "--url", store_url])
        assert result.exit_code == 2, (argv, result.output)
        assert f"error: {message}" in " ".join(result.output.split()), (argv, result.output)
