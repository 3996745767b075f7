"""The benchmark's artifacts: MLTE-shaped bodies of 1 to 10 KB, of all five types.

Sizes are spread evenly over 1 to 10 KB of JSON per artifact (header and
body), reproducibly: artifact i always has the same type, size and body.
"""

from __future__ import annotations

import json
from functools import cache

from mlte_store.models import Artifact, ArtifactType
from mlte_store.samples import sample_artifact

TYPES = tuple(ArtifactType)
MIN_BYTES, MAX_BYTES = 1_000, 10_000

#: The Property and Tag searches: a body field and a list that a few artifacts match.
PROPERTY_PATH, PROPERTY_VALUE = "body.metadata.test_case_id", "ACCURACY_42"
TAG_PATH, TAG_VALUE = "body.tags", "SUITE-42"


def identifier(i: int) -> str:
    """The identifier of artifact i (zero-padded, so identifier order is index order)."""
    return f"artifact-{i:07d}"


@cache
def _bytes_per_unit(artifact_type: ArtifactType) -> tuple[float, float]:
    """(fixed bytes, bytes per unit of `size`) of a sample body of this type."""
    small = _json_size(sample_artifact(artifact_type, "x", index=1, size=1))
    large = _json_size(sample_artifact(artifact_type, "x", index=1, size=101))
    per_unit = (large - small) / 100
    return small - per_unit, per_unit


def _json_size(artifact: Artifact) -> int:
    return len(json.dumps(artifact.to_json()))


def make_artifact(i: int, prefix: str = "") -> Artifact:
    """Artifact i: type i mod 5, about MIN_BYTES..MAX_BYTES of JSON, a body that varies with i."""
    artifact_type = TYPES[i % len(TYPES)]
    target = MIN_BYTES + (i * 7919) % (MAX_BYTES - MIN_BYTES)
    fixed, per_unit = _bytes_per_unit(artifact_type)
    size = max(1, round((target - fixed) / per_unit))
    return sample_artifact(artifact_type, prefix + identifier(i), index=i, size=size)
