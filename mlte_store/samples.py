"""MLTE-shaped sample artifacts, one builder per type, for the demo, tests and benchmarks.

The bodies follow the shape of MLTE's own serialised artifacts (negotiation
card, evidence value, test suite, test results, report), with `size` extra
entries to make them larger.
"""

from __future__ import annotations

from typing import Any

from mlte_store.models import Artifact, ArtifactHeader, ArtifactLevel, ArtifactType


def _card(i: int, size: int) -> dict[str, Any]:
    return {
        "artifact_type": "card",
        "system": {
            "goals": [
                {
                    "description": f"Identify the plant species in photo {i}",
                    "metrics": [{"description": "Accuracy", "baseline": "0.9"}],
                }
            ],
            "problem_type": "classification",
            "task": "Classify flowers",
            "usage_context": "A mobile app for gardeners",
            "risks": [f"Misclassification of rare species #{j}" for j in range(size)],
        },
        "data": [
            {
                "description": "Oxford flowers",
                "classification": "unclassified",
                "labels": [{"name": f"label{j}", "percentage": 1.0} for j in range(size)],
            }
        ],
        "model": {"development_compute_resources": {"gpu": "1", "cpu": "4", "memory": "16GB"}},
        "tags": ["Vision", "Classification", f"run-{i}"],
    }


def _evidence(i: int, size: int) -> dict[str, Any]:
    return {
        "artifact_type": "evidence",
        "metadata": {
            "test_case_id": f"accuracy_{i}",
            "measurement": {"measurement_class": "mlte.measurement.ExternalMeasurement"},
        },
        "evidence_class": "mlte.evidence.types.real.Real",
        "value": {"evidence_type": "real", "real": 0.5 + (i % 50) / 100, "unit": None},
        "samples": [j * 0.25 for j in range(size)],
    }


def _suite(i: int, size: int) -> dict[str, Any]:
    return {
        "artifact_type": "suite",
        "test_cases": [
            {
                "identifier": f"case_{i}_{j}",
                "goal": "Check accuracy on the test set",
                "quality_scenarios": [f"qs{j}"],
                "measurement": {"measurement_class": "mlte.measurement.ExternalMeasurement"},
                "validator": {"bool_exp": "lambda real: real.value > 0.9", "creator": "Real"},
            }
            for j in range(max(1, size // 2))
        ],
        "tags": ["nightly", f"suite-{i}"],
    }


def _results(i: int, size: int) -> dict[str, Any]:
    return {
        "artifact_type": "results",
        "test_suite_id": f"suite-{i}",
        "results": {
            f"case_{i}_{j}": {"type": "Success" if j % 3 else "Failure", "message": "ok"}
            for j in range(size)
        },
    }


def _report(i: int, size: int) -> dict[str, Any]:
    return {
        "artifact_type": "report",
        "summary": f"Report {i}: the model meets {i % 10} of 10 requirements",
        "comments": [{"content": f"Reviewed by Ünal Ødegaard, note {j}"} for j in range(size)],
        "tags": ["Release", "Q4"],
    }


_BODIES = {
    ArtifactType.NEGOTIATION_CARD: _card,
    ArtifactType.EVIDENCE: _evidence,
    ArtifactType.TEST_SUITE: _suite,
    ArtifactType.TEST_RESULTS: _results,
    ArtifactType.REPORT: _report,
}


def sample_artifact(
    artifact_type: ArtifactType,
    identifier: str,
    *,
    index: int = 0,
    size: int = 5,
    level: ArtifactLevel = ArtifactLevel.VERSION,
    creator: str | None = None,
) -> Artifact:
    """An artifact of the given type with an MLTE-shaped body."""
    return Artifact(
        header=ArtifactHeader(
            identifier=identifier, type=artifact_type, creator=creator, level=level
        ),
        body=_BODIES[artifact_type](index, size),
    )
