"""Results and waivers over HTTP: report as JSON or a plugin's format, read with filters and
pages, waive and revoke; who may do what, and located errors."""

from __future__ import annotations

import pytest
from apihelpers import API, CID, CheckedClient, Tokens

from gatekeeper.service import Gatekeeper

RESULTS = f"{API}/composes/{CID}/results"
JUNIT = (
    b'<testsuite name="s"><testcase classname="tempest" name="smoke"/>'
    b'<testcase classname="tempest" name="skip"><skipped/></testcase></testsuite>'
)


def post(client: CheckedClient, tokens: Tokens, body: object, who: str = "rdo") -> dict:
    response = client.post(RESULTS, json=body, headers=tokens.auth(who))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_post_json_stores_the_report_and_decides(client: CheckedClient, tokens: Tokens) -> None:
    body = post(
        client,
        tokens,
        [
            {"testcase": "rdo.smoke", "outcome": "passed", "arch": "x86_64"},
            {"testcase": "rdo.extra", "outcome": "FAILED", "id": 7},
        ],
    )
    # version 1 was recorded when the compose was announced
    assert (body["stored"], body["duplicates"], body["version"]) == (2, 0, 2)
    assert body["decision"]["summary"] == "Of 2 required tests, 1 result missing"
    again = post(client, tokens, [{"testcase": "rdo.extra", "outcome": "FAILED", "id": 7}])
    assert (again["stored"], again["duplicates"], again["version"]) == (0, 1, None)
    stored = client.get(RESULTS).json()["items"]
    assert [(r["testcase"], r["reporter"]) for r in stored] == [
        ("rdo.smoke", "rdo-ci"),
        ("rdo.extra", "rdo-ci"),
    ]


def test_json_lines_are_accepted_too(client: CheckedClient, tokens: Tokens) -> None:
    lines = (
        b'{"testcase": "rdo.smoke", "outcome": "PASSED"}\n'
        b'{"testcase": "rdo.extra", "outcome": "INFO"}\n'
    )
    response = client.post(RESULTS, content=lines, headers=tokens.auth("rdo"))
    assert response.json()["stored"] == 2


def test_results_filter_and_page(client: CheckedClient, tokens: Tokens) -> None:
    body = [
        {"testcase": "rdo.smoke", "outcome": "PASSED" if i % 2 else "FAILED", "arch": arch, "id": i}
        for i, arch in enumerate(["x86_64", "aarch64"] * 5)
    ]
    post(client, tokens, body)
    failed = client.get(f"{RESULTS}?outcome=failed&arch=x86_64").json()["items"]
    assert {(r["outcome"], r["arch"]) for r in failed} == {("FAILED", "x86_64")}
    assert len(failed) == 5
    assert client.get(f"{RESULTS}?reporter=idm-bot").json()["items"] == []
    ids, url = [], f"{RESULTS}?limit=3"
    while url:
        page = client.get(url).json()
        ids, url = ids + [r["id"] for r in page["items"]], page["next"]
    assert len(ids) == len(set(ids)) == 10
    assert ids == sorted(ids, key=int)


def test_an_unknown_outcome_filter_is_a_located_422(client: CheckedClient) -> None:
    response = client.get(f"{RESULTS}?outcome=GREEN")
    assert (response.status_code, response.json()["error"]) == (422, "invalid_input")
    assert response.json()["detail"].startswith("outcome: ")


def test_malformed_json_is_400_with_its_line(client: CheckedClient, tokens: Tokens) -> None:
    response = client.post(
        RESULTS, content=b'[\n{"testcase": "rdo.smoke",\n', headers=tokens.auth("rdo")
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("<request body>:3: malformed JSON")


def test_bad_results_are_422_with_every_located_problem(
    client: CheckedClient, tokens: Tokens
) -> None:
    body = (
        b'[{"testcase": "rdo.smoke", "arhc": "x86_64", "outcome": "PASSED"},\n'
        b' {"testcase": "rdo.extra"}]'
    )
    response = client.post(RESULTS, content=body, headers=tokens.auth("rdo"))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        "<request body>:1: [0].arhc: unknown key; expected one of: arch, compose, data, id, note,"
        " outcome, ref_url, scenario, submit_time, testcase, variant",
        "<request body>:2: [1].outcome: missing; it is required",
    ]
    assert client.get(RESULTS).json()["items"] == []


