"""`GET /api/model/{m}/version/{v}/artifact/{card}/suite_template`: a test-suite template.

MLTE's web UI offers it on a negotiation card: Python source of a `TestSuite`
with one empty test case per requirement of the card. It is made by MLTE's own
`generate_suite_str` from the requirement ids (text in, text out): nothing of
the artifact is imported or run. Without the `mlte` package the answer is 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import ValidationError

from mlte_store import ErrorInvalidInput, ErrorNotFound
from mlte_store.server.answers import SIGNED_IN
from mlte_store.server.auth import Reader, Repository, decode_id
from mlte_store.server.headers import CARD

router = APIRouter(tags=["artifact"], responses=SIGNED_IN)


@router.get("/model/{model_id}/version/{version_id}/artifact/{artifact_id}/suite_template")
def suite_template(version_id: str, artifact_id: str, access: Reader, repo: Repository) -> str:
    """The template of a test suite for the card's requirements (422 if it is not a card)."""
    artifact = repo.read_artifact(access.model_id, decode_id(version_id), decode_id(artifact_id))
    if artifact.header.type != CARD:
        raise ErrorInvalidInput(
            f"artifact {artifact.header.identifier!r} is a {artifact.header.type}, "
            "not a negotiation card"
        )
    requirements: Any = artifact.body.get("system_requirements") or []
    if not isinstance(requirements, list):
        raise ErrorInvalidInput("the card's system_requirements are not a list")
    try:
        from mlte.negotiation.qas import QASDescriptor
        from mlte.suite.templating import generate_suite_str
    except ImportError:
        raise ErrorNotFound(
            "the suite template generator (MLTE's package: pip install 'mlte_store[ui]') not found"
        ) from None
    try:
        scenarios = [QASDescriptor.model_validate(r) for r in requirements]
    except ValidationError as exc:
        raise ErrorInvalidInput(f"the card's system_requirements are not MLTE's: {exc}") from exc
    return str(generate_suite_str(scenarios))
