"""ResultsDB's API v2.0 under /api/v2.0: producers post results as they post them to
ResultsDB, and the results gate the compose they name; readers query them as ResultsDB's.

The shapes (201 with ``id``, ``href`` and data values as lists; ``{"message": ...}``
refusals; ``prev``/``next`` pages; ``_distinct_on``; ``:like`` globs) follow upstream's
``resultsdb/controllers/api_v2.py`` (release-engineering/resultsdb); the real clients are
``resultsdb_api.ResultsDBapi`` and ``resultsdb_conventions.ProductmdComposeResult``."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from apihelpers import CID, CheckedClient, Tokens
from resultsdb_api import ResultsDBapi, ResultsDBapiException, ResultsDBAuth
from resultsdb_conventions.prodmd import ProductmdComposeResult

from gatekeeper.service import Gatekeeper
from gatekeeper.testing import serving

V2 = "/api/v2.0"
COMPOSEINFO = {
    "header": {"type": "productmd.composeinfo", "version": "1.2"},
    "payload": {
        "compose": {"id": CID, "date": "20261124", "type": "production", "respin": 0},
        "release": {"name": "CentOS Stream", "short": "CentOS-Stream", "version": "9"},
    },
}


def v2_result(testcase: str = "idm.install", outcome: str = "PASSED", **data: Any) -> dict:
    """A body as resultsdb_conventions posts it (the v2 convention: productmd.compose.id)."""
    return {"outcome": outcome, "testcase": {"name": testcase, "ref_url": "https://t.example/"},
            "data": {"productmd.compose.id": CID, **data}}  # fmt: skip


def post(client: CheckedClient, body: dict, headers: dict[str, str]) -> dict:
    response = client.post(f"{V2}/results", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def answer(app: Gatekeeper, testcase: str, arch: str | None = None) -> str:
    decision = app.decide(CID)
    return next(a.type for a in decision.answers if a.testcase == testcase and a.arch == arch)


def test_the_conventions_library_reports_unmodified_and_the_result_decides(
    app: Gatekeeper, tokens: Tokens
) -> None:
    """What a producer using resultsdb_conventions runs, only the URL and the token
    (``ResultsDBapi``'s own ``auth_token``, sent as ``_auth_token``) pointing here."""
    assert answer(app, "idm.install") == "test-result-missing"
    result = ProductmdComposeResult(COMPOSEINFO, "PASSED", "idm.install", source="openqa")
    with serving(app) as url:
        created = result.report(ResultsDBapi(f"{url}{V2}", auth_token=tokens.idm))
        shown = ResultsDBapi(f"{url}{V2}").get_result(created["id"])
    assert shown == created
    assert created["data"]["productmd.compose.id"] == [CID]
    assert created["data"]["type"] == ["compose"] and created["data"]["source"] == ["openqa"]
    assert created["groups"] and created["testcase"]["name"] == "idm.install"
    stored = {r.id: r for r in app.results(CID)}[str(created["id"])]
    assert (stored.source, stored.reporter, stored.outcome.value) == (
        "resultsdb", "idm-bot", "PASSED")  # fmt: skip
    assert answer(app, "idm.install") == "test-result-passed"
    assert app.history(CID)[-1]["cause"]["reporter"] == "idm-bot"


def test_the_client_may_send_the_token_as_http_basic_password(
    app: Gatekeeper, tokens: Tokens
) -> None:
    """``ResultsDBapi``'s ``request_auth`` (``ResultsDBAuth.basic_auth``), any user name."""
    with serving(app) as url:
        api = ResultsDBapi(f"{url}{V2}", request_auth=ResultsDBAuth.basic_auth("ci", tokens.idm))
        created = api.create_result("FAILED", "idm.install", **{"productmd.compose.id": CID})
        found = api.get_results(testcases="idm.install", outcome="FAILED")
    assert [r["id"] for r in found["data"]] == [created["id"]]
    assert answer(app, "idm.install") == "test-result-failed"


def test_the_client_gets_upstreams_refusal_when_the_token_may_not_report(
    app: Gatekeeper, tokens: Tokens
) -> None:
    """ResultsDBapi raises with the server's ``message`` (it reads ``r.json()["message"]``)."""
    result = ProductmdComposeResult(COMPOSEINFO, "PASSED", "idm.install")
    with serving(app) as url, pytest.raises(ResultsDBapiException) as refused:
        result.report(ResultsDBapi(f"{url}{V2}", auth_token=tokens.rdo))
    assert "not a reporter of the team owning: idm.install" in refused.value.message
    assert refused.value.response.status_code == 403
    assert answer(app, "idm.install") == "test-result-missing"


def test_post_answers_201_with_id_href_and_data_values_as_lists(
    client: CheckedClient, tokens: Tokens
) -> None:
    body = v2_result(system_architecture="x86_64", numbers=[1, "2"], submit="x")
    body["submit_time"] = 1795492800000  # epoch milliseconds, as upstream takes them
    created = post(client, body, tokens.auth("idm"))
    assert created["href"].endswith(f"{V2}/results/{created['id']}")
    assert created["data"] == {"productmd.compose.id": [CID], "system_architecture": ["x86_64"],
                               "numbers": ["1", "2"], "submit": ["x"]}  # fmt: skip
    assert created["submit_time"] == "2026-11-24T04:00:00"
    assert created["testcase"]["ref_url"] == "https://t.example/"
    assert client.get(f"{V2}/results/{created['id']}").json() == created


def test_the_v3_convention_keys_compose_arch_variant_and_scenario(
    app: Gatekeeper, client: CheckedClient, tokens: Tokens
) -> None:
    """``type=productmd-compose`` and ``item`` name the compose; ``system_architecture``,
    ``system_variant`` and ``scenario`` are the result's key, so the arch-bound gate moves."""
    body = {"outcome": "FAILED", "testcase": "rdo.smoke",
            "data": {"type": "productmd-compose", "item": CID, "system_architecture": "x86_64",
                     "system_variant": "BaseOS", "scenario": "fips"}}  # fmt: skip
    created = post(client, body, tokens.auth("rdo"))
    stored = {r.id: r for r in app.results(CID)}[str(created["id"])]
    assert (stored.arch, stored.variant, stored.scenario) == ("x86_64", "BaseOS", "fips")
    assert answer(app, "rdo.smoke", "x86_64") == "test-result-failed"


def test_the_same_result_posted_again_is_the_one_stored(
    app: Gatekeeper, client: CheckedClient, tokens: Tokens
) -> None:
    first = post(client, v2_result(), tokens.auth("idm"))
    again = post(client, v2_result(), tokens.auth("idm"))
    assert again["id"] == first["id"] and len(app.results(CID)) == 1


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({**v2_result(), "data": {"productmd.compose.id": "CentOS-Stream-9-20991231.0"}}, 400,
         "compose CentOS-Stream-9-20991231.0 is not known"),
        ({**v2_result(), "data": {"item": CID}}, 400, "the result names no compose"),
        ({**v2_result(), "outcome": "SUPERB"}, 400, "outcome must be one of PASSED"),
        ({**v2_result(), "testcase": {"name": ""}}, 400, "testcase name not set"),
        ({**v2_result(), "data": {"productmd.compose.id": CID, "a:b": "1"}}, 400,
         "Colon not allowed in key name"),
        ({**v2_result(), "submit_time": "yesterday"}, 400, "is not a time"),
        ({"testcase": "idm.install"}, 400, "outcome"),
        ({**v2_result(), "testcase": "nobody.owns"}, 400, "owned by no team"),
    ],
)  # fmt: skip
def test_refusals_are_upstreams_message_and_store_nothing(
    app: Gatekeeper, client: CheckedClient, tokens: Tokens, body: dict, status: int, says: str
) -> None:
    response = client.post(f"{V2}/results", json=body, headers=tokens.auth("idm"))
    assert response.status_code == status, response.text
    assert list(response.json()) == ["message"] and says in response.json()["message"]
    assert app.results(CID) == []


