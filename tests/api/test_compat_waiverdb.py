"""WaiverDB's API v1.0 under /api/v1.0/waivers/: WaiverDB's clients waive, revoke and read
gatekeeper's waivers unmodified.

The requests and answers are checked against upstream WaiverDB
(release-engineering/waiverdb): the request model ``CreateWaiver`` and ``GetWaivers`` of
``waiverdb/models/requests.py``, the answer's keys ``waiver_fields`` of
``waiverdb/fields.py``, the page of ``json_collection`` in ``waiverdb/utils.py``; the cases
named ``upstream: test_...`` are taken from ``tests/test_api_v10.py`` there, with a compose
as the subject. Every answer is also checked against the served OpenAPI (CheckedClient).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from apihelpers import CID, CheckedClient, Tokens

from gatekeeper.service import Gatekeeper
from gatekeeper.testing import Clock

WAIVERS = "/api/v1.0/waivers/"
PRODUCT_VERSION = "centos-stream-9"  # the product of CID, as Greenwave and WaiverDB spell it
# waiverdb/fields.py: waiver_fields
WAIVER_FIELDS = {
    "id", "subject_type", "subject_identifier", "subject", "testcase", "username", "scenario",
    "proxied_by", "product_version", "waived", "comment", "timestamp",
}  # fmt: skip
# waiverdb/models/requests.py: CreateWaiver's fields
CREATE_WAIVER_FIELDS = {
    "subject_type", "subject_identifier", "testcase", "subject", "result_id", "waived",
    "product_version", "comment", "username", "scenario",
}  # fmt: skip
# gatekeeper's own keys (#17), beyond upstream's: taken, and answered only when set
EXTRA_IN, EXTRA_OUT = {"expires", "effective_until", "bug"}, {"expires", "bug"}
# waiverdb/models/requests.py: GetWaivers's fields
GET_WAIVERS_FIELDS = {
    "subject_type", "subject_identifier", "testcase", "product_version", "username",
    "include_obsolete", "scenario", "since", "page", "limit", "proxied_by",
}  # fmt: skip


def waiver(**changes: Any) -> dict[str, Any]:
    """The body of upstream's sample request (``WaiversResource.post``) on our compose."""
    body = {
        "subject_type": "compose",
        "subject_identifier": CID,
        "testcase": "rdo.smoke",
        "waived": True,
        "product_version": PRODUCT_VERSION,
        "comment": "This is fine",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def post(client: CheckedClient, tokens: Tokens, body: object, who: str = "waiver") -> Any:
    answer = client.post(WAIVERS, json=body, headers=tokens.auth(who))
    assert answer.status_code == 201, answer.text
    return answer.json()


def answer_types(app: Gatekeeper, testcase: str) -> set[str]:
    decision = app.decide(CID).to_json()
    answers = decision["satisfied_requirements"] + decision["unsatisfied_requirements"]
    return {a["type"] for a in answers if a["testcase"] == testcase}


def test_a_posted_waiver_answers_in_waiverdbs_shape(client: CheckedClient, tokens: Tokens) -> None:
    """upstream: test_create_waiver (and the sample answer of ``WaiversResource.post``)."""
    created = post(client, tokens, waiver())
    assert set(created) == WAIVER_FIELDS
    assert created["username"] == "qe-lead"
    assert created["subject"] == {"productmd.compose.id": CID}
    assert created["subject_type"] == "compose"
    assert created["subject_identifier"] == CID
    assert created["testcase"] == "rdo.smoke"
    assert created["product_version"] == PRODUCT_VERSION
    assert created["waived"] is True
    assert created["comment"] == "This is fine"
    assert created["scenario"] is None
    assert created["proxied_by"] is None
    assert created["timestamp"] == "2026-11-24T06:00:00"  # UTC without a zone, as upstream
    assert isinstance(created["id"], int)


def test_a_waiver_posted_here_waives_in_gatekeepers_decision(
    app: Gatekeeper, client: CheckedClient, tokens: Tokens
) -> None:
    assert answer_types(app, "rdo.smoke") == {"test-result-missing"}
    post(client, tokens, waiver())
    assert answer_types(app, "rdo.smoke") == {"test-result-missing-waived"}
    assert [w.username for w in app.waivers(CID)] == ["qe-lead"]


def test_waived_false_revokes_and_obsoletes_the_waiver(
    app: Gatekeeper, client: CheckedClient, tokens: Tokens, gk_clock: Clock
) -> None:
    """upstream: test_obsolete_waivers_are_excluded_by_default, test_get_obsolete_waivers."""
    old = post(client, tokens, waiver())
    gk_clock.now += timedelta(minutes=1)
    new = post(client, tokens, waiver(waived=False, comment="fixed now"))
    assert answer_types(app, "rdo.smoke") == {"test-result-missing"}
    latest = client.get(WAIVERS).json()["data"]
    assert [(w["id"], w["waived"]) for w in latest] == [(new["id"], False)]
    every = client.get(WAIVERS, params={"include_obsolete": 1}).json()["data"]
    assert [w["id"] for w in every] == [new["id"], old["id"]]


def test_a_list_of_waivers_answers_a_list(
    app: Gatekeeper, client: CheckedClient, tokens: Tokens
) -> None:
    """``WaiversResource.post``: "To create multiple waivers, pass list of dict instead.
    Response also contains list on success." """
    body = [waiver(), waiver(testcase="idm.install", scenario="fips")]
    created = post(client, tokens, body)
    assert [(w["testcase"], w["scenario"]) for w in created] == [
        ("rdo.smoke", None),
        ("idm.install", "fips"),
    ]
    assert answer_types(app, "idm.install") == {"test-result-missing"}  # only fips is waived
    assert len(app.waivers(CID)) == 2


def test_a_list_with_one_refused_waiver_waives_nothing(
    app: Gatekeeper, client: CheckedClient, tokens: Tokens
) -> None:
    body = [waiver(), waiver(testcase="nobody.owns.this")]
    refused = client.post(WAIVERS, json=body, headers=tokens.auth("waiver"))
    assert refused.status_code == 400
    assert "nobody.owns.this" in refused.json()["message"]
    assert app.waivers(CID) == []


def test_the_older_subject_dict_names_the_compose(client: CheckedClient, tokens: Tokens) -> None:
    """upstream: test_create_waiver_with_subject (WaiverDB < 0.11's ``subject``), as
    ``subject_dict_to_type_identifier`` reads a compose's: ``productmd.compose.id``."""
    body = waiver(subject_type=None, subject_identifier=None)
    created = post(client, tokens, {**body, "subject": {"productmd.compose.id": CID}})
    assert (created["subject_type"], created["subject_identifier"]) == ("compose", CID)
    item = {**body, "subject": {"type": "compose", "item": CID}}
    assert post(client, tokens, item)["subject"] == {"productmd.compose.id": CID}


def test_product_version_is_the_composes_product_in_any_case(
    client: CheckedClient, tokens: Tokens
) -> None:
    assert post(client, tokens, waiver(product_version="CentOS-Stream-9"))["id"]
    assert post(client, tokens, waiver(product_version=None))["product_version"] == PRODUCT_VERSION
    refused = client.post(
        WAIVERS, json=waiver(product_version="fedora-rawhide"), headers=tokens.auth("waiver")
    )
    assert refused.status_code == 400
    assert "centos-stream-9" in refused.json()["message"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (waiver(subject_type="koji_build"), "composes only"),
        (waiver(subject_identifier="CentOS-Stream-9-20990101.0"), "not known"),
        (waiver(subject_type=None), "subject must be defined"),
        ({**waiver(subject_type=None, subject_identifier=None), "result_id": 123}, "result_id"),
        (waiver(testcase="x.y"), "owned by no team"),
        (waiver(comment="   "), "comment"),
    ],
    ids=["koji-build", "unknown-compose", "no-subject", "result-id", "unowned", "blank"],
)
def test_a_waiver_gatekeeper_cannot_take_is_a_400_message(
    app: Gatekeeper, client: CheckedClient, tokens: Tokens, body: dict[str, Any], says: str
) -> None:
    refused = client.post(WAIVERS, json=body, headers=tokens.auth("waiver"))
    assert refused.status_code == 400
    assert says in refused.json()["message"]
    assert app.waivers(CID) == []


