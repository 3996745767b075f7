"""MLTE 2.7.0's own client, unchanged but for one method, against `mlte-store serve`.

The one patch: MLTE 2.7.0's `HTTPArtifactMapper.search()` rejects the `context=`
keyword that `TestSuite.save()`, `Evidence.load_all()` and
`TestSuiteValidator.load_and_validate()` pass to it, so those fail inside the
client before any request is sent (no server can fix that). The test replaces
that one method with one that accepts the keyword; everything else is MLTE's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from mlte_store import ArtifactRepository

from .conftest import BACKENDS
from .server import USERS, Server, backend_server, unique

mlte_session = pytest.importorskip("mlte.session.session")
from mlte.evidence.artifact import Evidence  # noqa: E402
from mlte.evidence.types.integer import Integer  # noqa: E402
from mlte.measurement.external_measurement import ExternalMeasurement  # noqa: E402
from mlte.negotiation.artifact import NegotiationCard  # noqa: E402
from mlte.negotiation.qas import QASDescriptor  # noqa: E402
from mlte.report.artifact import Report  # noqa: E402
from mlte.results.test_results import TestResults as MlteResults  # noqa: E402
from mlte.store import error as mlte_errors  # noqa: E402
from mlte.store.artifact.underlying.http import HTTPArtifactMapper  # noqa: E402
from mlte.suite.test_case import TestCase as MlteCase  # noqa: E402
from mlte.suite.test_suite import TestSuite as MlteSuite  # noqa: E402
from mlte.validation.test_suite_validator import TestSuiteValidator as MlteValidator  # noqa: E402


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    with backend_server(request, tmp_path_factory) as running:
        yield running


@pytest.fixture
def search_accepts_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work around MLTE 2.7.0's client bug (see the module docstring): the only patch."""
    original = HTTPArtifactMapper.search

    def search(
        self: HTTPArtifactMapper,
        query: Any,
        model_and_version: tuple[str, str] | None = None,
        context: tuple[str, str] | None = None,
    ) -> Any:
        return original(self, query, model_and_version or context)

    monkeypatch.setattr(HTTPArtifactMapper, "search", search)


def store_uri(server: Server, user: str) -> str:
    password = quote(USERS[user][0], safe="")
    return server.base_url.replace("http://", f"http://{user}:{password}@")


def test_mltes_client_saves_and_loads_every_artifact_type(
    server: Server, search_accepts_context: None
) -> None:
    mlte_session.reset_session()
    mlte_session.set_store(store_uri(server, "ana"))
    model, version = f"team/{unique()}", "1.0/rc 1"
    mlte_session.set_context(model, version, lazy=False)

    card = NegotiationCard(
        "default/card", quality_scenarios=[QASDescriptor(identifier="qas-1", quality="Accuracy")]
    )
    card.save(force=True)
    assert NegotiationCard.load("default/card") == card
    with pytest.raises(mlte_errors.ErrorAlreadyExists):
        card.save()

    suite = MlteSuite(
        "default",
        test_cases=[
            MlteCase(
                identifier="accuracy",
                goal="Accurate enough",
                quality_scenarios=["qas-1"],
                measurement=ExternalMeasurement("accuracy", Integer),
                validator=Integer.less_than(10),
            )
        ],
    )
    suite.save(force=True)
    assert MlteSuite.load("default") == suite

    measurement = ExternalMeasurement("accuracy", Integer, lambda: 7)
    evidence = measurement.evaluate()
    evidence.save(force=True)
    assert [e.identifier for e in Evidence.load_all()] == [evidence.identifier]

    results = MlteValidator(suite).load_and_validate()
    results.save(force=True)
    loaded_results = MlteResults.load()
    assert loaded_results == results
    assert all(bool(r) for r in loaded_results.results.values())

    report = Report("default", negotiation_card_id=card.identifier)
    report.save(force=True)
    assert Report.load(report.identifier) == report  # save() gave it a time-stamped id

    with pytest.raises(mlte_errors.ErrorNotFound):
        NegotiationCard.load("missing")

    with ArtifactRepository(server.db_url) as repo:
        stored = repo.read_artifacts(model, version)
        assert {a.header.type.value for a in stored} == {
            "card",
            "suite",
            "evidence",
            "results",
            "report",
        }
        assert {a.header.creator for a in stored} == {"ana"}
        assert "card.default/card" in [a.header.identifier for a in stored]


def test_another_user_cannot_read_or_write_the_model_through_mltes_client(
    server: Server, search_accepts_context: None
) -> None:
    mlte_session.reset_session()
    mlte_session.set_store(store_uri(server, "ana"))
    model = unique()
    mlte_session.set_context(model, "v", lazy=False)
    NegotiationCard("private").save()
    mlte_session.reset_session()
    mlte_session.set_store(store_uri(server, "bob"))
    mlte_session.set_context(model, "v")
    with pytest.raises(mlte_errors.ForbiddenError):
        NegotiationCard.load("private")
    with pytest.raises(mlte_errors.ForbiddenError):
        NegotiationCard("mine").save(parents=True)
