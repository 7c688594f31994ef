"""The served OpenAPI document is no looser than the server: a request the schema allows is
not refused for its shape, and what the server refuses for its shape (an unknown outcome,
text past a limit, a blank name) the schema refuses too. Limits come from
:mod:`gatekeeper.limits`; each answer's media types are declared as served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from apihelpers import API, CID, CheckedClient, Tokens

from gatekeeper.limits import MAX_ID_CHARS, MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_URL_CHARS
from gatekeeper.model import Outcome
from gatekeeper.service import Gatekeeper
from gatekeeper.testing.composes import SpecBuild, SpecRpm, write_compose
from gatekeeper.testing.repodata import write_repodata

RESULTS = f"{API}/composes/{{compose_id}}/results"
WAIVERS = f"{API}/composes/{{compose_id}}/waivers"


def body_validator(document: dict[str, Any], path: str, media: str = "application/json") -> Any:
    schema = document["paths"][path]["post"]["requestBody"]["content"][media]["schema"]
    return jsonschema.Draft202012Validator({**schema, "components": document["components"]})


@pytest.fixture
def document(client: CheckedClient) -> dict[str, Any]:
    return dict(client.get("/openapi.json").json())


def result(**fields: Any) -> list[dict[str, Any]]:
    return [{"testcase": "rdo.smoke", "outcome": "PASSED", **fields}]


@pytest.mark.parametrize("outcome", [*Outcome, "passed", "Needs_Inspection", "queued"])
def test_every_outcome_the_server_takes_is_valid_in_the_schema(
    document: dict[str, Any], client: CheckedClient, tokens: Tokens, outcome: str
) -> None:
    assert body_validator(document, RESULTS).is_valid(result(outcome=str(outcome)))
    answer = client.post(RESULTS.format(compose_id=CID), json=result(outcome=str(outcome)),
                         headers=tokens.auth("rdo"))  # fmt: skip
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    "fields",
    [
        {"outcome": "GREEN"},
        {"outcome": "PASSED!"},
        {"outcome": ""},
        {"testcase": ""},
        {"testcase": "   "},
        {"testcase": "rdo." + "x" * MAX_NAME_CHARS},
        {"testcase": "rdo.smoke\x00"},
        {"arch": "x" * (MAX_NAME_CHARS + 1)},
        {"scenario": "x" * (MAX_NAME_CHARS + 1)},
        {"variant": "x" * (MAX_NAME_CHARS + 1)},
        {"id": "x" * (MAX_ID_CHARS + 1)},
        {"ref_url": "https://ci.example.org/" + "x" * MAX_URL_CHARS},
        {"note": "x" * (MAX_TEXT_CHARS + 1)},
        {"compose": "CentOS-Stream-9-20261125.0"},
        {"compose": "not a compose"},
        {"data": {"k" * (MAX_NAME_CHARS + 1): 1}},
        {"id": 1.5},
    ],
    ids=lambda fields: ",".join(f"{k}={str(v)[:12]!r}" for k, v in fields.items()),
)
def test_a_result_the_server_refuses_for_its_shape_is_invalid_in_the_schema(
    document: dict[str, Any], client: CheckedClient, tokens: Tokens, fields: dict[str, Any]
) -> None:
    answer = client.post(RESULTS.format(compose_id=CID), json=result(**fields),
                         headers=tokens.auth("rdo"))  # fmt: skip
    assert answer.status_code == 422, answer.text
    if fields.get("compose") != "CentOS-Stream-9-20261125.0":  # another compose: the URL's
        assert not body_validator(document, RESULTS).is_valid(result(**fields))


def test_results_at_the_limits_are_valid_and_taken(
    document: dict[str, Any], client: CheckedClient, tokens: Tokens
) -> None:
    at_limits = result(
        arch="x" * MAX_NAME_CHARS,
        id="i" * MAX_ID_CHARS,
        note="n" * MAX_TEXT_CHARS,
        ref_url="https://ci.example.org/" + "x" * (MAX_URL_CHARS - 23),
        compose=CID,
        submit_time="2026-11-24T01:00:00Z",
        data={"k": [1, 2]},
    )
    body = [*at_limits, {"testcase": "rdo.smoke", "outcome": "FAILED", "id": 7,
                         "submit_time": 1795000000000}]  # fmt: skip
    assert body_validator(document, RESULTS).is_valid(body)
    answer = client.post(RESULTS.format(compose_id=CID), json=body, headers=tokens.auth("rdo"))
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    "fields",
    [
        {"comment": ""},
        {"comment": "  "},
        {"comment": "x" * (MAX_TEXT_CHARS + 1)},
        {"testcase": "x" * (MAX_NAME_CHARS + 1)},
        {"arch": "x" * (MAX_NAME_CHARS + 1)},
        {"scenario": "x" * (MAX_NAME_CHARS + 1)},
    ],
    ids=lambda fields: ",".join(f"{k}={str(v)[:12]!r}" for k, v in fields.items()),
)
def test_a_waiver_the_server_refuses_for_its_shape_is_invalid_in_the_schema(
    document: dict[str, Any], client: CheckedClient, tokens: Tokens, fields: dict[str, Any]
) -> None:
    body = {"testcase": "rdo.smoke", "comment": "known flake", **fields}
    for path in (WAIVERS, f"{WAIVERS}/revoke"):
        answer = client.post(path.format(compose_id=CID), json=body, headers=tokens.auth("admin"))
        assert answer.status_code == 422, answer.text
        assert not body_validator(document, path).is_valid(body)


def test_an_empty_location_is_invalid_in_the_schema_and_refused(
    document: dict[str, Any], client: CheckedClient, tokens: Tokens
) -> None:
    assert not body_validator(document, f"{API}/composes").is_valid({"location": ""})
    answer = client.post(f"{API}/composes", json={"location": ""}, headers=tokens.auth("admin"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"].startswith("no compose location given: ")


def test_compose_ids_in_paths_follow_the_compose_id_grammar(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "compose_id":
                    schema = parameter["schema"]
                    valid = jsonschema.Draft202012Validator(schema).is_valid
                    assert valid(CID) and valid("CentOS-Stream-10-20261124.n.2"), path
                    assert not valid("nope") and not valid("a/../b-20261124.0"), path


def test_the_upload_formats_are_the_installed_ones(
    document: dict[str, Any], app: Gatekeeper
) -> None:
    (fmt,) = [
        p
        for p in document["paths"][f"{RESULTS}/{{fmt}}"]["post"]["parameters"]
        if p["name"] == "fmt"
    ]
    assert fmt["schema"]["enum"] == sorted(app.result_formats)


def test_both_lockfile_formats_answer_as_declared(
    client: CheckedClient, app: Gatekeeper, tmp_path: Path
) -> None:
    builds = [SpecBuild("bash", "5.1.8", "9.el9", rpms=(SpecRpm("bash"),))]
    variants = {"BaseOS": ("x86_64",)}
    compose_id = write_compose(tmp_path / "c", builds=builds, variants=variants)
    write_repodata(tmp_path / "c", builds=builds, variants=variants)
    app.import_compose(str(tmp_path / "c"))
    route = f"{API}/composes/{compose_id}/lockfile"
    fcos = client.get(route, params={"format": "fcos", "arch": "x86_64"})
    assert fcos.status_code == 200, fcos.text
    assert fcos.headers["content-type"] == "application/json"
    checked = client.schema_checks.checked
    assert ("GET", f"{API}/composes/{{compose_id}}/lockfile", 200) in checked
    declared = client.schema_checks.document["paths"][f"{API}/composes/{{compose_id}}/lockfile"]
    content = declared["get"]["responses"]["200"]["content"]
    assert set(content["application/json"]["schema"]["required"]) == {"packages", "metadata"}
    for params in ({}, {"with_sources": "true"}, {"allow_missing_checksums": "true"}):
        yaml_answer = client.get(route, params=params)
        assert yaml_answer.headers["content-type"].startswith("application/yaml")
        jsonschema.validate(yaml.safe_load(yaml_answer.text), content["application/yaml"]["schema"])


RESULTSDB = "/api/v2.0/results"


@pytest.mark.parametrize(
    "fields",
    [
        {"outcome": "GREEN"},
        {"testcase": "x" * (MAX_NAME_CHARS + 1)},
        {"testcase": {"name": "rdo.smoke", "ref_url": "https://x/" + "u" * MAX_URL_CHARS}},
        {"groups": ["g" * (MAX_NAME_CHARS + 1)]},
        {"note": "x" * (MAX_TEXT_CHARS + 1)},
        {"ref_url": "https://x/" + "u" * MAX_URL_CHARS},
        {"submit_time": True},
        {"data": {"productmd.compose.id": CID, "k" * (MAX_NAME_CHARS + 1): "v"}},
    ],
    ids=lambda fields: ",".join(f"{k}={str(v)[:12]!r}" for k, v in fields.items()),
)
def test_a_resultsdb_result_refused_for_its_shape_is_invalid_in_the_schema(
    document: dict[str, Any], client: CheckedClient, tokens: Tokens, fields: dict[str, Any]
) -> None:
    body = {"outcome": "PASSED", "testcase": "rdo.smoke",
            "data": {"productmd.compose.id": CID}, **fields}  # fmt: skip
    answer = client.post(RESULTSDB, json=body, headers=tokens.auth("rdo"))
    assert answer.status_code == 400, answer.text
    assert not body_validator(document, RESULTSDB).is_valid(body)


def test_the_schema_names_the_types_a_form_file_part_may_be_declared_as(
    document: dict[str, Any],
) -> None:
    for path in (RESULTS, f"{RESULTS}/{{fmt}}"):
        operation = document["paths"][path]["post"]
        form = operation["requestBody"]["content"]["multipart/form-data"]
        declared = form["encoding"]["file"]["contentType"].split(", ")
        assert {"text/*", "application/octet-stream", "application/xml"} <= set(declared)
        assert "415" in operation["responses"]