def test_a_missing_key_is_a_400_message_by_key(client: CheckedClient, tokens: Tokens) -> None:
    """upstream: test_create_waiver_without_comment (``{"message": {"comment": ...}}``)."""
    body = waiver(comment=None)
    refused = client.post(WAIVERS, json=body, headers=tokens.auth("waiver"))
    assert refused.status_code == 400
    assert set(refused.json()["message"]) == {"comment"}
    listed = client.post(WAIVERS, json=[waiver(), body], headers=tokens.auth("waiver"))
    assert listed.status_code == 400
    assert "1.comment" in " ".join(listed.json()["message"])
    bad_json = client.post(
        WAIVERS,
        content=b"{bad",
        headers={**tokens.auth("waiver"), "Content-Type": "application/json"},
    )
    assert (bad_json.status_code, set(bad_json.json()["message"])) == (400, {"body"})


def test_writes_need_a_token_that_may_waive(client: CheckedClient, tokens: Tokens) -> None:
    """upstream: test_non_superuser_cannot_create_waiver_for_other_users (403 and its text);
    gatekeeper has no proxy users, so ``username`` may only name the token's identity."""
    anonymous = client.post(WAIVERS, json=waiver())
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert "token" in anonymous.json()["message"]
    reporter = client.post(WAIVERS, json=waiver(), headers=tokens.auth("rdo"))
    assert reporter.status_code == 403
    assert reporter.json() == {"message": "rdo-ci may not waive"}
    proxied = client.post(WAIVERS, json=waiver(username="bar"), headers=tokens.auth("admin"))
    assert proxied.status_code == 403
    assert proxied.json() == {"message": "user releng does not have the proxyuser ability"}
    assert post(client, tokens, waiver(username="qe-lead"))["username"] == "qe-lead"


