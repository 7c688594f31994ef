"""Uploads as ``multipart/form-data`` (``curl -F file=@results.xml URL``): the one file
part's bytes are the upload, options stay in the query, and anything else is a 4xx that
says what to send."""

from __future__ import annotations

from dataclasses import replace

import pytest
from apihelpers import API, CID, CheckedClient, SchemaChecks, Tokens

from gatekeeper.api import create_app
from gatekeeper.api.uploads import MAX_FORM_PARTS
from gatekeeper.service import Gatekeeper

RESULTS = f"{API}/composes/{CID}/results"
JUNIT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<testsuite name="s"><testcase classname="tempest" name="smoke"/>'
    b'<testcase classname="tempest" name="skip"><skipped/></testcase></testsuite>\n'
)
JSON_RESULTS = b'[{"testcase": "rdo.smoke", "outcome": "PASSED", "arch": "x86_64"}]\n'
# what curl 8 sends for `curl -F file=@results.xml URL`, byte for byte
CURL_BOUNDARY = "------------------------Zq9hTz7cX2mJ3pLkQ1bR0a"


def curl_form(
    data: bytes, *, filename: str = "results.xml", mime: str = "application/xml"
) -> bytes:
    return (
        f"--{CURL_BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {mime}\r\n\r\n".encode()
        + data
        + f"\r\n--{CURL_BOUNDARY}--\r\n".encode()
    )


def curl_headers(tokens: Tokens) -> dict[str, str]:
    return {
        **tokens.auth("rdo"),
        "Content-Type": f"multipart/form-data; boundary={CURL_BOUNDARY}",
        "User-Agent": "curl/8.5.0",
        "Accept": "*/*",
    }


def stored(client: CheckedClient) -> list[tuple[str, str | None]]:
    return [(r["testcase"], r["arch"]) for r in client.get(RESULTS).json()["items"]]