def test_a_token_is_needed_and_may_come_as_http_basic_or_in_the_body(
    app: Gatekeeper, client: CheckedClient, tokens: Tokens
) -> None:
    missing = client.post(f"{V2}/results", json=v2_result())
    assert missing.status_code == 401 and "needs a token" in missing.json()["message"]
    revoked = client.post(f"{V2}/results", json={**v2_result(), "_auth_token": tokens.revoked})
    assert revoked.status_code == 401 and "not valid" in revoked.json()["message"]
    basic = base64.b64encode(f"anyone:{tokens.idm}".encode()).decode()
    post(client, v2_result(), {"Authorization": f"Basic {basic}"})
    post(client, {**v2_result("idm.install", "FAILED"), "_auth_token": tokens.idm}, {})
    assert {r.reporter for r in app.results(CID)} == {"idm-bot"}
    assert len(app.results(CID)) == 2


def test_get_result_of_an_unknown_id_is_404_with_a_message(client: CheckedClient) -> None:
    response = client.get(f"{V2}/results/999999")
    assert (response.status_code, response.json()) == (404, {"message": "Result not found"})


@pytest.fixture
def stored(client: CheckedClient, tokens: Tokens, app: Gatekeeper) -> list[dict]:
    """Five results: idm.install x3 over time, rdo.smoke on two arches."""
    made = []
    for hour, (testcase, outcome, arch, who) in enumerate([
        ("idm.install", "FAILED", "x86_64", "idm"), ("idm.install", "PASSED", "x86_64", "idm"),
        ("rdo.smoke", "PASSED", "x86_64", "rdo"), ("rdo.smoke", "FAILED", "aarch64", "rdo"),
        ("idm.install", "PASSED", "aarch64", "idm"),
    ]):  # fmt: skip
        body = v2_result(testcase, outcome, system_architecture=arch, team=who)
        body["submit_time"] = f"2026-11-24T0{hour}:00:00Z"
        made.append(post(client, body, tokens.auth(who)))
    return made


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["data"]]


