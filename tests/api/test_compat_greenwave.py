"""POST /api/v1.0/decision: Greenwave's decision API about composes, on gatekeeper's store.

Cases marked "upstream" are taken from Greenwave's functional tests for compose subjects
(release-engineering/greenwave, functional-tests/test_api_v1.py), with gatekeeper's policy
files standing for Greenwave's (``rtt_compose_gate``, ``compose_test_scenario``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from apihelpers import API, CID, CheckedClient, Tokens

from gatekeeper.model import Outcome, Result
from gatekeeper.service import Actor, Gatekeeper

DECISION = "/api/v1.0/decision"
RTT = """\
team: rtt
owns: ["rtt.*"]
decision_context: [gatekeeper, rtt_compose_gate]
gates:
  - testcase: rtt.acceptance.validation
"""
QA = """\
team: qa
owns: ["qa.*"]
decision_context: compose_test_scenario
gates:
  - testcase: qa.installation
  - testcase: qa.upgrade
    deadline: 2h
    on_missing: ignore
"""
IDM = """\
team: idm
owns: ["idm.*"]
gates:
  - testcase: idm.install
    deadline: 12h
"""
EMPTY = "team: docs\nowns: [docs.*]\ndecision_context: no_tests\n"


@pytest.fixture(autouse=True)
def _policies(gk_policies: Callable[..., Path]) -> None:
    gk_policies(rtt=RTT, qa=QA, idm=IDM, docs=EMPTY)


@pytest.fixture
def admin(app: Gatekeeper, tokens: Tokens) -> Actor:
    return app.actor("releng")


def report(app: Gatekeeper, admin: Actor, testcase: str, outcome: str, **key: Any) -> str:
    """Store one result now; its id. The clock moves a minute on."""
    app.clock.now += timedelta(minutes=1)  # type: ignore[attr-defined]
    found = Result(CID, testcase, Outcome(outcome), app.clock(), **key)
    stored = app.ingest([found], admin).stored
    assert stored[0].id is not None
    return stored[0].id


def ask(client: CheckedClient, status: int = 200, **body: Any) -> dict[str, Any]:
    data = {"subject_type": "compose", "subject_identifier": CID,
            "decision_context": "rtt_compose_gate", "product_version": "cs-9", **body}  # fmt: skip
    response = client.post(DECISION, json={k: v for k, v in data.items() if v is not None})
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_a_failed_arch_fails_the_compose(
    client: CheckedClient, app: Gatekeeper, admin: Actor
) -> None:
    """upstream: test_make_a_decision_about_compose_all_variants_architectures."""
    failed = report(app, admin, "rtt.acceptance.validation", "FAILED", arch="ppc64",
                    variant="BaseOS")  # fmt: skip
    report(app, admin, "rtt.acceptance.validation", "PASSED", arch="x86_64", variant="BaseOS")
    answer = ask(client)
    assert answer["policies_satisfied"] is False
    assert answer["applicable_policies"] == ["rtt"]
    assert answer["summary"] == "1 of 1 required tests failed"
    [unsatisfied] = answer["unsatisfied_requirements"]
    assert unsatisfied["item"] == {"productmd.compose.id": CID}
    assert unsatisfied["result_id"] == int(failed)
    assert (unsatisfied["type"], unsatisfied["testcase"], unsatisfied["scenario"]) == (
        "test-result-failed", "rtt.acceptance.validation", None,
    )  # fmt: skip
    assert (unsatisfied["subject_type"], unsatisfied["subject_identifier"]) == ("compose", CID)
    assert (unsatisfied["system_architecture"], unsatisfied["system_variant"]) == (
        "ppc64", "BaseOS",
    )  # fmt: skip


def test_a_newer_pass_on_the_failed_arch_satisfies(
    client: CheckedClient, app: Gatekeeper, admin: Actor
) -> None:
    """upstream: test_make_a_decision_about_compose_new_variants_architectures."""
    for arch, outcome in [("ppc64", "FAILED"), ("ppc64", "PASSED"), ("x86_64", "PASSED")]:
        report(app, admin, "rtt.acceptance.validation", outcome, arch=arch, variant="BaseOS")
    answer = ask(client)
    assert answer["policies_satisfied"] is True
    assert answer["summary"] == "All required tests passed"
    assert answer["unsatisfied_requirements"] == []


def test_verbose_gives_the_latest_result_of_each_scenario(
    client: CheckedClient, app: Gatekeeper, admin: Actor
) -> None:
    """upstream: test_verbose_retrieve_latest_results_scenario (and
    test_verbose_retrieve_latest_results: an older FAILED of the same key is left out)."""
    report(app, admin, "qa.installation", "FAILED", scenario="fedora.universal.x86_64.uefi")
    for scenario in ["fedora.universal.x86_64.uefi", "fedora.universal.x86_64.64bit"]:
        report(app, admin, "qa.installation", "PASSED", scenario=scenario)
    report(app, admin, "qa.upgrade", "PASSED")
    answer = ask(client, decision_context="compose_test_scenario", verbose=True)
    assert answer["policies_satisfied"] is True
    assert answer["summary"] == "All required tests passed"
    installation = [r for r in answer["results"] if r["testcase"]["name"] == "qa.installation"]
    assert len(installation) == 2
    assert {r["outcome"] for r in installation} == {"PASSED"}
    assert {r["data"]["scenario"][0] for r in installation} == {
        "fedora.universal.x86_64.uefi", "fedora.universal.x86_64.64bit",
    }  # fmt: skip
    assert answer["waivers"] == []


def test_when_decides_as_of_then(client: CheckedClient, app: Gatekeeper, admin: Actor) -> None:
    """upstream: test_api_with_when (results submitted after ``when`` are left out)."""
    first = report(app, admin, "rtt.acceptance.validation", "PASSED", arch="x86_64")
    before_second = app.clock() + timedelta(seconds=30)
    report(app, admin, "rtt.acceptance.validation", "FAILED", arch="aarch64")
    then = before_second.replace(tzinfo=None).isoformat(timespec="microseconds")
    answer = ask(client, when=then, verbose=True)
    assert [r["id"] for r in answer["results"]] == [int(first)]
    assert answer["policies_satisfied"] is True
    now = ask(client, verbose=True)
    assert len(now["results"]) == 2
    assert now["policies_satisfied"] is False


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        # upstream: test_cannot_make_decision_without_product_version
        ({"product_version": None}, 400, "Missing required product version"),
        # upstream: test_cannot_make_decision_without_decision_context (today's message)
        ({"decision_context": None}, 400, "Either decision_context or rules is required."),
        # upstream: test_cannot_make_decision_with_both_decision_context_and_user_policies
        ({"rules": [{"type": "PassingTestCaseRule", "test_case_name": "rtt.x"}]}, 400,
         "Cannot have both decision_context and rules"),
        ({"subject_type": None}, 400, 'Missing required "subject_type" parameter'),
        ({"subject_identifier": None}, 400, 'Missing required "subject_identifier" parameter'),
        ({"verbose": "yes"}, 400, "Invalid verbose flag, must be a bool"),
        ({"when": "yesterday"}, 400, 'Invalid "when" parameter, must be in ISO8601 format'),
        ({"ignore_result": "12"}, 400, 'Invalid "ignore_result" parameter, must be a list of ids'),
        # upstream: test_404_for_inapplicable_policies
        ({"decision_context": "dummy_decision"}, 404, "Cannot find any applicable policies for "
         "compose subjects at gating point dummy_decision in cs-9"),
        ({"subject_type": "koji_build"}, 404, "Cannot find any applicable policies for "
         "koji_build subjects at gating point rtt_compose_gate in cs-9"),
        ({"subject_identifier": "CentOS-Stream-9-20990101.0"}, 404,
         "compose 'CentOS-Stream-9-20990101.0' is not known: announce or import it first"),
    ],
)  # fmt: skip
def test_bad_requests_answer_as_upstream(
    client: CheckedClient, change: dict[str, Any], status: int, message: str
) -> None:
    assert ask(client, status, **change) == {"message": message}


def test_no_json_payload_is_415(client: CheckedClient) -> None:
    response = client.post(DECISION, content=b"", headers={"Content-Type": "application/json"})
    assert response.status_code == 415
    assert response.json() == {"message": "No JSON payload in request"}
    broken = client.post(DECISION, content=b"{", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400


def test_a_decision_context_selects_the_policies_naming_it(client: CheckedClient) -> None:
    assert ask(client)["applicable_policies"] == ["rtt"]
    both = ask(client, decision_context=["rtt_compose_gate", "compose_test_scenario"])
    assert both["applicable_policies"] == ["qa", "rtt"]
    every = both["unsatisfied_requirements"] + both["satisfied_requirements"]
    assert {r["testcase"] for r in every} == {
        "rtt.acceptance.validation", "qa.installation", "qa.upgrade",
    }  # fmt: skip
    # the default context: every policy without decision_context, and those naming it
    default = ask(client, decision_context="gatekeeper")
    assert default["applicable_policies"] == ["idm", "rtt"]


def test_no_tests_are_required_as_upstream(client: CheckedClient) -> None:
    """upstream: test_unrestricted_policy_is_always_satisfied (Bodhi reads this summary)."""
    answer = ask(client, decision_context="no_tests")
    assert answer["policies_satisfied"] is True
    assert answer["summary"] == "no tests are required"
    assert answer["unsatisfied_requirements"] == answer["satisfied_requirements"] == []


def test_the_gatekeeper_context_agrees_with_the_compose_decision(
    client: CheckedClient, app: Gatekeeper, admin: Actor
) -> None:
    report(app, admin, "rtt.acceptance.validation", "PASSED", arch="x86_64")
    report(app, admin, "idm.install", "FAILED")
    ours = client.get(f"{API}/composes/{CID}/decision").json()
    every = ["gatekeeper", "rtt_compose_gate", "compose_test_scenario", "no_tests"]
    theirs = ask(client, decision_context=every)  # every policy applying to the compose

    def key(a: dict[str, Any], arch: str) -> tuple[Any, ...]:
        return (a["testcase"], a[arch], a.get("result_id") and str(a["result_id"]), a["type"])

    assert theirs["policies_satisfied"] == ours["policies_satisfied"] is False
    assert theirs["applicable_policies"] == ours["applicable_policies"]
    assert theirs["verdict"] == ours["verdict"] == "failed"
    for side in ("satisfied_requirements", "unsatisfied_requirements"):
        mine = [key({**a, "type": a["gatekeeper_type"]}, "system_architecture")
                for a in theirs[side]]  # fmt: skip
        assert mine == [key(a, "arch") for a in ours[side]]


def test_pending_is_missing_with_its_result_as_upstream_incomplete(
    client: CheckedClient, app: Gatekeeper, admin: Actor
) -> None:
    running = report(app, admin, "rtt.acceptance.validation", "RUNNING")
    [answer] = ask(client)["unsatisfied_requirements"]
    assert (answer["type"], answer["gatekeeper_type"]) == (
        "test-result-missing", "test-result-pending",
    )  # fmt: skip
    assert answer["result_id"] == int(running)
    assert ask(client)["summary"] == "1 of 1 required test results missing"


def test_overdue_is_failed_and_overdue_ignored_is_satisfied(
    client: CheckedClient, app: Gatekeeper
) -> None:
    app.clock.now += timedelta(hours=7)  # type: ignore[attr-defined]  # announced 6h ago
    answer = ask(client, decision_context=["gatekeeper", "compose_test_scenario"])
    by_testcase = {a["testcase"]: a for a in answer["unsatisfied_requirements"]
                   + answer["satisfied_requirements"]}  # fmt: skip
    assert (by_testcase["idm.install"]["type"], by_testcase["idm.install"]["gatekeeper_type"]) \
        == ("test-result-failed", "test-result-overdue")  # fmt: skip
    upgrade = by_testcase["qa.upgrade"]
    assert (upgrade["type"], upgrade["gatekeeper_type"]) == (
        "test-result-missing-waived", "test-result-overdue-ignored",
    )  # fmt: skip
    assert upgrade in answer["satisfied_requirements"]
    assert answer["summary"] == "1 of 4 required tests failed, 2 results missing"
    assert answer["verdict"] == "failed"


def test_a_waived_failure_is_satisfied_and_ignore_waiver_undoes_it(
    client: CheckedClient, app: Gatekeeper, admin: Actor
) -> None:
    """upstream: test_make_a_decision_with_verbose_flag_all_results_returned (the waiver
    is listed) and the ``ignore_waiver`` what-if."""
    report(app, admin, "rtt.acceptance.validation", "FAILED")
    waiver, _ = app.waive(CID, "rtt.acceptance.validation", actor=admin, comment="This is fine")
    answer = ask(client, verbose=True)
    assert answer["policies_satisfied"] is True
    [waived] = answer["satisfied_requirements"]
    assert (waived["type"], waived["waiver_id"]) == ("test-result-failed-waived", int(waiver.id))
    [listed] = answer["waivers"]
    assert (listed["id"], listed["comment"], listed["subject_identifier"]) == (
        int(waiver.id), "This is fine", CID,
    )  # fmt: skip
    assert ask(client, ignore_waiver=[int(waiver.id)])["policies_satisfied"] is False


def test_ignore_result_is_a_what_if_never_recorded(
    client: CheckedClient, app: Gatekeeper, admin: Actor
) -> None:
    failed = report(app, admin, "rtt.acceptance.validation", "FAILED")
    versions = len(app.history(CID))
    answer = ask(client, ignore_result=[int(failed)], decision_context="gatekeeper")
    types = {a["testcase"]: a["type"] for a in answer["unsatisfied_requirements"]}
    assert types["rtt.acceptance.validation"] == "test-result-missing"
    assert len(app.history(CID)) == versions
    stored = client.get(f"{API}/composes/{CID}/decision").json()
    assert stored["verdict"] == "failed"


def test_the_older_subject_list_names_the_compose(client: CheckedClient) -> None:
    answer = ask(client, subject_type=None, subject_identifier=None,
                 subject=[{"productmd.compose.id": CID}])  # fmt: skip
    assert answer["applicable_policies"] == ["rtt"]
    two = ask(client, 400, subject=[{"productmd.compose.id": CID}] * 2)
    assert "one compose per request" in two["message"]


def test_an_errored_result_is_counted_as_upstream(
    client: CheckedClient, app: Gatekeeper, admin: Actor
) -> None:
    """upstream's summarize_answers: an errored test is a failure, and counted as an error."""
    errored = report(app, admin, "rtt.acceptance.validation", "ERROR")
    answer = ask(client)
    [unsatisfied] = answer["unsatisfied_requirements"]
    assert (unsatisfied["type"], unsatisfied["result_id"]) == ("test-result-errored", int(errored))
    assert "error_reason" in unsatisfied
    assert answer["summary"] == "1 of 1 required tests failed (1 error)"