def test_get_one_waiver_by_id(client: CheckedClient, tokens: Tokens) -> None:
    """upstream: test_get_waiver, test_404_for_nonexistent_waiver."""
    created = post(client, tokens, waiver(scenario="fips"))
    assert client.get(f"{WAIVERS}{created['id']}").json() == created
    missing = client.get(f"{WAIVERS}{created['id'] + 1}")
    assert (missing.status_code, missing.json()) == (404, {"message": "Waiver not found"})
    not_an_id = client.get(f"{WAIVERS}foo")
    assert not_an_id.status_code == 404
    assert "not found" in not_an_id.json()["message"]


def test_get_filters_as_waiverdb(client: CheckedClient, tokens: Tokens) -> None:
    """upstream: test_filtering_waivers_by_subject_type, _by_subject_identifier,
    _by_testcase, _by_product_version, _by_username, _by_proxied_by, test_get_waiver_by_scenario."""
    post(client, tokens, waiver())
    post(client, tokens, waiver(testcase="idm.install", scenario="fips"), who="admin")

    def testcases(**query: Any) -> list[str]:
        answer = client.get(WAIVERS, params=query)
        assert answer.status_code == 200, answer.text
        return sorted(w["testcase"] for w in answer.json()["data"])

    assert testcases() == ["idm.install", "rdo.smoke"]
    assert testcases(subject_type="compose", subject_identifier=CID) == testcases()
    assert testcases(subject_type="koji_build") == []
    assert testcases(subject_identifier="CentOS-Stream-9-20990101.0") == []
    assert testcases(testcase="rdo.smoke") == ["rdo.smoke"]
    assert testcases(scenario="fips") == ["idm.install"]
    assert testcases(product_version="CentOS-Stream-9") == testcases()
    assert testcases(product_version="fedora-rawhide") == []
    assert testcases(username="releng") == ["idm.install"]
    assert testcases(proxied_by="bodhi") == []


