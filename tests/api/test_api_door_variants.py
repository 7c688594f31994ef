"""Variants of the report door's attacks, over real HTTP on SQLite and PostgreSQL: each is a
located 4xx that stores nothing (never a 500, never a stored oversize value), on every
write path: the results JSON, the uploads, ResultsDB's and WaiverDB's, waivers, known
issues, reruns, announcing a compose, and Greenwave's decision."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from apihelpers import API, CID, SchemaChecks, Tokens

from gatekeeper.api.errors import error_response
from gatekeeper.service import Gatekeeper
from gatekeeper.testing import serving

RESULTS = f"{API}/composes/{CID}/results"
RESULTSDB = "/api/v2.0/results"
DECISION = "/api/v1.0/decision"
BIG = "9" * 5000
DEEP = "[" * 10_000 + "]" * 10_000
OUT_OF_CALENDAR = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"]
GREENWAVE = {"subject_type": "compose", "subject_identifier": CID, "decision_context": "x",
             "product_version": "centos-stream-9"}  # fmt: skip


def raw(value: object, written: str) -> str:
    """``value`` as JSON, its string ``"@"`` written as ``written`` (a number no reader
    holds, JSON nested 10,000 deep)."""
    return json.dumps(value).replace('"@"', written)


class Http:
    """httpx against the served application; every answer checked against /openapi.json."""

    def __init__(self, client: httpx.Client, tokens: Tokens) -> None:
        self.client, self.tokens = client, tokens
        self.checks = SchemaChecks(client.get("/openapi.json").json())

    def post(self, path: str, body: object, who: str | None = None,
             content_type: str = "application/json", **params: str) -> httpx.Response:  # fmt: skip
        """POST ``body``: bytes as they are, text as UTF-8, else as JSON (a lone surrogate
        written as its escape, ``"\\ud800"``)."""
        headers = {"Content-Type": content_type}
        if who is not None:
            headers.update(self.tokens.auth(who))
        data = body if isinstance(body, bytes) else (
            body if isinstance(body, str) else json.dumps(body)).encode()  # fmt: skip
        response = self.client.post(path, content=data, headers=headers, params=params)
        self.checks.check("POST", path, response)
        return response


@pytest.fixture
def http(app: Gatekeeper, tokens: Tokens) -> Iterator[Http]:
    with serving(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        yield Http(client, tokens)


def counts(app: Gatekeeper) -> dict[str, int]:
    """How many rows of what a request may write the store holds."""
    with app.store.transaction(readonly=True) as tx:
        conn: Any = tx._conn
        return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
                for t in ("results", "waivers", "known_issues", "rerun_requests")}  # fmt: skip


def detail(response: httpx.Response) -> str:
    body = response.json()
    return str(body.get("detail", body.get("message")))


def resultsdb(**fields: Any) -> dict[str, Any]:
    data = {"productmd.compose.id": CID, **fields.pop("data", {})}
    return {"outcome": "PASSED", "testcase": "rdo.smoke", **fields, "data": data}


# -- a time that an offset takes out of the calendar ---------------------------------------
def test_a_submit_time_an_offset_takes_out_of_the_calendar_is_located(
    http: Http, app: Gatekeeper
) -> None:
    for when in OUT_OF_CALENDAR:
        body = [{"testcase": "rdo.smoke", "outcome": "PASSED", "submit_time": when}]
        response = http.post(RESULTS, body, "rdo")
        assert response.status_code == 422, response.text
        assert detail(response).startswith("<request body>:1: [0].submit_time: ")
        assert "is not a time any clock shows" in detail(response)
        response = http.post(RESULTSDB, resultsdb(submit_time=when), "rdo")
        assert response.status_code == 400, response.text
        assert detail(response).startswith("submit_time: ")
    assert counts(app)["results"] == 0


def test_a_greenwave_when_out_of_the_calendar_is_400(http: Http) -> None:
    for when in OUT_OF_CALENDAR:
        response = http.post(DECISION, {**GREENWAVE, "when": when})
        assert response.status_code == 400
        assert response.json() == {"message": 'Invalid "when" parameter, must be in ISO8601 format'}


# -- a lone surrogate: in the text an error repeats, or in what is looked up -----------------
def test_an_error_repeating_a_lone_surrogate_writes_it_as_its_escape() -> None:
    response = error_response(422, "invalid_input", "unknown outcome c\ud800")
    assert response.body == b'{"error":"invalid_input","detail":"unknown outcome c\\ud800"}'


def test_a_lone_surrogate_in_a_greenwave_request_is_400(http: Http) -> None:
    for key in ("subject_type", "subject_identifier", "decision_context", "product_version"):
        response = http.post(DECISION, {**GREENWAVE, key: "C\udfff"})
        assert response.status_code == 400
        assert response.json()["message"] == (
            f"Invalid {key}: holds a lone surrogate (U+DFFF) at character 1, which is not "
            "Unicode text"
        )


def test_a_location_that_is_no_text_or_too_long_is_a_located_422(http: Http) -> None:
    response = http.post(f"{API}/composes", {"location": "/srv/c\ud800"}, "admin")
    assert response.status_code == 422
    assert detail(response) == (
        "location: holds a lone surrogate (U+D800) at character 6, which is not Unicode text"
    )
    response = http.post(f"{API}/composes", {"location": "/srv/" + "c" * 5000}, "admin")
    assert response.status_code == 422
    assert detail(response) == "location: is 5,005 characters long; at most 4,096 are taken"


def test_a_lone_surrogate_in_a_resultsdb_compose_is_400(http: Http, app: Gatekeeper) -> None:
    body = {"outcome": "PASSED", "testcase": "rdo.smoke",
            "data": {"type": "productmd-compose", "item": "C\ud800"}}  # fmt: skip
    response = http.post(RESULTSDB, body, "rdo")
    assert response.status_code == 400
    assert detail(response).startswith("data.item: holds a lone surrogate (U+D800)")
    assert counts(app)["results"] == 0


def test_a_resultsdb_token_that_is_not_text_is_401(http: Http) -> None:
    response = http.post(RESULTSDB, resultsdb(_auth_token="gk_\ud800"))
    assert response.status_code == 401
    assert detail(response) == "the token is not valid (unknown or revoked)"


# -- JSON no route's parser holds --------------------------------------------------------------
BODIES: list[tuple[str, str, dict[str, Any]]] = [
    (f"{API}/composes/{CID}/waivers", "admin", {"testcase": "rdo.smoke", "comment": "@"}),
    (f"{API}/known-issues", "admin",
     {"product": "C*", "testcase": "rdo.smoke", "bug": "https://b/1", "comment": "@"}),
    (f"{API}/composes/{CID}/reruns", "rdo", {"testcase": "@"}),
    (f"{API}/composes", "admin", {"location": "@"}),
    ("/api/v1.0/waivers/", "admin",
     {"subject_type": "compose", "subject_identifier": CID, "testcase": "rdo.smoke",
      "comment": "@"}),
    (RESULTSDB, "rdo", resultsdb(note="@")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("written", "why"),
    [(BIG, "a number JSON readers cannot hold (Exceeds the limit (4300 digits)"),
     (DEEP, "malformed JSON: arrays and objects nested too deep to read"),
     ('"\xff"', "not UTF-8 text (byte ")],  # U+00FF, sent as the lone byte 0xFF
    ids=["integer-of-5000-digits", "nested-10000-deep", "not-utf-8"],
)  # fmt: skip
def test_a_body_no_json_reader_holds_is_a_located_400_on_every_route(
    http: Http, app: Gatekeeper, written: str, why: str
) -> None:
    for path, who, template in BODIES:
        body = raw(template, written).encode().replace(b"\xc3\xbf", b"\xff")
        response = http.post(path, body, who)
        assert response.status_code == 400, (path, response.text)
        assert detail(response).startswith(f"<request body>: {why}"), (path, detail(response))
    assert counts(app) == dict.fromkeys(counts(app), 0)


def test_greenwave_json_nested_too_deeply_is_400(http: Http) -> None:
    response = http.post(DECISION, raw({**GREENWAVE, "subject_type": "@"}, DEEP))
    assert response.status_code == 400
    assert response.json() == {"message": "Failed to decode JSON object"}


# -- what a ResultsDB result would store ----------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "where"),
    [(resultsdb(testcase={"name": "rdo.smoke", "ref_url": "https://x/" + "u" * 5000}),
      "testcase.ref_url: is 5,010 characters long; at most 4,096"),
     (resultsdb(groups=["g" * 300]), "groups[0]: is 300 characters long"),
     (resultsdb(groups=[{"uuid": "g", "ref_url": "h\x00"}]), "groups[0].ref_url: holds a NUL"),
     (raw(resultsdb(data={"k": "@"}), "1e400"), "data.k: holds a number JSON cannot carry (inf)"),
     (raw(resultsdb(data={"k": "@"}), "[1, -1e400]"),
      "data.k: holds a number JSON cannot carry (-inf)"),
     (resultsdb(data={"k" * 300: "v"}),
      "[0].data: holds a key of 300 characters; at most 256 are taken"),
     (resultsdb(submit_time=True), "submit_time")],
    ids=["testcase-ref_url", "group-uuid", "group-ref_url", "inf", "inf-in-a-list", "data-key",
         "bool-time"],
)  # fmt: skip
def test_resultsdb_refuses_what_it_would_store_oversize_or_changed(
    http: Http, app: Gatekeeper, body: object, where: str
) -> None:
    response = http.post(RESULTSDB, body, "rdo")
    assert response.status_code == 400, response.text
    assert where in detail(response)
    assert counts(app)["results"] == 0


# -- the results JSON ---------------------------------------------------------------------------
def test_a_result_id_that_is_neither_text_nor_an_integer_is_refused(
    http: Http, app: Gatekeeper
) -> None:
    for written in ("1.5", "1e400", "-1e400"):
        body = raw([{"testcase": "rdo.smoke", "outcome": "PASSED", "id": "@"}], written)
        response = http.post(RESULTS, body, "rdo")
        assert response.status_code == 422
        assert detail(response).startswith(
            "<request body>:1: [0].id: expected a string or an integer"
        )
    assert counts(app)["results"] == 0


def test_a_data_key_over_the_name_limit_is_refused(http: Http, app: Gatekeeper) -> None:
    body = [{"testcase": "rdo.smoke", "outcome": "PASSED", "data": {"a": {"k" * 257: 1}}}]
    response = http.post(RESULTS, body, "rdo")
    assert response.status_code == 422
    assert detail(response) == "[0].data: holds a key of 257 characters; at most 256 are taken"
    assert counts(app)["results"] == 0


def test_an_error_repeats_at_most_a_few_hundred_characters_of_a_value(http: Http) -> None:
    response = http.post(RESULTS, [{"testcase": "rdo.smoke", "outcome": "x" * 100_000}], "rdo")
    assert response.status_code == 422
    assert len(response.content) < 2_000
    assert "characters left out" in detail(response)


# -- a form whose file part is declared as what no results file is -------------------------------
B = "b0undary"
JUNIT = b'<testsuite name="s"><testcase classname="tempest" name="smoke"/></testsuite>'


def _form(declared: str | None) -> bytes:
    head = 'Content-Disposition: form-data; name="file"; filename="results.xml"\r\n'
    if declared is not None:
        head += f"Content-Type: {declared}\r\n"
    return f"--{B}\r\n{head}\r\n".encode() + JUNIT + f"\r\n--{B}--\r\n".encode()


def test_a_file_part_declared_as_no_results_file_is_415(http: Http, app: Gatekeeper) -> None:
    for path in (f"{RESULTS}/junit", RESULTS):
        for declared in ("image/png", "application/zip", "multipart/mixed"):
            response = http.post(path, _form(declared), "rdo",
                                 f"multipart/form-data; boundary={B}", namespace="rdo")  # fmt: skip
            assert response.status_code == 415
            assert detail(response).startswith(
                f"<request body>: file: the file part is declared {declared}, which no results "
                "file is"
            )
    assert counts(app)["results"] == 0


def test_a_file_part_declared_as_text_or_undeclared_is_read(http: Http, app: Gatekeeper) -> None:
    declared = [None, "application/xml", "text/xml; charset=utf-8", "application/octet-stream"]
    for run, what in enumerate(declared):
        response = http.post(f"{RESULTS}/junit", _form(what), "rdo",
                             f"multipart/form-data; boundary={B}", namespace="rdo",
                             run_id=str(run))  # fmt: skip
        assert response.status_code == 200, response.text
    assert counts(app)["results"] == len(declared)


# -- the longest values each field takes are stored (PostgreSQL's index rows) -----------------
def _wide(n: int, seed: int) -> str:
    """``n`` CJK characters of four UTF-8 bytes each, none repeated nearby (incompressible)."""
    return "".join(chr(0x20000 + (seed * 7919 + i * 104729) % 0xA6D0) for i in range(n))


def test_the_longest_values_of_four_byte_characters_are_stored(http: Http, app: Gatekeeper) -> None:
    names = {k: _wide(256, s) for s, k in enumerate(("id", "scenario", "arch", "variant"))}
    result = {"testcase": "rdo." + _wide(252, 9), "outcome": "PASSED", **names,
              "ref_url": _wide(4096, 5), "note": _wide(65_536, 6),
              "data": {_wide(256, 7): 1}}  # fmt: skip
    assert http.post(RESULTS, [result], "rdo").status_code == 200
    waiver = {"testcase": "rdo.smoke", "comment": _wide(65_536, 8), "scenario": _wide(256, 10),
              "arch": _wide(256, 11), "bug": "https://" + _wide(4088, 12),
              "expires": "3d"}  # fmt: skip
    assert http.post(f"{API}/composes/{CID}/waivers", waiver, "admin").status_code == 201
    issue = {"product": _wide(256, 13), "testcase": "rdo.smoke", "comment": _wide(65_536, 14),
             "bug": "https://" + _wide(4088, 15), "arch": _wide(256, 16)}  # fmt: skip
    assert http.post(f"{API}/known-issues", issue, "admin").status_code == 201
    rerun = {"testcase": "rdo.smoke", "arch": _wide(256, 17), "reason": _wide(65_536, 18)}
    assert http.post(f"{API}/composes/{CID}/reruns", rerun, "rdo").status_code == 201
    assert counts(app) == {"results": 1, "waivers": 1, "known_issues": 1, "rerun_requests": 1}
