"""The API behind a real uvicorn server on a loopback port, driven by httpx: streamed bodies
and concurrent writers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import httpx
import pytest
import uvicorn
from apihelpers import API, CID, Tokens

from gatekeeper.api import create_app
from gatekeeper.service import Gatekeeper

RESULTS = f"{API}/composes/{CID}/results"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(app: Gatekeeper) -> Iterator[str]:
    """The application served by uvicorn in a thread; yields its base URL."""
    app.settings = replace(app.settings, sections={"api": {"max_body_bytes": 4096}})
    port = _free_port()
    config = uvicorn.Config(
        create_app(app),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


def test_a_chunked_upload_over_the_cap_is_cut_off(server: str, tokens: Tokens) -> None:
    def body() -> Iterator[bytes]:
        yield b"["
        for _ in range(20):
            yield b" " * 500

    with httpx.Client(base_url=server, timeout=10) as http:
        response = http.post(RESULTS, content=body(), headers=tokens.auth("rdo"))
        assert "content-length" not in response.request.headers
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large"
        assert http.get(RESULTS).json()["items"] == []


def test_a_chunked_multipart_upload_over_the_cap_is_cut_off(server: str, tokens: Tokens) -> None:
    boundary = "b0undary"

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="results.xml"\r\n\r\n<testsuite>'
        ).encode()
        for _ in range(20):
            yield b" " * 500
        yield f"</testsuite>\r\n--{boundary}--\r\n".encode()

    headers = {**tokens.auth("rdo"), "Content-Type": f"multipart/form-data; boundary={boundary}"}
    with httpx.Client(base_url=server, timeout=10) as http:
        response = http.post(f"{RESULTS}/junit?namespace=rdo", content=body(), headers=headers)
        assert "content-length" not in response.request.headers
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large"
        assert http.get(RESULTS).json()["items"] == []


def test_a_declared_length_over_the_cap_is_refused_before_reading(
    server: str, tokens: Tokens
) -> None:
    host, port = server.removeprefix("http://").split(":")
    request = (
        f"POST {RESULTS} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 999999\r\n"
        f"Authorization: Bearer {tokens.rdo}\r\nConnection: close\r\n\r\n["
    )
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request.encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b'"payload_too_large"' in answer


def test_concurrent_writers_keep_every_result_and_gapless_versions(
    server: str, tokens: Tokens, app: Gatekeeper
) -> None:
    writers, posts = 8, 25

    def write(writer: int) -> list[int]:
        statuses = []
        with httpx.Client(base_url=server, timeout=60, headers=tokens.auth("rdo")) as http:
            for n in range(posts):
                outcome = "PASSED" if (writer + n) % 2 else "FAILED"
                body = [
                    {
                        "testcase": "rdo.smoke",
                        "arch": "x86_64",
                        "outcome": outcome,
                        "id": f"{writer}-{n}",
                    }
                ]
                statuses.append(http.post(RESULTS, json=body).status_code)
        return statuses

    with ThreadPoolExecutor(writers) as pool:
        statuses = [s for batch in pool.map(write, range(writers)) for s in batch]
    assert statuses == [200] * writers * posts
    with httpx.Client(base_url=server, timeout=30) as http:
        stored = http.get(f"{RESULTS}?limit=1000").json()["items"]
        history = http.get(f"{API}/composes/{CID}/decisions").json()
        shown = http.get(f"{API}/composes/{CID}").json()
    assert len(stored) == len({r["id"] for r in stored}) == writers * posts
    versions = [h["version"] for h in history]
    assert versions == list(range(1, len(versions) + 1))
    assert shown["decision_version"] == versions[-1]
