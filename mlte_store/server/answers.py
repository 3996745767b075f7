"""The documented answers of the API: what `/api/openapi.json` promises for each status.

The routes return their JSON directly (MLTE's exact shapes, no re-validation),
so these models only describe it: the 200 bodies of the artifact routes, and
every error body the handlers in `errors` and `limits` send. A client or a
fuzzer reading the OpenAPI description learns every status a route can answer.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from mlte_store import Artifact, ArtifactRevision


class FastJSONResponse(JSONResponse):
    """A JSON answer encoded once by orjson: a page of 100 artifacts in about 2 ms where
    `json.dumps` takes about 60 ms. The same JSON (compact, UTF-8); a value orjson cannot
    encode (an integer beyond 64 bits) falls back to the standard encoder."""

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except orjson.JSONEncodeError:
            return super().render(content)


class ErrorAnswer(BaseModel):
    """An error: `detail` is a sentence, or a list of refused request fields (422)."""

    detail: str | list[dict[str, Any]]


class TokenErrorAnswer(BaseModel):
    """A refused token request, as OAuth 2 answers it."""

    error: str
    error_description: str


class WrittenArtifact(BaseModel):
    """A write's answer: the artifact as stored (stamped with the time and the writer)."""

    artifact: Artifact


def _error(description: str, model: type[BaseModel] = ErrorAnswer) -> dict[str, Any]:
    return {"model": model, "description": description}


Answers = dict[int | str, dict[str, Any]]

UNAVAILABLE: Answers = {503: _error("The database is unavailable or not migrated; retry later.")}
REFUSED: Answers = {
    400: _error("The body could not be parsed (not UTF-8, or JSON nested too deep to read)."),
    413: _error("The request body is over the configured limit."),
    422: _error("Refused input: the request's fields, identifiers, body or query."),
}
#: Every route behind a token: who may not, what is missing, what was refused.
SIGNED_IN: Answers = {
    401: _error("Missing, malformed, forged or expired token; disabled or deleted user."),
    403: _error("The caller may not do this in that model."),
    404: _error("The model, version or artifact does not exist."),
    409: _error("It already exists."),
    **REFUSED,
    **UNAVAILABLE,
}
TOKEN: Answers = {
    **REFUSED,
    **UNAVAILABLE,
    400: {
        "model": TokenErrorAnswer | ErrorAnswer,
        "description": "Unknown user, wrong password, inactive user or unsupported grant "
        "(OAuth 2's answer); or a body that could not be parsed.",
    },
    429: _error("Too many failed logins from this client; see Retry-After."),
}
CUSTOM_LIST: Answers = {
    404: _error("Not one of MLTE's custom lists."),
    409: _error("MLTE's custom lists are fixed: the entry already exists."),
    **REFUSED,
}

#: The 200 answers of the artifact routes (they return MLTE's JSON as it is).
ONE_ARTIFACT: Answers = {200: {"model": Artifact}}
ARTIFACTS: Answers = {200: {"model": list[Artifact]}}
WRITTEN: Answers = {200: {"model": WrittenArtifact}}
HISTORY: Answers = {200: {"model": list[ArtifactRevision]}}
