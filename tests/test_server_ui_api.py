"""The routes MLTE's web UI needs beyond MLTE's client, and MLTE's header completion.

Over HTTP against the real server on both backends: `/user/me`, `/user/me/models`,
the custom lists, `POST /model/`, `suite_template`, and cards and suites written
the way the UI writes them, completed as MLTE's backend completes them.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlte_store.server.headers import complete, with_qas_ids
from mlte_store.server.mlte_package import MLTE_LISTS

from .conftest import BACKENDS
from .server import Server, backend_server, evidence, part, unique
from .test_server_http import artifact_url, error, new_model, ok


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    with backend_server(request, tmp_path_factory) as running:
        yield running


def ui_card(identifier: str, *requirements: dict[str, Any]) -> dict[str, Any]:
    """A new card as MLTE's web UI sends it: no prefix, level or requirement ids."""
    return {
        "header": {"identifier": identifier, "type": "card", "timestamp": -1, "creator": ""},
        "body": {
            "artifact_type": "card",
            "system": {"goals": [], "problem_type": "classification"},
            "data": [],
            "model": {},
            "system_requirements": list(requirements),
        },
    }


def requirement(identifier: str | None = None, quality: str = "Fairness") -> dict[str, Any]:
    return {"identifier": identifier, "quality": quality, "stimulus": "s", "response": "r"}


# -- who am I ------------------------------------------------------------------------


def test_user_me_gives_name_and_mltes_role_never_a_hash(server: Server) -> None:
    with server.client("ana") as ana, server.client("root") as root:
        me = ok(ana.get("/user/me"))
        assert me == {
            "username": "ana",
            "email": None,
            "full_name": None,
            "disabled": False,
            "role": "regular",
            "groups": [],
        }
        assert ok(root.get("/user/me"))["role"] == "admin"
        assert "argon2" not in ana.get("/user/me").text
    with server.client() as anonymous:
        assert error(anonymous.get("/user/me"), 401)
        assert error(anonymous.get("/user/me/models"), 401)


def test_user_me_models_lists_what_the_caller_may_read(server: Server) -> None:
    mine = new_model(server, "ana")
    theirs = new_model(server, "bob")
    with server.client("ana") as ana, server.client("root") as root:
        ana_models = ok(ana.get("/user/me/models"))
        assert mine in ana_models and theirs not in ana_models
        assert ana_models == ok(ana.get("/model"))
        assert {mine, theirs} <= set(ok(root.get("/user/me/models")))


def test_post_model_with_a_trailing_slash_as_the_ui_sends_it(server: Server) -> None:
    model = unique()
    with server.client("ana") as ana, server.client("bob") as bob:
        assert ok(ana.post("/model/", json={"identifier": model})) == {
            "identifier": model,
            "versions": [],
        }
        assert error(ana.post("/model/", json={"identifier": model}), 409)
        assert ok(ana.post(f"/model/{model}/version", json={"identifier": "v1"}))
        assert error(bob.get(f"/model/{model}"), 403)  # the creator's grant, as POST /model
        assert error(ana.post("/model/", json={"identifier": ""}), 422)


# -- custom lists --------------------------------------------------------------------


def mlte_entries(name: str) -> list[dict[str, Any]]:
    """MLTE's built-in entries of one list, read by MLTE's own code."""
    reflection = importlib.import_module("mlte._private.reflection")
    module = importlib.import_module(f"mlte.store.custom_list.{name}")
    entries = [
        {"name": e["name"], "description": e["description"], "parent": e.get("parent")}
        for e in reflection.get_json_resources(module)
    ]
    return sorted(entries, key=lambda entry: entry["name"])


def test_custom_lists_are_mltes_built_in_entries(server: Server) -> None:
    with server.client("bob") as bob:
        assert ok(bob.get("/custom_lists")) == list(MLTE_LISTS)
        for name in MLTE_LISTS:
            entries = ok(bob.get(f"/custom_list/{name}"))
            assert entries == mlte_entries(name) and entries
        qualities = ok(bob.get("/custom_list/quality_attributes"))
        categories = {entry["name"] for entry in ok(bob.get("/custom_list/qa_categories"))}
        assert {entry["parent"] for entry in qualities} <= categories
        assert ok(bob.get("/custom_list/quality_attributes/parent")) == "qa_categories"
        assert ok(bob.get("/custom_list/tags/parent")) is None
        assert error(bob.get("/custom_list/nope"), 404) == {
            "detail": "custom list 'nope' not found."
        }
        assert error(bob.get("/custom_list/nope/parent"), 404)
    with server.client() as anonymous:
        assert error(anonymous.get("/custom_list/tags"), 401)
        assert error(anonymous.get("/custom_lists"), 401)


# -- header completion ---------------------------------------------------------------