def test_get_results_is_newest_first_and_filters_like_upstream(
    client: CheckedClient, stored: list[dict]
) -> None:
    every = [r["id"] for r in reversed(stored)]
    assert ids(client.get(f"{V2}/results")) == every
    assert ids(client.get(f"{V2}/results?testcases=rdo.smoke")) == every[1:3]
    assert ids(client.get(f"{V2}/results?testcases:like=idm.*&outcome=PASSED")) == [
        every[0], every[3]]  # fmt: skip
    assert ids(client.get(f"{V2}/results?system_architecture=aarch64")) == every[:2]
    either = client.get(f"{V2}/results?testcases=rdo.smoke&testcases:like=idm.*&outcome=FAILED")
    assert ids(either) == [every[1], every[4]]
    assert ids(client.get(f"{V2}/results?team=rdo")) == every[1:3]  # any data key
    assert ids(client.get(f"{V2}/results?team:like=r*")) == every[1:3]
    assert ids(client.get(f"{V2}/results?team=rdo,idm&outcome=FAILED")) == [every[1], every[4]]
    assert ids(client.get(f"{V2}/results?since=2026-11-24T03:00:00Z")) == every[:2]
    assert ids(client.get(f"{V2}/results?since=2026-11-24T01:00:00Z,2026-11-24T02:00:00Z")) == (
        every[2:4])  # fmt: skip
    assert ids(client.get(f"{V2}/results?productmd.compose.id=CentOS-Stream-9-20991231.0")) == []
    assert ids(client.get(f"{V2}/results?type=koji_build")) == []
    assert ids(client.get(f"{V2}/results?type=compose&item={CID}")) == every


