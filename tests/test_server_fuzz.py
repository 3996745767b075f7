"""Fuzzing the real server from its own OpenAPI description (schemathesis), on both backends.

Every operation of `/api/openapi.json` gets generated requests, valid and
invalid (bounded: FUZZ_EXAMPLES per operation, derandomised), sent with an
admin's token to a running `mlte-store serve`. Each answer must be no 5xx, a
status the description lists for that operation, and a body matching the
schema documented for that status.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

from .conftest import BACKENDS
from .server import Server, backend_server
from .test_server_auth import HIDDEN, ROUTES

#: Generated requests per operation and backend.
FUZZ_EXAMPLES = 30

CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    with backend_server(request, tmp_path_factory, "--max-body", "100000") as running:
        yield running
        assert running.process.poll() is None, "the server died"


@pytest.fixture(scope="module")
def api_schema(server: Server) -> schemathesis.BaseSchema:
    """The server's own OpenAPI description, as served."""
    return schemathesis.openapi.from_url(f"{server.base_url}/api/openapi.json")


@pytest.mark.parametrize("route", sorted(set(ROUTES) - HIDDEN), ids=" ".join)
def test_every_operation_answers_as_documented(
    server: Server, api_schema: schemathesis.BaseSchema, route: tuple[str, str]
) -> None:
    method, path = route
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {server.token('root')}"}
    # Valid requests and invalid ones (where the description leaves anything to break:
    # a path parameter that is any text cannot be made invalid).
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Case) -> None:
        case.call_and_validate(base_url=server.base_url, headers=headers, checks=CHECKS, timeout=30)

    fuzz()
