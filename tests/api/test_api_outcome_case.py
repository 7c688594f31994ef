"""Outcomes in any ASCII case at every HTTP door, and only in ASCII case: ``str.upper``
alone would read a long s (U+017F) as S and a dotless i (U+0131) as I."""

from __future__ import annotations

import pytest
from apihelpers import API, CID, CheckedClient, Tokens

UNICODE_VARIANTS = ["PA\u017f\u017fED", "\u0131NFO", "pa\u017f\u017fed"]


@pytest.mark.parametrize("outcome", UNICODE_VARIANTS)
def test_a_unicode_case_variant_is_refused_everywhere(
    client: CheckedClient, tokens: Tokens, outcome: str
) -> None:
    upload = client.post(
        f"{API}/composes/{CID}/results",
        json=[{"testcase": "rdo.smoke", "outcome": outcome}],
        headers=tokens.auth("admin"),
    )
    assert upload.status_code in (400, 422), upload.text
    result = {
        "testcase": {"name": "rdo.smoke"},
        "outcome": outcome,
        "data": {"productmd.compose.id": CID},
        "_auth_token": tokens.admin,
    }
    assert client.post("/api/v2.0/results", json=result).status_code == 400
    listed = client.get(f"{API}/composes/{CID}/results", params={"outcome": outcome})
    assert listed.status_code in (400, 422), listed.text
    found = client.get("/api/v2.0/results", params={"outcome": outcome})
    assert found.status_code == 400, found.text
    assert client.get(f"{API}/composes/{CID}/results").json()["items"] == []


def test_ascii_case_variants_are_read(client: CheckedClient, tokens: Tokens) -> None:
    upload = client.post(
        f"{API}/composes/{CID}/results",
        json=[{"testcase": "rdo.smoke", "outcome": "passed"}],
        headers=tokens.auth("admin"),
    )
    assert upload.status_code == 200, upload.text
    found = client.get("/api/v2.0/results", params={"outcome": "Passed"})
    assert found.status_code == 200 and [r["outcome"] for r in found.json()["data"]] == ["PASSED"]
    listed = client.get(f"{API}/composes/{CID}/results", params={"outcome": "pAsSeD"})
    assert [r["outcome"] for r in listed.json()["items"]] == ["PASSED"]