def test_a_card_written_as_the_ui_writes_it_is_completed_as_mltes_backend_does(
    server: Server,
) -> None:
    model = new_model(server, "ana", version="v1")
    with server.client("ana") as ana:
        assert ok(ana.post(f"/model/{model}/version", json={"identifier": "v2"}))
        before = int(time.time())
        sent = ui_card("fraud", requirement(), requirement(quality="Robustness"))
        stored = ok(ana.post(artifact_url(model, "v1"), json={"artifact": sent}))["artifact"]
        after = int(time.time())
        header = stored["header"]
        assert header["identifier"] == "card.fraud"
        assert header["level"] == "model" and header["type"] == "card"
        assert header["creator"] == "ana" and before <= header["timestamp"] <= after
        ids = [r["identifier"] for r in stored["body"]["system_requirements"]]
        assert ids == ["card.fraud-qas_001", "card.fraud-qas_002"]
        # Model-level: every version sees it, under the prefixed id, as returned.
        assert ok(ana.get(artifact_url(model, "v2", "card.fraud"))) == stored
        assert error(ana.get(artifact_url(model, "v1", "fraud")), 404)

        # The UI saves an edit with force and the ids it got back, plus a new requirement.
        edited = ui_card("card.fraud", *stored["body"]["system_requirements"], requirement())
        again = ok(ana.post(artifact_url(model, "v2"), json={"artifact": edited, "force": True}))
        ids = [r["identifier"] for r in again["artifact"]["body"]["system_requirements"]]
        assert ids == ["card.fraud-qas_001", "card.fraud-qas_002", "card.fraud-qas_003"]
        assert again["artifact"]["header"]["level"] == "model"
        page = ok(ana.get(artifact_url(model, "v1")))
        assert [a["header"]["identifier"] for a in page] == ["card.fraud"]


def test_suites_are_model_level_and_other_types_are_left_as_sent(server: Server) -> None:
    model = new_model(server, "ana")
    suite = {
        "header": {"identifier": "suite.default", "type": "suite", "level": "version"},
        "body": {"artifact_type": "suite", "test_cases": []},
    }
    with server.client("ana") as ana:
        stored = ok(ana.post(artifact_url(model, "v1"), json={"artifact": suite}))["artifact"]
        assert stored["header"]["level"] == "model"
        assert stored["header"]["identifier"] == "suite.default"
        plain = ok(ana.post(artifact_url(model, "v1"), json={"artifact": evidence("e1")}))
        assert plain["artifact"]["header"]["identifier"] == "e1"
        assert plain["artifact"]["header"]["level"] == "version"
        assert ok(ana.get(artifact_url(model, "v1", "e1"))) == plain["artifact"]


def test_refused_card_writes_change_nothing(server: Server) -> None:
    model = new_model(server, "ana")
    with server.client("ana") as ana, server.client("bob") as bob:
        assert error(bob.post(artifact_url(model, "v1"), json={"artifact": ui_card("x")}), 403)
        empty = ui_card("")
        assert error(ana.post(artifact_url(model, "v1"), json={"artifact": empty}), 422)
        wrong = ui_card("x")
        wrong["body"]["artifact_type"] = "suite"
        assert error(ana.post(artifact_url(model, "v1"), json={"artifact": wrong}), 422)
        assert ok(ana.get(artifact_url(model, "v1"))) == []


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.integers(1, 998).map(lambda n: f"card.c-qas_{n:03d}"),
        ),
        max_size=8,
    )
)
def test_requirement_ids_are_numbered_as_mlte_numbers_them(ids: list[str | None]) -> None:
    qas = importlib.import_module("mlte.negotiation.qas")
    theirs = qas.add_qas_ids("card.c", [qas.QASDescriptor(identifier=i) for i in ids])
    ours = with_qas_ids("card.c", [{"identifier": i} for i in ids])
    assert [r["identifier"] for r in ours] == [r.identifier for r in theirs]


def test_requirement_ids_mlte_cannot_read_fall_back_to_the_highest_readable_one() -> None:
    ours = with_qas_ids("card.c", [{"identifier": "zeta"}, {"identifier": "card.c-qas_007"}, {}])
    assert [r["identifier"] for r in ours] == ["zeta", "card.c-qas_007", "card.c-qas_008"]
    ours = with_qas_ids("card.c", [{"identifier": "zeta"}, {"identifier": None}])
    assert ours[1]["identifier"] == "card.c-qas_001"
    ours = with_qas_ids(
        "card.c", [{"identifier": "z-qas_x"}, {"identifier": "a-qas_004"}, {"identifier": None}]
    )
    assert ours[2]["identifier"] == "card.c-qas_005"


def test_completion_leaves_its_input_and_non_artifacts_alone() -> None:
    sent = ui_card("c", requirement())
    completed = complete(sent)
    assert sent["header"]["identifier"] == "c" and "level" not in sent["header"]
    assert sent["body"]["system_requirements"][0]["identifier"] is None
    assert completed["header"]["identifier"] == "card.c"
    assert complete({"header": "x"}) == {"header": "x"}


# -- suite template ------------------------------------------------------------------


def test_suite_template_from_a_card(server: Server) -> None:
    model = new_model(server, "ana")
    url = artifact_url(model, "v1")
    with server.client("ana") as ana, server.client("bob") as bob:
        ok(ana.post(url, json={"artifact": ui_card("t", requirement(), requirement())}))
        ok(ana.post(url, json={"artifact": evidence("e1")}))
        template = ok(ana.get(f"{url}/card.t/suite_template"))
        assert isinstance(template, str) and "TestSuite(" in template
        assert '"card.t-qas_001"' in template and '"card.t-qas_002"' in template
        assert error(ana.get(f"{url}/e1/suite_template"), 422)["detail"].endswith("card")
        assert error(ana.get(f"{url}/nope/suite_template"), 404)
        assert error(bob.get(f"{url}/card.t/suite_template"), 403)
        missing = f"/model/{part(unique())}/version/v1/artifact/card.t/suite_template"
        assert error(ana.get(missing), 404)
