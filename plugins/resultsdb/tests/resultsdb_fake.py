"""A loopback ResultsDB speaking API v2.0's documented JSON (test helper of gatekeeper-resultsdb).

The fake follows resultsdb's ``controllers/api_v2.py`` and ``serializers/api_v2.py``: results
newest first, ``page`` (from 0) and ``limit`` (default 20), ``prev``/``next`` links made from
the request URL, any unknown query parameter filtering on extra data (comma = OR, ``:like``
with ``*``), extra data serialised as lists, and errors as ``{"message": ...}`` with 4xx/5xx.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from gatekeeper.service import Gatekeeper

CID = "CentOS-Stream-9-20261124.0"
OTHER = "CentOS-Stream-9-20261125.n.0"
API = "/api/v2.0"
OUTCOMES = ("PASSED", "INFO", "FAILED", "NEEDS_INSPECTION", "QUEUED", "RUNNING", "ERROR", "CRASHED")
KNOWN_ARGS = {
    "page",
    "limit",
    "since",
    "outcome",
    "groups",
    "_sort",
    "testcases",
    "testcases:like",
    "callback",
    "_",
}
RE_PAGE = re.compile(r"([?&])page=([0-9]+)")

RDO = """\
team: rdo
owns: ["rdo.*"]
reporters:
  users: [rdo-ci-bot]
applies_to:
  products: ["CentOS-Stream-*"]
gates:
  - testcase: rdo.tempest.smoke
    arches: [x86_64, aarch64]
    scenario: packstack
"""
IDM = """\
team: idm
owns: ["idm.*"]
applies_to:
  products: ["CentOS-Stream-*"]
gates:
  - testcase: idm.sssd.smoke
    arches: [x86_64]
