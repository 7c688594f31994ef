"""Every HTTP route naming a compose, in its path or in a compatible API's field (ResultsDB's
``item`` and ``productmd.compose.id``, WaiverDB's and Greenwave's ``subject_identifier``),
answers an id outside the compose id grammar as an unknown compose: a 4xx with the JSON
error, never a 5xx, and nothing stored."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from apihelpers import CID, CheckedClient, Tokens

from gatekeeper.service import Gatekeeper

HOSTILE = [
    "CentOS-Stream-9/../../../x-20261124.0",
    "CentOS-Stream-9-20261124.\u0663",  # an Arabic-Indic digit three
    "A" * 300 + "-9-20261124.0",
    "CentOS-Stream-9-20261124.99999999999999999999",
]
READS = [
    "/api/v1/composes/{}",
    "/api/v1/composes/{}/builds",
    "/api/v1/composes/{}/diff",
    "/api/v1/composes/{}/decision",
    "/api/v1/composes/{}/decisions",
    "/api/v1/composes/{}/lockfile",
    "/api/v1/composes/{}/results",
    "/api/v1/composes/{}/waivers",
    "/api/v1/composes/{}/reruns",
    "/composes/{}",
    "/composes/{}/mr",
    "/composes/{}/version",
]
WRITES: list[tuple[str, Any]] = [
    ("/api/v1/composes/{}/publish?force=true", None),
    ("/api/v1/composes/{}/results", [{"testcase": "rdo.smoke", "outcome": "PASSED"}]),
    ("/api/v1/composes/{}/waivers", {"testcase": "rdo.smoke", "comment": "flaky"}),
    ("/api/v1/composes/{}/waivers/revoke", {"testcase": "rdo.smoke", "comment": "flaky"}),
    ("/api/v1/composes/{}/reruns", {"testcase": "rdo.smoke", "reason": "again"}),
]


def _stored(app: Gatekeeper) -> tuple[list[str], int]:
    composes = [row["id"] for row in app.compose_rows(limit=100)]
    return composes, sum(len(app.results(c)) + len(app.waivers(c)) for c in composes)


@pytest.mark.parametrize("compose_id", HOSTILE, ids=range(len(HOSTILE)))
def test_a_path_id_outside_the_grammar_is_not_found(
    client: CheckedClient, tokens: Tokens, app: Gatekeeper, compose_id: str
) -> None:
    before = _stored(app)
    quoted = urllib.parse.quote(compose_id, safe="")
    for template in READS:
        answer = client.get(template.format(quoted))
        assert answer.status_code == 404, (template, answer.text[:200])
    for template, body in WRITES:
        answer = client.post(template.format(quoted), json=body, headers=tokens.auth("admin"))
        assert answer.status_code == 404, (template, answer.text[:200])
        assert answer.json()["error"] == "not_found"
    assert _stored(app) == before == ([CID], 0)


@pytest.mark.parametrize("compose_id", HOSTILE, ids=range(len(HOSTILE)))
def test_a_compatible_apis_compose_field_outside_the_grammar_is_refused(
    client: CheckedClient, tokens: Tokens, app: Gatekeeper, compose_id: str
) -> None:
    before = _stored(app)
    result = {"testcase": {"name": "rdo.smoke"}, "outcome": "PASSED", "_auth_token": tokens.admin}
    for data in (
        {"item": compose_id, "type": "productmd-compose"},
        {"productmd.compose.id": compose_id},
    ):
        answer = client.post("/api/v2.0/results", json={**result, "data": data})
        assert answer.status_code == 400, answer.text[:200]
    waiver = {
        "subject_type": "compose",
        "subject_identifier": compose_id,
        "waived": True,
        "testcase": "rdo.smoke",
        "product_version": "centos-stream-9",
        "comment": "x",
    }
    answer = client.post("/api/v1.0/waivers/", json=waiver, headers=tokens.auth("admin"))
    assert answer.status_code == 400, answer.text[:200]
    question = {
        "subject_type": "compose",
        "subject_identifier": compose_id,
        "decision_context": "gatekeeper",
        "product_version": "centos-stream-9",
    }
    answer = client.post("/api/v1.0/decision", json=question)
    assert answer.status_code in (400, 404), answer.text[:200]
    assert "message" in answer.json()
    assert _stored(app) == before == ([CID], 0)
