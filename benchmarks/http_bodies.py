"""The HTTP benchmark's artifacts: the library workload's, made valid for MLTE's own backend.

MLTE 2.7.0's backend validates every written artifact with its pydantic models
and drops the fields they do not know, so the library workload's bodies
(`benchmarks.workload.make_artifact`) are completed here with the fields
MLTE requires, and their size padding is moved into fields MLTE keeps. Both
servers get the same bytes and store bodies of about the same size (1 to 18 KB:
MLTE's test cases are verbose).
"""

from __future__ import annotations

from typing import Any

from benchmarks.workload import TYPES, identifier, make_artifact

_MEASUREMENT = {
    "measurement_class": "mlte.measurement.external_measurement.ExternalMeasurement",
    "output_class": "mlte.evidence.types.real.Real",
    "additional_data": {},
}
_VALIDATOR = {
    "bool_exp": None,
    "bool_exp_str": "real.value > 0.9",
    "thresholds": ["0.9"],
    "success": "above 0.9",
    "failure": "not above 0.9",
    "default_success": "ok",
    "default_failure": "not ok",
    "info": None,
    "input_types": [],
    "creator_entity": "mlte.evidence.types.real.Real",
    "creator_function": "greater_than",
    "creator_args": [0.9],
}
_EMPTY_SUITE = {"artifact_type": "suite", "test_cases": []}


def _evidence(body: dict[str, Any], base: str) -> dict[str, Any]:
    # MLTE names an evidence artifact after its test case: `evidence.<test_case_id>`.
    metadata = {"test_case_id": base, "measurement": _MEASUREMENT}
    value = {"evidence_type": "array", "data": body["samples"]}
    kept = {key: item for key, item in body.items() if key != "samples"}
    return {**kept, "metadata": metadata, "value": value}


def _suite(body: dict[str, Any], _: str) -> dict[str, Any]:
    cases = [
        {
            "identifier": case["identifier"],
            "goal": case["goal"],
            "qas_list": [],  # MLTE checks them against the negotiation cards
            "measurement": _MEASUREMENT,
            "validator": _VALIDATOR,
            "note": None,
        }
        for case in body["test_cases"]
    ]
    return {"artifact_type": "suite", "test_cases": cases}


def _results(body: dict[str, Any], _: str) -> dict[str, Any]:
    results = {
        key: {
            **value,
            "additional_data": "",
            "evidence_metadata": {"test_case_id": key, "measurement": _MEASUREMENT},
        }
        for key, value in body["results"].items()
    }
    return {
        "artifact_type": "results",
        "test_suite_id": body["test_suite_id"],
        "test_suite": _EMPTY_SUITE,
        "results": results,
    }


def _report(body: dict[str, Any], _: str) -> dict[str, Any]:
    return {
        "artifact_type": "report",
        "negotiation_card_id": "card",
        "negotiation_card": {"artifact_type": "card"},
        "test_suite_id": "suite",
        "test_suite": _EMPTY_SUITE,
        "test_results_id": "results",
        "test_results": {"artifact_type": "results", "test_suite": _EMPTY_SUITE},
        "comments": body["comments"],
    }


def _card(body: dict[str, Any], _: str) -> dict[str, Any]:
    data = [{**item, "classification": "Unclassified"} for item in body["data"]]
    system = {**body["system"], "problem_type": "Classification"}
    return {**body, "system": system, "data": data}


_COMPLETE = {
    "card": _card,
    "evidence": _evidence,
    "suite": _suite,
    "results": _results,
    "report": _report,
}


def artifact_id(i: int, prefix: str = "") -> str:
    """Artifact i's identifier, with its type as prefix (MLTE's backend adds it, ours does not).

    MLTE's backend renames a report on every write (`-YYYYMMDD-HHMMSS` appended): reports
    are written to both servers, but only the other types are read by identifier.
    """
    return f"{TYPES[i % len(TYPES)].value}.{prefix}{identifier(i)}"


def readable(i: int) -> bool:
    """Whether artifact i keeps its identifier on both servers (it is not a report)."""
    return TYPES[i % len(TYPES)].value != "report"


#: The Property search: evidence whose test case id contains it (MLTE's rule: substring,
#: case-insensitive), 20 of N = 1,000.
PROPERTY_PATH, PROPERTY_VALUE = "body.metadata.test_case_id", "ARTIFACT-00004"


def artifact_json(i: int, prefix: str = "") -> dict[str, Any]:
    """Artifact i of the workload as MLTE's JSON that MLTE's backend accepts and keeps whole."""
    artifact = make_artifact(i, prefix).to_json()
    artifact["header"]["identifier"] = artifact_id(i, prefix)
    complete = _COMPLETE.get(artifact["header"]["type"])
    if complete is not None:
        artifact["body"] = complete(artifact["body"], prefix + identifier(i))
    return artifact
