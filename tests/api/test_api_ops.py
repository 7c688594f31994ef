"""Operations and the contract: /healthz, /metrics, the body cap, errors as JSON, and every
route answering as /openapi.json says."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from apihelpers import API, CID, CheckedClient, SchemaChecks, Tokens

from gatekeeper.api import create_app
from gatekeeper.service import Gatekeeper

RESULTS = f"{API}/composes/{CID}/results"


def test_healthz_checks_the_store_and_the_extra_checks(
    client: CheckedClient, app: Gatekeeper
) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "checks": {"store": "ok"}}

    def bus() -> None:
        raise ConnectionError("broker at 127.0.0.1:5672 refused")

    app.health_checks = [bus]  # type: ignore[attr-defined]
    failing = client.get("/healthz")
    assert failing.status_code == 503
    assert failing.json()["checks"] == {
        "store": "ok",
        "bus": "ConnectionError: broker at 127.0.0.1:5672 refused",
    }


def test_metrics_count_results_decisions_outbox_and_latency(
    client: CheckedClient, tokens: Tokens
) -> None:
    body = [{"testcase": "rdo.smoke", "outcome": "PASSED", "arch": "x86_64"}]
    client.post(RESULTS, json=body, headers=tokens.auth("rdo"))
    client.get(f"{API}/composes/{CID}")
    text = client.get("/metrics").text
    assert "gatekeeper_results_ingested_total 1.0" in text
    assert 'gatekeeper_decisions_total{verdict="pending"} 1.0' in text
    assert 'gatekeeper_composes{verdict="pending"} 1.0' in text
    assert "gatekeeper_outbox_depth " in text
    assert (
        'gatekeeper_http_request_duration_seconds_count{method="GET",'
        'route="/api/v1/composes/{compose_id}",status="200"} 1.0'
    ) in text


def test_each_app_has_its_own_metrics(app: Gatekeeper) -> None:
    first, second = create_app(app), create_app(app)
    assert first.state.metrics.registry is not second.state.metrics.registry


def test_a_body_over_the_cap_is_413(app: Gatekeeper, tokens: Tokens) -> None:
    app.settings = replace(app.settings, sections={"api": {"max_body_bytes": 100}})
    with CheckedClient(create_app(app)) as small:
        response = small.post(RESULTS, content=b"[" + b" " * 200 + b"]", headers=tokens.auth("rdo"))
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large"
        assert "100-byte limit" in response.json()["detail"]


def test_a_streamed_body_over_the_cap_is_cut_off(app: Gatekeeper, tokens: Tokens) -> None:
    app.settings = replace(app.settings, sections={"api": {"max_body_bytes": 100}})

    def chunks() -> object:
        for _ in range(10):
            yield b" " * 50

    with CheckedClient(create_app(app)) as small:
        response = small.post(RESULTS, content=chunks(), headers=tokens.auth("rdo"))  # type: ignore[arg-type]
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large"


def test_unknown_routes_and_methods_answer_in_json(client: CheckedClient) -> None:
    assert client.get(f"{API}/nothing").json() == {"error": "not_found", "detail": "Not Found"}
    response = client.delete(f"{API}/composes")
    assert (response.status_code, response.json()["error"]) == (405, "method_not_allowed")


def test_an_unexpected_error_is_a_logged_500_in_json(
    client: CheckedClient, app: Gatekeeper, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**kwargs: object) -> object:
        raise RuntimeError("bug")

    app.compose_list = broken  # type: ignore[method-assign,assignment]
    with caplog.at_level(logging.INFO, logger="gatekeeper.api"):
        response = client.get(f"{API}/composes")
        assert response.status_code == 500
        assert response.json()["error"] == "internal_error"
        assert client.get("/healthz").status_code == 200  # still serving
    assert any(r.exc_info and "bug" in str(r.exc_info[1]) for r in caplog.records)
    access = [r.getMessage() for r in caplog.records if r.name == "gatekeeper.api.access"]
    assert any(
        "method=GET path=/api/v1/composes " in line and "status=500" in line for line in access
    )


def test_requests_are_logged_with_the_actor(
    client: CheckedClient, tokens: Tokens, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="gatekeeper.api.access"):
        client.post(
            RESULTS,
            json=[{"testcase": "rdo.smoke", "outcome": "PASSED"}],
            headers=tokens.auth("rdo"),
        )
    (line,) = [r.getMessage() for r in caplog.records if r.name == "gatekeeper.api.access"]
    assert line.startswith(f"method=POST path={RESULTS} route=")
    assert "status=200" in line and "duration_ms=" in line and line.endswith("actor=rdo-ci")


def test_every_route_answers_as_the_served_schema_says(
    client: CheckedClient, tokens: Tokens, tmp_path: object
) -> None:
    """Each operation of /openapi.json is called, and its answer validated (CheckedClient)."""
    from pathlib import Path

    from gatekeeper.testing.composes import synthetic_builds, write_compose

    top = Path(str(tmp_path)) / "c"
    new_id = write_compose(top, date="20261126", builds=synthetic_builds(5, seed=4))
    rdo, admin = tokens.auth("rdo"), tokens.auth("admin")
    LOCK = f"{API}/composes/{new_id}/lockfile"
    waiver = {"testcase": "rdo.smoke", "comment": "flaky"}
    known_issue = {"product": "CentOS-Stream-*", "testcase": "rdo.smoke",
                   "bug": "https://bugs.example.org/1", "comment": "flaky"}  # fmt: skip
    calls = [
        ("GET", f"{API}/composes?limit=1", None, None),
        ("POST", f"{API}/composes", {"location": str(top)}, admin),
        ("POST", f"{API}/composes", {"location": str(top)}, admin),
        ("GET", f"{API}/composes/{new_id}", None, None),
        ("GET", f"{API}/composes/{new_id}/builds", None, None),
        ("GET", f"{API}/composes/{new_id}/diff", None, None),
        ("GET", f"{API}/composes/{new_id}/lockfile?format=fcos", None, None),
        ("GET", f"{LOCK}?format=fcos&arch=x86_64&allow_missing_checksums=true", None, None),
        ("POST", RESULTS, [{"testcase": "rdo.smoke", "outcome": "PASSED"}], rdo),
        ("POST", f"{RESULTS}/junit?namespace=rdo", None, rdo),
        ("GET", f"{RESULTS}?limit=1", None, None),
        ("GET", f"{API}/composes/{CID}/decision", None, None),
        ("GET", f"{API}/composes/{CID}/decisions", None, None),
        ("POST", f"{API}/composes/{CID}/waivers", waiver, admin),
        ("POST", f"{API}/composes/{CID}/waivers/revoke", waiver, admin),
        ("GET", f"{API}/composes/{CID}/waivers", None, None),
        # known issues and reruns (#17)
        ("POST", f"{API}/known-issues", known_issue, admin),
        ("GET", f"{API}/known-issues?state=all", None, None),
        ("GET", f"{API}/known-issues/1", None, None),
        ("POST", f"{API}/known-issues/1/close", None, admin),
        ("POST", f"{API}/composes/{CID}/reruns", {"testcase": "rdo.smoke", "reason": "x"}, rdo),
        ("GET", f"{API}/composes/{CID}/reruns", None, None),
        ("POST", f"{API}/composes/{new_id}/publish", None, admin),  # never promoted: 409
        ("POST", f"{API}/composes/{new_id}/publish?force=true", None, admin),
        ("GET", "/healthz", None, None),
        ("GET", "/metrics", None, None),
        ("GET", f"{API}/composes/nope", None, None),
        ("POST", RESULTS, [{"testcase": "idm.install", "outcome": "PASSED"}], rdo),
        ("POST", RESULTS, b"[", rdo),
        # the ResultsDB v2.0, WaiverDB v1.0 and Greenwave decision APIs (#16)
        (
            "POST",
            "/api/v2.0/results",
            {
                "outcome": "PASSED",
                "testcase": "rdo.smoke",
                "data": {"productmd.compose.id": CID, "system_architecture": "x86_64"},
            },
            rdo,
        ),
        (
            "POST",
            "/api/v1.0/waivers/",
            {
                "subject_type": "compose",
                "subject_identifier": CID,
                "testcase": "rdo.smoke",
                "comment": "flaky",
            },
            admin,
        ),
        ("GET", "/api/v1.0/waivers/", None, None),
        ("GET", "/api/v1.0/waivers/1", None, None),
        ("GET", "/api/v2.0/results?limit=1", None, None),
        ("GET", "/api/v2.0/results/latest", None, None),
        ("GET", "/api/v2.0/results/1", None, None),
        ("GET", "/api/v2.0/testcases", None, None),
        ("GET", "/api/v2.0/groups", None, None),
        ("GET", "/api/v2.0/groups/x", None, None),
        (
            "POST",
            "/api/v1.0/decision",
            {
                "subject_type": "compose",
                "subject_identifier": CID,
                "decision_context": "gatekeeper",
                "product_version": "cs-9",
            },
            None,
        ),
    ]
    junit = b'<testsuite name="s"><testcase classname="c" name="n"/></testsuite>'
    for method, url, body, headers in calls:
        kwargs: dict[str, object] = {"headers": headers}
        if isinstance(body, bytes) or body is None:
            kwargs["content"] = body if body is not None else (junit if "junit" in url else None)
        else:
            kwargs["json"] = body
        response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
        assert response.status_code < 500, (url, response.text)
    checks: SchemaChecks = client.schema_checks
    operations = {
        (method.upper(), path)
        for path, item in checks.document["paths"].items()
        for method in item
        if path != "/metrics"  # text, not JSON
    }
    assert operations - {(m, p) for m, p, _ in checks.checked} == set()
    assert {s for *_, s in checks.checked} >= {200, 201, 400, 403, 404}