def test_get_results_pages_with_prev_and_next(client: CheckedClient, stored: list[dict]) -> None:
    first = client.get(f"{V2}/results?limit=2&testcases:like=*").json()
    assert first["prev"] is None and "page=1" in first["next"]
    second = client.get(first["next"]).json()
    assert "page=0" in second["prev"] and "page=2" in second["next"]
    last = client.get(second["next"]).json()
    assert last["next"] is None and len(last["data"]) == 1
    seen = [r["id"] for page in (first, second, last) for r in page["data"]]
    assert seen == [r["id"] for r in reversed(stored)]


def test_bad_query_values_are_400_with_a_message(client: CheckedClient) -> None:
    for query in ("outcome=SUPERB", "since=yesterday", "limit=0", "page=x"):
        response = client.get(f"{V2}/results?{query}")
        assert response.status_code == 400 and "message" in response.json(), query


def test_latest_is_the_newest_per_testcase_and_distinct_on_keys(
    client: CheckedClient, stored: list[dict]
) -> None:
    assert ids(client.get(f"{V2}/results/latest")) == [stored[4]["id"], stored[3]["id"]]
    by_arch = client.get(f"{V2}/results/latest?_distinct_on=system_architecture")
    assert sorted(ids(by_arch)) == sorted(r["id"] for r in stored[1:])
    by_team = client.get(f"{V2}/results/latest?testcases:like=idm.*&_distinct_on=team")
    assert ids(by_team) == [stored[4]["id"]]


def test_testcases_lists_the_names_results_were_stored_for(
    client: CheckedClient, stored: list[dict]
) -> None:
    every = client.get(f"{V2}/testcases").json()
    assert [t["name"] for t in every["data"]] == ["idm.install", "rdo.smoke"]
    assert every["prev"] is None and every["next"] is None
    like = client.get(f"{V2}/testcases?name:like=rdo*&limit=1").json()
    assert [t["name"] for t in like["data"]] == ["rdo.smoke"] and like["next"] is None


def test_results_of_other_doors_show_their_compose_and_key_as_data(
    client: CheckedClient, tokens: Tokens
) -> None:
    body = [{"testcase": "rdo.smoke", "outcome": "passed", "arch": "x86_64"}]
    response = client.post(f"/api/v1/composes/{CID}/results", json=body,
                           headers=tokens.auth("rdo"))  # fmt: skip
    assert response.status_code == 200, response.text
    (shown,) = client.get(f"{V2}/results?item={CID}&system_architecture=x86_64").json()["data"]
    assert shown["data"]["productmd.compose.id"] == [CID]
    assert shown["data"]["system_architecture"] == ["x86_64"]


def test_groups_are_those_the_results_name_and_filter_results(
    client: CheckedClient, tokens: Tokens
) -> None:
    """Groups as resultsdb_conventions posts them: uuid strings or {uuid, description}."""
    first = {**v2_result(), "groups": [{"uuid": "u-1", "description": f"compose.{CID}"}, "u-2"]}
    created = post(client, first, tokens.auth("idm"))
    assert created["groups"] == ["u-1", "u-2"] and "resultsdb:group_info" not in created["data"]
    post(client, {**v2_result("idm.install", "FAILED"), "groups": ["u-3"]}, tokens.auth("idm"))
    every = client.get(f"{V2}/groups").json()
    uuids = [g["uuid"] for g in every["data"]]  # newest first; u-1 and u-2 came together
    assert uuids[0] == "u-3" and sorted(uuids[1:]) == ["u-1", "u-2"]
    like = client.get(f"{V2}/groups?description:like=compose.*").json()["data"]
    assert [(g["uuid"], g["description"]) for g in like] == [("u-1", f"compose.{CID}")]
    assert ids(client.get(f"{V2}/results?groups=u-2")) == [created["id"]]
    assert client.get(f"{V2}/groups/u-2").json()["results"].endswith("results?groups=u-2")
    missing = client.get(f"{V2}/groups/u-9")
    assert (missing.status_code, missing.json()) == (404, {"message": "Group not found"})
    paged = client.get(f"{V2}/groups?limit=2&page=1").json()
    assert [g["uuid"] for g in paged["data"]] == uuids[2:] and paged["next"] is None