def test_since_is_a_start_or_a_range(
    client: CheckedClient, tokens: Tokens, gk_clock: Clock
) -> None:
    """upstream: test_filtering_waivers_by_since, test_filtering_waivers_by_malformed_since."""
    now = gk_clock.now.replace(tzinfo=None)
    before1 = (now - timedelta(seconds=100)).isoformat()
    before2 = (now - timedelta(seconds=99)).isoformat()
    after = (now + timedelta(seconds=100)).isoformat()
    post(client, tokens, waiver())

    def count(since: str) -> int:
        return len(client.get(WAIVERS, params={"since": since}).json()["data"])

    assert count(before1) == 1
    assert count(f"{before1},{after}") == 1
    assert count(after) == 0
    assert count(f"{before1},{before2}") == 0
    assert count(f"{before1}+00:00") == 1
    malformed = client.get(WAIVERS, params={"since": "123"})
    assert malformed.status_code == 400
    assert set(malformed.json()["message"]) == {"since"}
    assert client.get(WAIVERS, params={"since": f"{before1},badend"}).status_code == 400


def test_pages_link_as_waiverdb(client: CheckedClient, tokens: Tokens, gk_clock: Clock) -> None:
    """upstream: test_pagination_waivers (30 waivers, page 2 of 3) and the links of
    test_get_waiver_by_scenario (``?page=1&scenario=...``); a page past the last is
    ``json_collection``'s empty page with null links."""
    for i in range(30):
        gk_clock.now += timedelta(seconds=1)
        post(client, tokens, waiver(scenario=f"s{i:02d}"))
    second = client.get(WAIVERS, params={"page": 2}).json()
    assert [w["scenario"] for w in second["data"]] == [f"s{i:02d}" for i in range(19, 9, -1)]
    assert second["prev"] == f"http://testserver{WAIVERS}?page=1"
    assert second["next"] == f"http://testserver{WAIVERS}?page=3"
    assert second["first"] == f"http://testserver{WAIVERS}?page=1"
    assert second["last"] == f"http://testserver{WAIVERS}?page=3"
    one = client.get(WAIVERS, params={"scenario": "s07"}).json()
    assert [w["scenario"] for w in one["data"]] == ["s07"]
    assert (one["prev"], one["next"]) == (None, None)
    assert one["first"] == one["last"] == f"http://testserver{WAIVERS}?page=1&scenario=s07"
    big = client.get(WAIVERS, params={"limit": 25, "page": 2, "testcase": "rdo.smoke"}).json()
    assert len(big["data"]) == 5
    assert big["prev"] == f"http://testserver{WAIVERS}?page=1&limit=25&testcase=rdo.smoke"
    past = client.get(WAIVERS, params={"page": 4}).json()
    assert past == {"data": [], "prev": None, "next": None, "first": None, "last": None}
    empty = client.get(WAIVERS, params={"testcase": "idm.install"}).json()
    assert (empty["data"], empty["first"]) == (
        [],
        f"http://testserver{WAIVERS}?page=1&testcase=idm.install",
    )
    assert empty["last"] == f"http://testserver{WAIVERS}?page=0&testcase=idm.install"


def test_the_openapi_documents_waiverdbs_routes_and_request_model(
    client: CheckedClient,
) -> None:
    document = client.get("/openapi.json").json()
    assert set(document["paths"][WAIVERS]) == {"get", "post"}
    assert set(document["paths"][f"{WAIVERS}{{waiver_id}}"]) == {"get"}
    taken = document["components"]["schemas"]["WaiverDBIn"]["properties"]
    assert set(taken) == CREATE_WAIVER_FIELDS | EXTRA_IN
    answered = document["components"]["schemas"]["WaiverDBOut"]["properties"]
    assert set(answered) == WAIVER_FIELDS | EXTRA_OUT
    query = {p["name"] for p in document["paths"][WAIVERS]["get"]["parameters"]}
    assert query == GET_WAIVERS_FIELDS