def test_a_junit_file_part_is_the_upload(client: CheckedClient, tokens: Tokens) -> None:
    response = client.post(
        f"{RESULTS}/junit?namespace=rdo&arch=x86_64",
        files={"file": ("results.xml", JUNIT, "application/xml")},
        headers=tokens.auth("rdo"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == 1
    assert stored(client) == [("rdo.tempest.smoke", "x86_64")]


def test_curls_bytes_for_a_file_part_are_the_upload(client: CheckedClient, tokens: Tokens) -> None:
    response = client.post(
        f"{RESULTS}/junit?namespace=rdo&arch=x86_64",
        content=curl_form(JUNIT),
        headers=curl_headers(tokens),
    )
    assert response.status_code == 200, response.text
    assert stored(client) == [("rdo.tempest.smoke", "x86_64")]


def test_a_json_file_part_is_the_json_upload(client: CheckedClient, tokens: Tokens) -> None:
    response = client.post(
        RESULTS, files={"file": ("results.json", JSON_RESULTS)}, headers=tokens.auth("rdo")
    )
    assert response.status_code == 200, response.text
    assert stored(client) == [("rdo.smoke", "x86_64")]


def test_curls_bytes_for_a_json_file_part_are_the_json_upload(
    client: CheckedClient, tokens: Tokens
) -> None:
    body = curl_form(JSON_RESULTS, filename="results.json", mime="application/json")
    response = client.post(RESULTS, content=body, headers=curl_headers(tokens))
    assert response.status_code == 200, response.text
    assert stored(client) == [("rdo.smoke", "x86_64")]


def test_errors_in_a_json_file_part_keep_their_lines(client: CheckedClient, tokens: Tokens) -> None:
    body = b'[{"testcase": "rdo.smoke", "outcome": "PASSED"},\n {"testcase": "rdo.extra"}]'
    response = client.post(RESULTS, files={"file": ("r.json", body)}, headers=tokens.auth("rdo"))
    assert response.status_code == 422
    assert response.json()["detail"] == "<request body>:2: [1].outcome: missing; it is required"
    assert stored(client) == []


@pytest.mark.parametrize("path", ["", "/junit"])
def test_several_file_parts_are_refused_saying_what_to_send(
    client: CheckedClient, tokens: Tokens, path: str
) -> None:
    files = [("file", ("a.xml", JUNIT)), ("more", ("b.xml", JUNIT))]
    response = client.post(
        f"{RESULTS}{path}?namespace=rdo" if path else RESULTS,
        files=files,
        headers=tokens.auth("rdo"),
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"
    assert response.json()["detail"] == (
        "<request body>: expected exactly one file part, found 2 (file, more): send one "
        "file per request, e.g. curl -F file=@results.xml URL"
    )
    assert stored(client) == []


@pytest.mark.parametrize("path", ["", "/junit"])
def test_a_form_without_a_file_part_is_refused_saying_what_to_send(
    client: CheckedClient, tokens: Tokens, path: str
) -> None:
    # what `curl -F file=<results.xml URL` sends: the file's text as a field, not a file part
    body = (
        f'--{CURL_BOUNDARY}\r\nContent-Disposition: form-data; name="file"\r\n\r\n'.encode()
        + JUNIT
        + f"\r\n--{CURL_BOUNDARY}--\r\n".encode()
    )
    response = client.post(
        f"{RESULTS}{path}?namespace=rdo" if path else RESULTS,
        content=body,
        headers=curl_headers(tokens),
    )
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "<request body>: expected exactly one file part, found none: send the file as a "
        "file part, e.g. curl -F file=@results.xml URL"
    )


def test_an_empty_form_is_refused_saying_what_to_send(
    client: CheckedClient, tokens: Tokens
) -> None:
    boundary = "x1y2"
    response = client.post(
        f"{RESULTS}/junit?namespace=rdo",
        content=f"--{boundary}--\r\n".encode(),
        headers={**tokens.auth("rdo"), "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 422
    assert "expected exactly one file part, found none" in response.json()["detail"]


def test_a_form_field_beside_the_file_is_refused_as_options_go_in_the_query(
    client: CheckedClient, tokens: Tokens
) -> None:
    response = client.post(
        f"{RESULTS}/junit?namespace=rdo",
        data={"arch": "x86_64"},
        files={"file": ("results.xml", JUNIT)},
        headers=tokens.auth("rdo"),
    )
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "<request body>: arch: a form field; options go in the query string "
        "(URL?arch=...), the file in one file part"
    )
    assert stored(client) == []


def test_a_multipart_body_without_its_boundary_is_400(
    client: CheckedClient, tokens: Tokens
) -> None:
    response = client.post(
        f"{RESULTS}/junit?namespace=rdo",
        content=curl_form(JUNIT),
        headers={**tokens.auth("rdo"), "Content-Type": "multipart/form-data"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert stored(client) == []


@pytest.mark.parametrize("path", ["", "/junit"])
def test_a_multipart_body_over_the_cap_is_413(app: Gatekeeper, tokens: Tokens, path: str) -> None:
    app.settings = replace(app.settings, sections={"api": {"max_body_bytes": 2048}})
    with CheckedClient(create_app(app), raise_server_exceptions=False) as client:
        client.schema_checks = SchemaChecks(client.get("/openapi.json").json())
        big = JUNIT + b"<!--" + b"x" * 4096 + b"-->"
        response = client.post(
            f"{RESULTS}{path}?namespace=rdo" if path else RESULTS,
            files={"file": ("results.xml", big)},
            headers=tokens.auth("rdo"),
        )
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large"
        assert stored(client) == []


def test_the_schema_declares_the_multipart_upload(client: CheckedClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (f"{API}/composes/{{compose_id}}/results",
                 f"{API}/composes/{{compose_id}}/results/{{fmt}}"):  # fmt: skip
        form = paths[path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert form["required"] == ["file"]
        assert form["properties"]["file"]["format"] == "binary"


def test_a_form_of_too_many_parts_is_400_as_it_is_read(
    client: CheckedClient, tokens: Tokens
) -> None:
    files = [(f"f{i}", (f"{i}.xml", JUNIT)) for i in range(MAX_FORM_PARTS + 1)]
    response = client.post(
        f"{RESULTS}/junit?namespace=rdo", files=files, headers=tokens.auth("rdo")
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "<request body>: cannot read the multipart/form-data body: Too many files. "
        f"Maximum number of files is {MAX_FORM_PARTS}."
    )
