"""Complete an artifact's header as MLTE's backend does before it stores it.

MLTE's backend rebuilds each artifact object from the JSON it receives, and
that fills in what its web UI leaves out: a negotiation card's identifier gets
the `card.` prefix, each requirement (quality attribute scenario) without an id
gets `<card id>-qas_NNN` numbered after the highest existing one, and cards and
test suites are model-level. (The timestamp and creator are stamped by
`write_artifact_with_header`.) This does the same on the JSON, without building
MLTE objects; anything else in the artifact is left as sent.
"""

from __future__ import annotations

from typing import Any

CARD, SUITE = "card", "suite"
#: Artifact types MLTE always keeps at model level.
MODEL_LEVEL_TYPES = (CARD, SUITE)
#: MLTE's `qas.QAS_ID_PREFIX`.
QAS_ID_PREFIX = "qas_"


def complete(artifact: dict[str, Any]) -> dict[str, Any]:
    """The artifact JSON with MLTE's header completions (a new dict; the input is unchanged).

    JSON that is not an artifact's shape is returned as is: the store refuses it
    with its own message.
    """
    header, body = artifact.get("header"), artifact.get("body")
    if not isinstance(header, dict) or not isinstance(body, dict):
        return artifact
    if header.get("type") not in MODEL_LEVEL_TYPES:
        return artifact
    header = {**header, "level": "model"}
    identifier = header.get("identifier")
    if header["type"] == CARD and isinstance(identifier, str) and identifier:
        header["identifier"] = identifier = card_id(identifier)
        requirements = body.get("system_requirements")
        if isinstance(requirements, list):
            body = {**body, "system_requirements": with_qas_ids(identifier, requirements)}
    return {**artifact, "header": header, "body": body}


def complete_model_level(artifact: dict[str, Any]) -> dict[str, Any]:
    """`complete`, with the header's level made "model" (a write to the model alone)."""
    completed = complete(artifact)
    header = completed.get("header")
    if not isinstance(header, dict):
        return completed
    return {**completed, "header": {**header, "level": "model"}}


def card_id(identifier: str) -> str:
    """MLTE's full card id: `card.` in front unless it is there already."""
    prefix = f"{CARD}."
    return identifier if identifier.startswith(prefix) else prefix + identifier


def with_qas_ids(card: str, requirements: list[Any]) -> list[Any]:
    """The requirements, those without an identifier given `<card>-qas_NNN` (MLTE's rule).

    MLTE numbers after the number in the greatest identifier (in text order);
    where MLTE would fail to read that number, the highest readable one is used.
    """
    named = sorted(
        (r["identifier"] for r in requirements if _is_requirement(r) and r.get("identifier")),
        reverse=True,
    )
    highest = _position(named[0]) if named else 0
    if highest is None:
        highest = max((p for p in map(_position, named) if p is not None), default=0)
    completed = []
    for requirement in requirements:
        if _is_requirement(requirement) and requirement.get("identifier") is None:
            highest += 1
            requirement = {**requirement, "identifier": f"{card}-{QAS_ID_PREFIX}{highest:03d}"}
        completed.append(requirement)
    return completed


def _is_requirement(value: Any) -> bool:
    return isinstance(value, dict) and (
        value.get("identifier") is None or isinstance(value.get("identifier"), str)
    )


def _position(identifier: str) -> int | None:
    """The number after `qas_`, read as MLTE's `_get_pos_from_qas_id` reads it; None if it fails."""
    try:
        return int(identifier[identifier.find(QAS_ID_PREFIX) + len(QAS_ID_PREFIX) :])
    except ValueError:
        return None