def test_writes_need_a_valid_token(client: CheckedClient, tokens: Tokens) -> None:
    body = [{"testcase": "rdo.smoke", "outcome": "PASSED"}]
    for headers in (
        {},
        {"Authorization": "Bearer gk_nope"},
        tokens.auth("revoked"),
        {"Authorization": f"Basic {tokens.rdo}"},
    ):
        response = client.post(RESULTS, json=body, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["error"] == "unauthenticated"
    assert client.get(RESULTS).json()["items"] == []


def test_another_teams_reporter_is_refused_and_nothing_is_stored(
    client: CheckedClient, tokens: Tokens
) -> None:
    body = [
        {"testcase": "idm.install", "outcome": "PASSED"},
        {"testcase": "rdo.smoke", "outcome": "PASSED"},
    ]
    response = client.post(RESULTS, json=body, headers=tokens.auth("rdo"))
    assert response.status_code == 403
    assert response.json() == {
        "error": "forbidden",
        "detail": "rdo-ci is not a reporter of the team owning: idm.install (team idm)",
    }
    assert client.get(RESULTS).json()["items"] == []
    assert post(client, tokens, body[:1], who="idm")["stored"] == 1


def test_an_unknown_compose_is_404(client: CheckedClient, tokens: Tokens) -> None:
    body = [{"testcase": "rdo.smoke", "outcome": "PASSED"}]
    response = client.post(f"{API}/composes/nope/results", json=body, headers=tokens.auth("rdo"))
    assert response.status_code == 404


def test_junit_upload_is_parsed_with_the_servers_options(
    client: CheckedClient, tokens: Tokens
) -> None:
    response = client.post(
        f"{RESULTS}/junit?namespace=rdo&arch=x86_64", content=JUNIT, headers=tokens.auth("rdo")
    )
    assert response.status_code == 200, response.text
    stored = client.get(RESULTS).json()["items"]
    assert [(r["testcase"], r["arch"]) for r in stored] == [("rdo.tempest.smoke", "x86_64")]


@pytest.mark.parametrize("option", ["max_bytes=10", "skipped=info", "name_format={name}"])
def test_junit_upload_refuses_options_that_are_the_servers(
    client: CheckedClient, tokens: Tokens, option: str
) -> None:
    response = client.post(
        f"{RESULTS}/junit?namespace=rdo&{option}", content=JUNIT, headers=tokens.auth("rdo")
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"{option.split('=')[0]}: not an option a caller")
    assert client.get(RESULTS).json()["items"] == []


def test_junit_server_settings_apply(
    app: Gatekeeper, client: CheckedClient, tokens: Tokens
) -> None:
    from dataclasses import replace

    app.settings = replace(app.settings, sections={"junit": {"skipped": "info"}})
    response = client.post(
        f"{RESULTS}/junit?namespace=rdo", content=JUNIT, headers=tokens.auth("rdo")
    )
    assert response.json()["stored"] == 2


def test_an_unknown_format_is_422(client: CheckedClient, tokens: Tokens) -> None:
    response = client.post(f"{RESULTS}/yaml", content=b"x", headers=tokens.auth("rdo"))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("format: unknown result format 'yaml'; known: ")


def test_waive_and_revoke(client: CheckedClient, tokens: Tokens) -> None:
    waivers = f"{API}/composes/{CID}/waivers"
    body = {"testcase": "rdo.smoke", "comment": "known flake", "arch": "x86_64"}
    created = client.post(waivers, json=body, headers=tokens.auth("waiver"))
    assert created.status_code == 201, created.text
    assert created.json()["waiver"]["username"] == "qe-lead"
    assert "test-result-missing-waived" in {
        a["type"] for a in created.json()["decision"]["satisfied_requirements"]
    }
    revoked = client.post(
        f"{waivers}/revoke", json={**body, "comment": "fixed"}, headers=tokens.auth("admin")
    )
    assert revoked.json()["waiver"]["waived"] is False
    assert [w["waived"] for w in client.get(waivers).json()] == [True, False]


def test_waiving_needs_the_right_and_a_known_testcase(
    client: CheckedClient, tokens: Tokens
) -> None:
    waivers = f"{API}/composes/{CID}/waivers"
    body = {"testcase": "rdo.smoke", "comment": "please"}
    assert client.post(waivers, json=body, headers=tokens.auth("rdo")).status_code == 403
    unknown = client.post(waivers, json={**body, "testcase": "x.y"}, headers=tokens.auth("admin"))
    assert unknown.status_code == 422
    typo = client.post(waivers, json={**body, "coment": "x"}, headers=tokens.auth("admin"))
    assert typo.status_code == 422
    assert "body.coment" in typo.json()["detail"]
    assert client.get(waivers).json() == []


def test_a_result_id_given_again_with_another_body_is_a_declared_409(
    client: CheckedClient, tokens: Tokens
) -> None:
    post(client, tokens, [{"testcase": "rdo.smoke", "outcome": "PASSED", "id": "r1"}])
    again = [{"testcase": "rdo.smoke", "outcome": "FAILED", "id": "r1"}]
    response = client.post(RESULTS, json=again, headers=tokens.auth("rdo"))
    assert response.status_code == 409  # the client checks that the schema declares it
    assert response.json()["error"] == "conflict"
    upload = f"{RESULTS}/junit?namespace=rdo"
    assert client.post(upload, content=JUNIT, headers=tokens.auth("rdo")).status_code == 200
    relabelled = client.post(f"{upload}&ref_url=x", content=JUNIT, headers=tokens.auth("rdo"))
    assert relabelled.status_code == 409
