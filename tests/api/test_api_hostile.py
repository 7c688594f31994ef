"""Hostile and odd input: each is a located 4xx in JSON, never a 500, and stores nothing."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from apihelpers import API, CID, CheckedClient, Tokens

from gatekeeper.compose.fetch import FetchError
from gatekeeper.service import Gatekeeper

RESULTS = f"{API}/composes/{CID}/results"
WAIVERS = f"{API}/composes/{CID}/waivers"


def stored(client: CheckedClient) -> list[object]:
    return list(client.get(RESULTS).json()["items"])


def test_json_nested_too_deeply_is_400(client: CheckedClient, tokens: Tokens) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    response = client.post(RESULTS, content=body, headers=tokens.auth("rdo"))
    assert response.status_code == 400
    assert response.json() == {
        "error": "bad_request",
        "detail": "<request body>:1: malformed JSON: arrays and objects nested too deep to read",
    }


def test_a_submit_time_no_clock_holds_is_422(client: CheckedClient, tokens: Tokens) -> None:
    body = [{"testcase": "rdo.smoke", "outcome": "PASSED", "submit_time": 10**20}]
    response = client.post(RESULTS, json=body, headers=tokens.auth("rdo"))
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "<request body>:1: [0].submit_time: 100000000000000000000 is not a time any clock "
        "shows (epoch milliseconds)"
    )
    assert stored(client) == []


def test_a_result_of_another_compose_is_refused_not_left_out(
    client: CheckedClient, tokens: Tokens
) -> None:
    body = (
        b'[{"testcase": "rdo.smoke", "outcome": "PASSED"},\n'
        b' {"compose": "CentOS-Stream-9-20261125.0", "testcase": "rdo.smoke", "outcome": "PASSED"}]'
    )
    response = client.post(RESULTS, content=body, headers=tokens.auth("rdo"))
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "<request body>:2: [1].compose: names compose 'CentOS-Stream-9-20261125.0', "
        f"not {CID} (the URL's)"
    )
    assert stored(client) == []
    same = [{"compose": CID, "testcase": "rdo.smoke", "outcome": "PASSED"}]
    assert client.post(RESULTS, json=same, headers=tokens.auth("rdo")).json()["stored"] == 1


@pytest.mark.parametrize(
    "url",
    [
        f"{API}/composes/a%00b",
        f"{RESULTS}?testcase=rdo.smoke%00",
        f"{API}/composes?product=%00",
    ],
)
def test_a_nul_character_in_the_url_is_400(client: CheckedClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert "NUL character" in response.json()["detail"]


def test_an_offset_past_any_integer_is_422(client: CheckedClient) -> None:
    response = client.get(f"{RESULTS}?offset={10**23}")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("query.offset: ")


def test_a_nul_character_in_a_result_is_refused_on_every_store(
    client: CheckedClient, tokens: Tokens, app: Gatekeeper
) -> None:
    body = [
        {"testcase": "rdo.smoke", "outcome": "PASSED"},
        {"testcase": "rdo.extra", "outcome": "PASSED", "note": "a\x00b"},
    ]
    response = client.post(RESULTS, json=body, headers=tokens.auth("rdo"))
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"
    assert response.json()["detail"] == "[1].note: holds a NUL character (at character 1)"
    assert stored(client) == []  # the whole report, not a part of it


def test_a_nul_character_in_a_waiver_is_refused_on_every_store(
    client: CheckedClient, tokens: Tokens, app: Gatekeeper
) -> None:
    waiver = {"testcase": "rdo.smoke", "comment": "fla\x00ky"}
    response = client.post(WAIVERS, json=waiver, headers=tokens.auth("admin"))
    assert response.status_code == 422
    assert "comment: holds a NUL character" in response.json()["detail"]
    assert client.get(WAIVERS).json() == []


@pytest.fixture
def not_found_server() -> Iterator[str]:
    """An HTTP server answering 404 to everything."""

    class Missing(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_error(404)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Missing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/composes/x"
    server.shutdown()
    server.server_close()


def test_announcing_a_url_that_is_not_there_is_422(
    client: CheckedClient, tokens: Tokens, not_found_server: str
) -> None:
    body = {"location": not_found_server}
    response = client.post(f"{API}/composes", json=body, headers=tokens.auth("admin"))
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"
    assert not_found_server in response.json()["detail"]
    assert len(client.get(f"{API}/composes").json()["items"]) == 1


@pytest.mark.parametrize("status", [None, 429, 502])
def test_announcing_from_an_unreachable_server_is_503(
    client: CheckedClient,
    tokens: Tokens,
    app: Gatekeeper,
    monkeypatch: pytest.MonkeyPatch,
    status: int | None,
) -> None:
    def unreachable(location: str, **kwargs: object) -> None:
        raise FetchError(f"{location}/compose/metadata/composeinfo.json: refused", status)

    monkeypatch.setattr(app, "import_compose", unreachable)
    body = {"location": "http://composes.example.org/x"}
    response = client.post(f"{API}/composes", json=body, headers=tokens.auth("admin"))
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert "composes.example.org/x" in response.json()["detail"]


def test_announcing_a_path_too_long_for_the_system_is_422(
    client: CheckedClient, tokens: Tokens
) -> None:
    body = {"location": "/srv/" + "c" * 300}
    response = client.post(f"{API}/composes", json=body, headers=tokens.auth("admin"))
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"
    assert "cannot be looked up: " in response.json()["detail"]
