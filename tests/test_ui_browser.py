"""MLTE's own web UI in headless Chromium against `mlte-store serve --ui`.

A fresh store on each backend is seeded over HTTP with MLTE-made artifacts of
all five types in two versions; then, through the UI only: log in, pick the
model and version, open a card, a suite, evidence, results and a report (view
and export), compare the two versions' reports, edit and save a card, create a
card, a model and a version, and log out. Every edit is checked through the
API. A failing step writes its screen and page source (see `browser.Ui.step`).

Needs Debian's `chromium` and `chromium-driver`: skipped without them unless
MLTE_STORE_REQUIRE_UI=1 (as in CI, where `.ci/run` installs them). Marked `ui`:
`make test-ui` runs it alone, `-m 'not ui'` leaves it out.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import BACKENDS
from .server import Server, backend_server

pytest.importorskip("selenium")
pytest.importorskip("mlte")
from mlte.evidence.types.integer import Integer
from mlte.measurement.external_measurement import ExternalMeasurement
from mlte.negotiation.artifact import NegotiationCard
from mlte.negotiation.qas import QASDescriptor
from mlte.report.artifact import Report
from mlte.suite.test_case import TestCase as MlteCase
from mlte.suite.test_suite import TestSuite as MlteSuite
from mlte.validation.test_suite_validator import TestSuiteValidator as MlteValidator

from . import browser

pytestmark = pytest.mark.ui

REQUIRE_UI = os.environ.get("MLTE_STORE_REQUIRE_UI") == "1"
#: Where failing steps leave their screens and page sources (outside pytest's tmp
#: folders, which later runs remove).
SHOTS = Path(os.environ.get("MLTE_STORE_UI_SHOTS") or Path(tempfile.gettempdir(), "mlte_store-ui"))
#: If set, the documentation's screenshots (docs/ui-*.png) are (re)written there.
README_SHOTS = os.environ.get("MLTE_STORE_UI_README_SHOTS")

MODEL = "flowers"
REQUIREMENT = "card.default-qas_001"


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    absent = browser.missing()
    if absent:
        if REQUIRE_UI:
            pytest.fail(absent)
        pytest.skip(absent)
    with backend_server(request, tmp_path_factory, "--ui") as running:
        yield running


@pytest.fixture
def ui(server: Server, tmp_path: Path) -> Iterator[browser.Ui]:
    backend = "postgresql" if server.db_url.startswith("postgresql") else "sqlite"
    with browser.chromium(tmp_path / "profile") as driver:
        yield browser.Ui(driver, server.base_url, SHOTS / backend)


# -- seeds: MLTE-made JSON, written over HTTP ----------------------------------------


def mlte_artifacts(value: int) -> dict[str, dict[str, Any]]:
    """A card, a suite, evidence of `value`, its results and a report, as MLTE writes them."""
    scenario = QASDescriptor(
        identifier=REQUIREMENT,
        quality="Accuracy",
        stimulus="a photo of a flower",
        source="a market stall",
        environment="daylight",
        response="a species",
        measure="the count of errors below 10",
    )
    card = NegotiationCard("default", quality_scenarios=[scenario])
    case = MlteCase(
        identifier="errors",
        goal="Few errors",
        quality_scenarios=[REQUIREMENT],
        measurement=ExternalMeasurement("errors", Integer),
        validator=Integer.less_than(10),
    )
    suite = MlteSuite("default", test_cases=[case])
    evidence = ExternalMeasurement("errors", Integer, lambda: value).evaluate()
    validator = MlteValidator(suite)
    validator.add_evidence(evidence)
    results = validator.validate()
    report = Report(
        "default",
        negotiation_card_id=card.identifier,
        negotiation_card_model=card.to_model().body,
        test_suite_id=suite.identifier,
        test_suite_model=suite.to_model().body,
        test_results_id=results.identifier,
        test_results_model=results.to_model().body,
    )
    return {
        kind: artifact.to_model().to_json()
        for kind, artifact in (
            ("card", card),
            ("suite", suite),
            ("evidence", evidence),
            ("results", results),
            ("report", report),
        )
    }


def seed(server: Server) -> None:
    """Model `flowers`, versions v1 (7 errors: success) and v2 (12: failure), over HTTP."""
    with server.client("ana") as ana:
        assert ana.post("/model", json={"identifier": MODEL}).status_code == 200
        for version, value in (("v1", 7), ("v2", 12)):
            answer = ana.post(f"/model/{MODEL}/version", json={"identifier": version})
            assert answer.status_code == 200
            for artifact in mlte_artifacts(value).values():
                written = ana.post(
                    f"/model/{MODEL}/version/{version}/artifact",
                    json={"artifact": artifact, "force": True},
                )
                assert written.status_code == 200, written.text


def read(client: httpx.Client, path: str) -> Any:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return answer.json()


# -- the test ------------------------------------------------------------------------


def test_mltes_web_ui_reads_edits_and_creates_through_the_server(
    server: Server, ui: browser.Ui
) -> None:
    seed(server)
    artifacts = f"/model/{MODEL}/version/v1/artifact"

    with ui.step("login"):
        ui.open("/")
        ui.wait_url("/login")
        ui.type("Username", "ana")
        ui.type("Password", "ana-password-1")
        ui.click("Login")
        ui.wait_for("Welcome, ana")
        assert ui.cookie("token") and ui.cookie("userRole") == "regular"

    with ui.step("select-model-and-version"):
        ui.choose("Model", MODEL)
        ui.choose("Version", "v1")
        for section, identifier in (
            ("Negotiation Cards", "card.default"),
            ("Reports", "report.default"),
            ("Test Suites", "suite.default"),
            ("Test Evidence", "evidence.errors"),
            ("Test Results", "results.default"),
        ):
            ui.click(section)
            ui.wait_for(identifier)
            if README_SHOTS and section == "Reports":
                ui.driver.execute_script("window.scrollTo(0, 0)")
                ui.shot(Path(README_SHOTS) / "ui-home.png")
        card_page = ui.link("Edit", "artifactId=card.default")
        report_page = ui.link("View", "artifactId=report.default")
        export_page = ui.link("Export", "artifactId=report.default")
        suite_page = ui.link("View", "artifactId=suite.default")
        evidence_page = ui.link("View", "artifactId=evidence.errors")
        results_page = ui.link("View", "artifactId=results.default")

    with ui.step("suite-template"):
        ui.click("Suite Template")
        ui.wait_for(f'quality_scenarios=["{REQUIREMENT}"]')

    with ui.step("views"):
        for page, shows in (
            (suite_page, "Few errors"),
            (evidence_page, "Integer: 7"),
            (results_page, "Success"),
            (report_page, "a photo of a flower from a market stall during daylight"),
            (export_page, "MLTE REPORT"),
        ):
            ui.driver.get(page)
            ui.wait_for(shows)

    with ui.step("compare"):
        ui.open(f"/artifact/artifact-compare?model={MODEL}")
        ui.choose("Version 1", "v1")
        ui.choose("Report 1", "report.default")
        ui.choose("Version 2", "v2")
        ui.choose("Report 2", "report.default")
        ui.wait_for("Differences")
        ui.wait_for("Failure")  # v2's result, beside v1's success

    with ui.step("edit-card"):
        ui.driver.get(card_page)
        ui.wait_for("ID: card.default")
        ui.wait_for("a photo of a flower")
        if README_SHOTS:
            ui.shot(Path(README_SHOTS) / "ui-card.png")
        ui.type("Usage Context for the Model", "Sorting flowers at the market")
        ui.click("Save")
        assert "saved successfully" in ui.alert()
    with server.client("ana") as ana:
        card = read(ana, f"{artifacts}/card.default")
        assert card["body"]["system"]["usage_context"] == "Sorting flowers at the market"
        assert card["header"]["creator"] == "ana" and card["header"]["level"] == "model"
        assert [r["identifier"] for r in card["body"]["system_requirements"]] == [REQUIREMENT]

    with ui.step("create-card"):
        ui.open(f"/artifact/negotiation-card?model={MODEL}&version=v1")
        ui.type("Artifact ID", "triage")
        ui.type("ML Task", "Triage wilted flowers")
        ui.type("Stimulus", "a wilted flower")
        ui.click("Save")
        assert "saved successfully" in ui.alert()
        ui.wait_url("artifactId=card.triage")
    with server.client("ana") as ana:
        created = read(ana, f"/model/{MODEL}/version/v2/artifact/card.triage")
        assert created["header"]["level"] == "model" and created["header"]["creator"] == "ana"
        assert created["header"]["timestamp"] > 0
        assert created["body"]["system"]["task"] == "Triage wilted flowers"
        requirements = created["body"]["system_requirements"]
        assert [r["identifier"] for r in requirements] == ["card.triage-qas_001"]
        assert requirements[0]["stimulus"] == "a wilted flower"

    with ui.step("create-model-and-version"):
        ui.open("/")
        ui.wait_for("Welcome, ana")
        ui.type("New Model", "tulips")
        ui.click("Create Model")
        assert "tulips" in ui.alert()
        ui.choose("Model", "tulips")
        ui.type("New Version", "t1")
        ui.click("Create Version")
        assert "t1" in ui.alert()
        ui.choose("Version", "t1")
    with server.client("ana") as ana, server.client("bob") as bob:
        assert read(ana, "/model/tulips") == {
            "identifier": "tulips",
            "versions": [{"identifier": "t1"}],
        }
        assert bob.get("/model/tulips").status_code == 403  # ana's model, as over the API

    with ui.step("logout"):
        ui.click("Logout")
        assert "logout" in ui.alert().lower()
        ui.wait_url("/login")
        assert not ui.cookie("token")
        ui.open("/")
        ui.wait_url("/login")