@pytest.mark.parametrize("key", ["subject_identifier", "testcase", "product_version", "comment"])
def test_a_nul_character_is_a_400_on_every_store(
    app: Gatekeeper, client: CheckedClient, tokens: Tokens, key: str
) -> None:
    body = waiver(**{key: "rdo\x00smoke"})
    refused = client.post(WAIVERS, json=body, headers=tokens.auth("waiver"))
    assert refused.status_code == 400, refused.text
    assert app.waivers(CID) == []


# -- gatekeeper's own keys (#17): expires (Conforma's effective_until) and bug -----------------
BUG = "https://bugs.example.org/RDO-123"
STRICT = """\
team: strict
owns: ["strict.*"]
waivers: {require_bug: true, max_expires: 14d}
gates:
  - testcase: strict.check
"""


def test_expires_and_bug_are_taken_and_answered_as_extra_keys(
    app: Gatekeeper, client: CheckedClient, tokens: Tokens
) -> None:
    created = post(client, tokens, waiver(expires="3d", bug=BUG))
    assert set(created) == WAIVER_FIELDS | {"expires", "bug"}
    assert (created["expires"], created["bug"]) == ("2026-11-27T06:00:00", BUG)  # as timestamp
    assert client.get(f"{WAIVERS}{created['id']}").json() == created
    assert client.get(WAIVERS).json()["data"] == [created]
    (stored,) = app.waivers(CID)
    assert (stored.bug, stored.expires) == (BUG, app.clock() + timedelta(days=3))
    decision = app.decide(CID).to_json()
    (waived,) = [a for a in decision["satisfied_requirements"] if a["testcase"] == "rdo.smoke"]
    assert (waived["bug"], waived["expires"]) == (BUG, "2026-11-27T06:00:00Z")


def test_conformas_effective_until_is_an_alias_of_expires(
    app: Gatekeeper, client: CheckedClient, tokens: Tokens
) -> None:
    created = post(client, tokens, waiver(effective_until="2026-11-30T00:00:00Z"))
    assert created["expires"] == "2026-11-30T00:00:00"
    same = post(client, tokens, waiver(expires="1d", effective_until="1d"))
    assert same["expires"] == "2026-11-25T06:00:00"
    both = waiver(expires="1d", effective_until="2d")
    refused = client.post(WAIVERS, json=both, headers=tokens.auth("waiver"))
    assert refused.status_code == 400
    assert refused.json()["message"].startswith("effective_until: expires and its alias")
    past = client.post(WAIVERS, json=waiver(effective_until="2026-11-01T00:00:00Z"),
                       headers=tokens.auth("waiver"))  # fmt: skip
    assert past.status_code == 400
    assert past.json()["message"].startswith("expires: ")
    assert len(app.waivers(CID)) == 2


def test_the_policys_waiver_rules_refuse_before_anything_is_waived(
    app: Gatekeeper, client: CheckedClient, tokens: Tokens, gk_policies: Any
) -> None:
    gk_policies(strict=STRICT)
    app.reload_policies()
    bugless = [waiver(), waiver(testcase="strict.check")]
    refused = client.post(WAIVERS, json=bugless, headers=tokens.auth("waiver"))
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "bug: the policy of strict.check requires a bug URL on its waivers (waivers: require_bug)"
    )
    too_long = waiver(testcase="strict.check", bug=BUG, expires="15d")
    refused = client.post(WAIVERS, json=[waiver(), too_long], headers=tokens.auth("waiver"))
    assert refused.status_code == 400
    assert refused.json()["message"].startswith("expires: ")
    assert app.waivers(CID) == []  # the first of each list was not waived either
    capped = post(client, tokens, waiver(testcase="strict.check", bug=BUG))
    assert capped["expires"] == "2026-12-08T06:00:00"  # the policy's max_expires
    revoked = post(client, tokens, waiver(testcase="strict.check", waived=False))
    assert "bug" not in revoked and "expires" not in revoked  # a revocation needs neither
