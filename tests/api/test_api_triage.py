"""#17 over HTTP: waivers with ``expires`` and ``bug`` (and the policy's ``waivers:`` rules),
known issues (``/api/v1/known-issues``) and rerun requests (``/api/v1/composes/{id}/reruns``);
who may do each, and located errors. Every answer is checked against the served OpenAPI
(CheckedClient)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from apihelpers import API, CID, IDM, RDO, CheckedClient, Tokens

from gatekeeper.testing import Clock

WAIVERS = f"{API}/composes/{CID}/waivers"
RESULTS = f"{API}/composes/{CID}/results"
RERUNS = f"{API}/composes/{CID}/reruns"
KNOWN = f"{API}/known-issues"
BUG = "https://bugs.example.org/RDO-123"
STRICT = """\
team: strict
owns: ["strict.*"]
reporters:
  users: [idm-bot]
waivers: {require_bug: true, max_expires: 14d}
gates:
  - testcase: strict.check
"""


@pytest.fixture(autouse=True)
def _policies(gk_policies: Callable[..., Path]) -> None:
    gk_policies(rdo=RDO, idm=IDM, strict=STRICT)


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def answers(decision: dict[str, Any], testcase: str) -> list[dict[str, Any]]:
    every = decision["satisfied_requirements"] + decision["unsatisfied_requirements"]
    return [a for a in every if a["testcase"] == testcase]


def the_answer(client: CheckedClient, testcase: str) -> dict[str, Any]:
    (found,) = answers(client.get(f"{API}/composes/{CID}/decision").json(), testcase)
    return found


def report(client: CheckedClient, tokens: Tokens, outcome: str, at: str | None = None) -> None:
    body = {"testcase": "rdo.smoke", "outcome": outcome, "arch": "x86_64"}
    if at is not None:
        body["submit_time"] = at
    answer = client.post(RESULTS, json=[body], headers=tokens.auth("rdo"))
    assert answer.status_code == 200, answer.text


def known_issue(**changes: Any) -> dict[str, Any]:
    body = {"product": "CentOS-Stream-*", "testcase": "rdo.smoke", "bug": BUG,
            "comment": "tempest smoke times out on x86_64"}  # fmt: skip
    return {k: v for k, v in {**body, **changes}.items() if v is not None}


# -- waivers with expires and bug ------------------------------------------------------------


def test_a_waiver_takes_expires_and_bug_and_the_decision_shows_them(
    client: CheckedClient, tokens: Tokens
) -> None:
    body = {"testcase": "rdo.smoke", "comment": "flaky", "expires": "3d", "bug": BUG}
    waiver = created(client.post(WAIVERS, json=body, headers=tokens.auth("waiver")))["waiver"]
    assert (waiver["expires"], waiver["bug"]) == ("2026-11-27T06:00:00Z", BUG)
    waived = the_answer(client, "rdo.smoke")
    assert waived["type"] == "test-result-missing-waived"
    assert (waived["bug"], waived["expires"]) == (BUG, "2026-11-27T06:00:00Z")
    [listed] = client.get(WAIVERS).json()
    assert (listed["expires"], listed["bug"]) == ("2026-11-27T06:00:00Z", BUG)


def test_a_waiver_expires_at_a_time_too_and_without_either_never(
    client: CheckedClient, tokens: Tokens
) -> None:
    at = {"testcase": "rdo.smoke", "comment": "flaky", "expires": "2026-11-25T00:00:00+01:00"}
    assert (
        created(client.post(WAIVERS, json=at, headers=tokens.auth("waiver")))["waiver"]["expires"]
        == "2026-11-24T23:00:00Z"
    )
    plain = {"testcase": "idm.install", "comment": "flaky"}
    waiver = created(client.post(WAIVERS, json=plain, headers=tokens.auth("waiver")))["waiver"]
    assert (waiver["expires"], waiver["bug"]) == (None, None)
    assert "bug" not in the_answer(client, "idm.install")  # only when set


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"expires": "yesterday"}, "expires"),
        ({"expires": "2026-11-23T00:00:00Z"}, "expires"),  # not in the future
        ({"bug": "not a url"}, "bug"),
    ],
)
def test_a_bad_expiry_or_bug_is_a_located_422(
    client: CheckedClient, tokens: Tokens, changes: dict[str, str], key: str
) -> None:
    body = {"testcase": "rdo.smoke", "comment": "flaky", **changes}
    refused = client.post(WAIVERS, json=body, headers=tokens.auth("admin"))
    assert (refused.status_code, refused.json()["error"]) == (422, "invalid_input")
    assert refused.json()["detail"].startswith(f"{key}: ")
    assert client.get(WAIVERS).json() == []


def test_the_policys_rules_refuse_a_bugless_waiver_and_a_long_expiry(
    client: CheckedClient, tokens: Tokens
) -> None:
    body = {"testcase": "strict.check", "comment": "flaky"}
    bugless = client.post(WAIVERS, json=body, headers=tokens.auth("waiver"))
    assert bugless.status_code == 422
    assert bugless.json()["detail"] == (
        "bug: the policy of strict.check requires a bug URL on its waivers (waivers: require_bug)"
    )
    too_long = client.post(WAIVERS, json={**body, "bug": BUG, "expires": "15d"},
                           headers=tokens.auth("waiver"))  # fmt: skip
    assert too_long.status_code == 422
    assert too_long.json()["detail"].startswith("expires: ")
    assert "further ahead than 2w" in too_long.json()["detail"]
    assert client.get(WAIVERS).json() == []
    # within the rules: given no expiry, it expires at the policy's cap
    waiver = created(client.post(WAIVERS, json={**body, "bug": BUG},
                                 headers=tokens.auth("waiver")))["waiver"]  # fmt: skip
    assert waiver["expires"] == "2026-12-08T06:00:00Z"


def test_waiving_with_an_expiry_still_needs_the_right_to_waive(
    client: CheckedClient, tokens: Tokens
) -> None:
    body = {"testcase": "rdo.smoke", "comment": "flaky", "expires": "1d", "bug": BUG}
    refused = client.post(WAIVERS, json=body, headers=tokens.auth("rdo"))
    assert (refused.status_code, refused.json()) == (
        403, {"error": "forbidden", "detail": "rdo-ci may not waive"},
    )  # fmt: skip
    assert client.post(WAIVERS, json=body).status_code == 401


# -- known issues -----------------------------------------------------------------------------


def test_a_known_issue_waives_a_failure_until_it_is_closed(
    client: CheckedClient, tokens: Tokens
) -> None:
    report(client, tokens, "FAILED")
    assert the_answer(client, "rdo.smoke")["type"] == "test-result-failed"
    issue = created(client.post(KNOWN, json=known_issue(expires="14d"),
                                headers=tokens.auth("waiver")))  # fmt: skip
    assert issue["state"] == "open" and issue["username"] == "qe-lead"
    assert (issue["expires"], issue["bug"]) == ("2026-12-08T06:00:00Z", BUG)
    assert (issue["composes"], issue["composes_waived"]) == ([CID], 1)  # decided again at once
    waived = the_answer(client, "rdo.smoke")
    assert waived["type"] == "test-result-failed-waived"
    assert (waived["known_issue"], waived["bug"]) == (issue["id"], BUG)
    assert client.get(f"{KNOWN}/{issue['id']}").json() == issue
    assert [i["id"] for i in client.get(KNOWN).json()] == [issue["id"]]

    closed = client.post(f"{KNOWN}/{issue['id']}/close", headers=tokens.auth("admin"))
    assert closed.status_code == 200, closed.text
    assert (closed.json()["state"], closed.json()["closed_by"]) == ("closed", "releng")
    assert the_answer(client, "rdo.smoke")["type"] == "test-result-failed"
    assert client.get(KNOWN).json() == []  # open ones by default
    assert [i["id"] for i in client.get(KNOWN, params={"state": "closed"}).json()] == [issue["id"]]
    assert len(client.get(KNOWN, params={"state": "all"}).json()) == 1
    again = client.post(f"{KNOWN}/{issue['id']}/close", headers=tokens.auth("admin"))
    assert again.json()["closed_by"] == "releng"  # closing a closed one changes nothing


def test_a_known_issue_past_its_expiry_is_expired_as_the_dashboard_says(
    client: CheckedClient, tokens: Tokens, gk_clock: Clock
) -> None:
    issue = created(client.post(KNOWN, json=known_issue(expires="1d"),
                                headers=tokens.auth("waiver")))  # fmt: skip
    assert issue["state"] == "open"
    gk_clock.now += timedelta(days=2)
    expired = client.get(f"{KNOWN}/{issue['id']}").json()
    assert (expired["state"], expired["closed_at"]) == ("expired", None)
    assert client.get(KNOWN).json() == []  # waiving nothing: not open
    listed = client.get(KNOWN, params={"state": "expired"}).json()
    assert [(i["id"], i["state"]) for i in listed] == [(issue["id"], "expired")]
    assert client.get(KNOWN, params={"state": "closed"}).json() == []
    closed = client.post(f"{KNOWN}/{issue['id']}/close", headers=tokens.auth("admin")).json()
    assert closed["state"] == "expired"  # it had ended already: the first end is its state
    assert client.get("/known-issues").text.count('class="badge issue-expired"') == 1


def test_the_openapi_names_every_state_of_a_known_issue(client: CheckedClient) -> None:
    schema = client.get("/openapi.json").json()
    out = schema["components"]["schemas"]["KnownIssueOut"]["properties"]["state"]
    assert out["enum"] == ["open", "expired", "closed"]
    (param,) = schema["paths"][KNOWN]["get"]["parameters"]
    assert param["schema"]["enum"] == ["open", "expired", "closed", "all"]


def test_a_known_issue_narrowed_to_an_arch_lists_newest_first(
    client: CheckedClient, tokens: Tokens
) -> None:
    first = created(client.post(KNOWN, json=known_issue(arch="aarch64"),
                                headers=tokens.auth("admin")))  # fmt: skip
    second = created(client.post(KNOWN, json=known_issue(testcase="idm.install",
                                                         scenario="fips"),
                                 headers=tokens.auth("admin")))  # fmt: skip
    assert (first["arch"], first["expires"], first["composes_waived"]) == ("aarch64", None, 0)
    assert second["scenario"] == "fips"
    assert [i["id"] for i in client.get(KNOWN).json()] == [second["id"], first["id"]]


def test_only_identities_that_may_waive_add_or_close_a_known_issue(
    client: CheckedClient, tokens: Tokens
) -> None:
    refused = client.post(KNOWN, json=known_issue(), headers=tokens.auth("rdo"))
    assert (refused.status_code, refused.json()) == (
        403, {"error": "forbidden", "detail": "rdo-ci may not waive, so may not add a known issue"},
    )  # fmt: skip
    assert client.post(KNOWN, json=known_issue()).status_code == 401
    assert client.post(KNOWN, json=known_issue(), headers=tokens.auth("revoked")).status_code == 401
    assert client.get(KNOWN, params={"state": "all"}).json() == []
    issue = created(client.post(KNOWN, json=known_issue(), headers=tokens.auth("waiver")))
    close = f"{KNOWN}/{issue['id']}/close"
    assert client.post(close, headers=tokens.auth("idm")).status_code == 403
    assert client.get(f"{KNOWN}/{issue['id']}").json()["state"] == "open"


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"bug": "RDO-123"}, "bug"),
        ({"testcase": "nobody.owns.this"}, "testcase"),
        ({"expires": "400d"}, "expires"),
        ({"product": "  "}, "product"),
    ],
)
def test_a_known_issue_the_server_cannot_take_is_a_located_422(
    client: CheckedClient, tokens: Tokens, changes: dict[str, str], key: str
) -> None:
    refused = client.post(KNOWN, json=known_issue(**changes), headers=tokens.auth("admin"))
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"].startswith(f"{key}: ")


def test_the_policys_rules_apply_to_a_known_issue_too(
    client: CheckedClient, tokens: Tokens
) -> None:
    too_long = known_issue(testcase="strict.check", expires="30d")
    refused = client.post(KNOWN, json=too_long, headers=tokens.auth("admin"))
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("expires: ")
    capped = created(client.post(KNOWN, json=known_issue(testcase="strict.check"),
                                 headers=tokens.auth("admin")))  # fmt: skip
    assert capped["expires"] == "2026-12-08T06:00:00Z"


def test_an_unknown_known_issue_is_404(client: CheckedClient, tokens: Tokens) -> None:
    for path in (f"{KNOWN}/7", f"{KNOWN}/not-a-number"):
        missing = client.get(path)
        assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    closing = client.post(f"{KNOWN}/7/close", headers=tokens.auth("admin"))
    assert closing.status_code == 404
    bad_state = client.get(KNOWN, params={"state": "stale"})
    assert bad_state.status_code == 422


# -- reruns -----------------------------------------------------------------------------------


def test_a_rerun_makes_the_answer_pending_until_a_newer_result(
    client: CheckedClient, tokens: Tokens, gk_clock: Clock
) -> None:
    report(client, tokens, "FAILED", at="2026-11-24T05:00:00Z")
    body = {"testcase": "rdo.smoke", "arch": "x86_64"}
    made = created(client.post(RERUNS, json=body, headers=tokens.auth("rdo")))
    request = made["request"]
    assert (request["testcase"], request["arch"], request["username"]) == (
        "rdo.smoke", "x86_64", "rdo-ci",
    )  # fmt: skip
    assert (request["automatic"], request["reason"]) == (False, None)
    (pending,) = answers(made["decision"], "rdo.smoke")
    assert pending["type"] == "test-result-pending"
    assert (pending["reason"], pending["rerun_id"]) == ("rerun requested", request["id"])
    assert the_answer(client, "rdo.smoke") == pending
    assert client.get(RERUNS).json() == [request]

    gk_clock.now += timedelta(minutes=5)
    report(client, tokens, "PASSED")
    passed = the_answer(client, "rdo.smoke")
    assert passed["type"] == "test-result-passed"
    assert "reason" not in passed and "rerun_id" not in passed


def test_a_rerun_of_a_passed_result_needs_a_reason(client: CheckedClient, tokens: Tokens) -> None:
    report(client, tokens, "PASSED", at="2026-11-24T05:00:00Z")
    refused = client.post(RERUNS, json={"testcase": "rdo.smoke"}, headers=tokens.auth("rdo"))
    assert (refused.status_code, refused.json()["error"]) == (422, "invalid_input")
    assert refused.json()["detail"].startswith("reason: rdo.smoke passed in ")
    assert client.get(RERUNS).json() == []
    body = {"testcase": "rdo.smoke", "reason": "the runner's disk was full"}
    made = created(client.post(RERUNS, json=body, headers=tokens.auth("rdo")))
    assert made["request"]["reason"] == "the runner's disk was full"
    assert the_answer(client, "rdo.smoke")["reason"] == "rerun requested"


def test_only_the_testcases_team_reporters_and_admins_ask_for_a_rerun(
    client: CheckedClient, tokens: Tokens
) -> None:
    report(client, tokens, "FAILED", at="2026-11-24T05:00:00Z")
    body = {"testcase": "rdo.smoke"}
    other_team = client.post(RERUNS, json=body, headers=tokens.auth("idm"))
    assert other_team.status_code == 403
    assert other_team.json()["detail"].startswith(
        "idm-bot is not a reporter of team rdo, which owns rdo.smoke"
    )
    assert client.post(RERUNS, json=body, headers=tokens.auth("waiver")).status_code == 403
    assert client.post(RERUNS, json=body).status_code == 401
    assert client.get(RERUNS).json() == []
    assert the_answer(client, "rdo.smoke")["type"] == "test-result-failed"
    by_admin = created(client.post(RERUNS, json=body, headers=tokens.auth("admin")))
    assert by_admin["request"]["username"] == "releng"


def test_a_rerun_of_an_unknown_compose_is_404_and_of_an_unknown_testcase_422(
    client: CheckedClient, tokens: Tokens
) -> None:
    nope = f"{API}/composes/CentOS-Stream-9-20990101.0/reruns"
    assert client.post(nope, json={"testcase": "rdo.smoke"},
                       headers=tokens.auth("admin")).status_code == 404  # fmt: skip
    assert client.get(nope).status_code == 404
    unknown = client.post(RERUNS, json={"testcase": "x.y"}, headers=tokens.auth("admin"))
    assert unknown.status_code == 422
    assert unknown.json()["detail"].startswith("testcase: ")
    typo = client.post(RERUNS, json={"testcase": "rdo.smoke", "arhc": "x"},
                       headers=tokens.auth("admin"))  # fmt: skip
    assert typo.status_code == 422
    assert "body.arhc" in typo.json()["detail"]


def test_the_openapi_describes_the_new_routes(client: CheckedClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    def answer_ref(path: str, method: str, status: str) -> str:
        schema = paths[path][method]["responses"][status]["content"]["application/json"]
        return str(schema["schema"])

    assert "KnownIssueOut" in answer_ref(KNOWN, "get", "200")
    assert "KnownIssueOut" in answer_ref(KNOWN, "post", "201")
    assert "KnownIssueOut" in answer_ref(f"{KNOWN}/{{issue_id}}", "get", "200")
    assert "KnownIssueOut" in answer_ref(f"{KNOWN}/{{issue_id}}/close", "post", "200")
    reruns = f"{API}/composes/{{compose_id}}/reruns"
    assert "RerunCreated" in answer_ref(reruns, "post", "201")
    assert "RerunOut" in answer_ref(reruns, "get", "200")
    for path, method in ((KNOWN, "post"), (reruns, "post")):
        assert {"401", "403", "422"} <= set(paths[path][method]["responses"])
