"""Small builders shared by the tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mlte_store import Artifact, ArtifactHeader, ArtifactLevel, ArtifactType


def make_artifact(
    identifier: str,
    artifact_type: str = "evidence",
    *,
    level: str = "version",
    **body: Any,
) -> Artifact:
    """An artifact with a small body; extra keyword arguments become body fields."""
    return Artifact(
        header=ArtifactHeader(
            identifier=identifier, type=ArtifactType(artifact_type), level=ArtifactLevel(level)
        ),
        body={"artifact_type": artifact_type, **body},
    )


def ids(artifacts: list[Artifact]) -> list[str]:
    return [a.header.identifier for a in artifacts]


def same_json(a: Any, b: Any) -> bool:
    """JSON equality where numbers compare by decimal value, as DESIGN.md allows.

    PostgreSQL's JSONB keeps numbers as decimals, so 1e300 may come back as the
    integer 10**300: equal as a JSON number, unequal as a Python float.
    """
    return _numbers_as_decimals(a) == _numbers_as_decimals(b)


def _numbers_as_decimals(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _numbers_as_decimals(v) for k, v in value.items()}
    return [_numbers_as_decimals(v) for v in value]