"""


class FakeResultsDB:
    """ResultsDB API v2.0 on 127.0.0.1: GET /results (filters, pages), GET /results/<id>,
    POST /results; ``fail_next`` queues error answers for the next GETs of /results."""

    def __init__(self) -> None:
        self.results: list[dict[str, Any]] = []
        self.requests: list[str] = []
        self._failures: list[tuple[int, bytes, float]] = []
        self._lock = threading.Lock()
        self._clock = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # before the app's clock (gk_clock)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = self.base + API
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def start(self) -> FakeResultsDB:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- test set-up ---------------------------------------------------------------------
    def add(
        self,
        testcase: str,
        outcome: str = "PASSED",
        *,
        data: Mapping[str, Any] | None = None,
        ref_url: str | None = None,
        note: str | None = "",
        submit_time: datetime | None = None,
    ) -> dict[str, Any]:
        """Store a result as if POSTed; returns its serialisation."""
        with self._lock:
            if submit_time is None:
                self._clock += timedelta(minutes=1)
                submit_time = self._clock
            rid = len(self.results) + 1
            result = {
                "id": rid,
                "groups": [f"00000000-0000-0000-0000-{rid:012d}"],
                "testcase": {
                    "name": testcase,
                    "ref_url": None,
                    "href": f"{self.url}/testcases/{testcase}",
                },
                "submit_time": submit_time.astimezone(UTC).replace(tzinfo=None).isoformat(),
                "outcome": outcome,
                "note": note,
                "ref_url": ref_url,
                "data": {str(k): _as_list(v) for k, v in (data or {}).items()},
                "href": f"{self.url}/results/{rid}",
            }
            self.results.append(result)
            return result

    def add_conventions(
        self, testcase: str, outcome: str = "PASSED", compose: str = CID, **data: Any
    ) -> dict[str, Any]:
        """A result keyed the resultsdb_conventions way: ``productmd.compose.id``."""
        return self.add(
            testcase,
            outcome,
            data={"productmd.compose.id": compose, "type": "compose", "item": compose, **data},
        )

    def add_v3(
        self, testcase: str, outcome: str = "PASSED", compose: str = CID, **data: Any
    ) -> dict[str, Any]:
        """A result the ResultsDB v3 way: ``type=productmd-compose``, ``item`` = id and
        ``<id>/<variant>/<arch>``."""
        variant = data.get("system_variant", "unknown")
        item = [f"{compose}/{variant}/{data.get('system_architecture', '')}", compose]
        return self.add(
            testcase,
            outcome,
            data={"type": "productmd-compose", "item": item, "ci_team": "team1", **data},
        )

    def fail_next(
        self, status: int, body: Any = None, *, count: int = 1, delay: float = 0.0
    ) -> None:
        """The next ``count`` GETs of /results answer ``status`` with ``body`` (a JSON value,
        or bytes sent as they are; default ResultsDB's message for the status)."""
        if body is None:
            body = {"message": {404: "Not found", 400: "Bad request"}.get(status, "Internal error")}
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        with self._lock:
            self._failures.extend([(status, raw, delay)] * count)

    def result_gets(self) -> list[str]:
        return [r for r in self.requests if r.startswith(f"GET {API}/results")]

    # -- the API -------------------------------------------------------------------------
    def get(self, path: str, query: str, host: str) -> tuple[int, Any, float]:
        self.requests.append(f"GET {path}" + (f"?{query}" if query else ""))
        if path == f"{API}/results":
            with self._lock:
                failure = self._failures.pop(0) if self._failures else None
            if failure is not None:
                return failure
            return self._list(query, f"{host}{path}" + (f"?{query}" if query else ""))
        found = re.fullmatch(rf"{re.escape(API)}/results/(\d+)", path)
        if found:
            rid = int(found.group(1))
            for result in self.results:
                if result["id"] == rid:
                    return 200, result, 0.0
            return 404, {"message": "Result not found"}, 0.0
        return 404, {"message": "Not found"}, 0.0

    def _list(self, query: str, url: str) -> tuple[int, Any, float]:
        args: dict[str, list[str]] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            args.setdefault(key, []).append(value)
        try:
            page = int(args.get("page", ["0"])[0])
            limit = int(args.get("limit", ["20"])[0])
        except ValueError as exc:
            return 400, {"message": {"page/limit": str(exc)}}, 0.0
        rows = sorted(self.results, key=lambda r: (r["submit_time"], r["id"]), reverse=True)
        testcases = _split(args.get("testcases", []))
        if testcases:
            rows = [r for r in rows if r["testcase"]["name"] in testcases]
        outcomes = [o.upper() for o in _split(args.get("outcome", []))]
        if outcomes:
            rows = [r for r in rows if r["outcome"] in outcomes]
        for key, raw in args.items():
            if key in KNOWN_ARGS:
                continue
            wanted = _split(raw)
            name, _, modifier = key.partition(":")
            if modifier == "like":
                rows = [
                    r
                    for r in rows
                    if any(fnmatchcase(v, w) for w in wanted for v in r["data"].get(name, []))
                ]
            else:
                rows = [r for r in rows if set(wanted) & set(r["data"].get(name, []))]
        chunk = rows[page * limit : page * limit + limit + 1]
        prev, nxt = _prev_next(url, page, len(chunk) > limit)
        return 200, {"prev": prev, "next": nxt, "data": chunk[:limit]}, 0.0

    def post(self, path: str, body: bytes) -> tuple[int, Any]:
        self.requests.append(f"POST {path}")
        if path != f"{API}/results":
            return 404, {"message": "Not found"}
        try:
            args = json.loads(body)
        except ValueError as exc:
            return 400, {"message": f"Malformed Request: {exc}"}
        outcome = str(args.get("outcome") or "").strip().upper()
        if outcome not in OUTCOMES:
            return 400, {"message": f"outcome must be one of {OUTCOMES!r}"}
        testcase = args.get("testcase")
        name = testcase.get("name") if isinstance(testcase, dict) else testcase
        if not name:
            return 400, {"message": "testcase name not set"}
        data = args.get("data") or {}
        bad = [k for k in data if ":" in k]
        if bad:
            return 400, {"message": f"Colon not allowed in key name: {bad!r}"}
        result = self.add(
            name, outcome, data=data, ref_url=args.get("ref_url"), note=args.get("note")
        )
        return 201, result


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _prev_next(url: str, page: int, more: bool) -> tuple[str | None, str | None]:
    """As resultsdb's ``prev_next_urls``: the request URL with ``page`` set."""
    mark = "PAGE_PLACEHOLDER"
    found = RE_PAGE.search(url)
    if found is None:
        base = f"{url}{'&' if '?' in url else '?'}page={mark}"
    else:
        base = RE_PAGE.sub(rf"\1page={mark}", url)
    prev = base.replace(mark, str(page - 1)) if page > 0 else None
    nxt = base.replace(mark, str(page + 1)) if more else None
    return prev, nxt


def _handler(fake: FakeResultsDB) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any) -> None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            status, body, delay = fake.get(parts.path, parts.query, fake.base)
            if delay:
                time.sleep(delay)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client gave up
                self._send(status, body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, body = fake.post(urlsplit(self.path).path, self.rfile.read(length))
            self._send(status, body)

    return Handler


def configure(app: Gatekeeper, url: str | None, **options: Any) -> Gatekeeper:
    """Put a ``[resultsdb]`` section into the app's settings (fast retries for tests)."""
    section = {"retries": 1, "backoff": 0.0, "timeout": 5, **options}
    if url is not None:
        section["url"] = url
    app.settings = replace(app.settings, sections={"resultsdb": section})
    return app
