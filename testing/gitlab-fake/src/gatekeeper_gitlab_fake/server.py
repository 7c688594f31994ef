"""The HTTP side: routing, authentication, pagination, fault injection and the request log.

Routes are registered by the ``routes_*`` modules with :func:`route`. A handler receives a
:class:`Request` and returns a :class:`Response` or raises :class:`ApiError`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode

from .faults import Faults, RequestRecord
from .model import ApiError, Store, User

API_PREFIX = "/api/v4"


@dataclass
class Request:
    method: str
    path: str  # below /api/v4, still URL-encoded
    params: dict[str, str]  # path parameters, decoded
    query: dict[str, Any]
    body: dict[str, Any]
    user: User
    store: Store

    def arg(self, name: str, default: Any = None) -> Any:
        """A parameter from the body, else the query string (GitLab accepts both)."""
        if name in self.body:
            return self.body[name]
        return self.query.get(name, default)

    def required(self, name: str) -> Any:
        value = self.arg(name)
        if value is None or value == "":
            raise ApiError(400, f"{name} is missing", key="error")
        return value


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


Handler = Callable[[Request], Response]
ROUTES: list[tuple[str, list[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register a handler for ``pattern`` (``/projects/{id}/labels``), segments matched whole.

    A trailing ``{name*}`` takes the rest of the path (file paths are URL-encoded anyway).
    """

    def register(handler: Handler) -> Handler:
        ROUTES.append((method, pattern.strip("/").split("/"), handler))
        return handler

    return register


def match(method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
    segments = path.strip("/").split("/")
    path_known = False
    for verb, parts, handler in ROUTES:
        params = _match_parts(parts, segments)
        if params is None:
            continue
        path_known = True
        if verb == method:
            return handler, params
    if path_known:
        raise ApiError(405, "405 Method Not Allowed")
    return None


def _match_parts(parts: list[str], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for i, part in enumerate(parts):
        if part.endswith("*}"):
            if i >= len(segments):
                return None
            params[part[1:-2]] = unquote("/".join(segments[i:]))
            return params
        if i >= len(segments):
            return None
        if part.startswith("{"):
            params[part[1:-1]] = unquote(segments[i])
        elif part != segments[i]:
            return None
    return params if len(parts) == len(segments) else None


def paginate(request: Request, items: list[Any], base_url: str) -> Response:
    """GitLab's offset pagination: page/per_page, X-* headers and a Link header."""
    try:
        page = max(1, int(request.query.get("page", 1)))
        per_page = min(100, max(1, int(request.query.get("per_page", 20))))
    except ValueError as exc:
        raise ApiError(400, "page is invalid", key="error") from exc
    total = len(items)
    pages = max(1, -(-total // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    headers = {
        "X-Page": str(page),
        "X-Per-Page": str(per_page),
        "X-Total": str(total),
        "X-Total-Pages": str(pages),
        "X-Next-Page": str(page + 1) if page < pages else "",
        "X-Prev-Page": str(page - 1) if page > 1 else "",
    }
    url = f"{base_url}{API_PREFIX}{request.path}"

    def link(to: int, rel: str) -> str:
        query = {k: v for k, v in request.query.items() if k not in ("page", "per_page")}
        query.update(page=to, per_page=per_page)
        return f'<{url}?{urlencode(query, doseq=True)}>; rel="{rel}"'

    links = []
    if page > 1:
        links.append(link(page - 1, "prev"))
    if page < pages:
        links.append(link(page + 1, "next"))
    links += [link(1, "first"), link(pages, "last")]
    headers["Link"] = ", ".join(links)
    return Response(200, chunk, headers)


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, store: Store, faults: Faults) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.store = store
        self.faults = faults
        self.log: list[RequestRecord] = []
        self.log_lock = threading.Lock()
        store.base_url = f"http://127.0.0.1:{self.server_address[1]}"

    def record(self, entry: RequestRecord) -> None:
        with self.log_lock:
            self.log.append(entry)


def _parse_query(raw: str) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for key, values in parse_qs(raw, keep_blank_values=True).items():
        if key.endswith("[]"):
            query[key[:-2]] = values
        else:
            query[key] = values[-1]
    return query


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeServer
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is the fake's record."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _read_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        if "json" in (self.headers.get("Content-Type") or ""):
            return json.loads(raw)
        return _parse_query(raw.decode())

    def _handle(self, method: str) -> None:
        store, server = self.server.store, self.server
        raw_path, _, raw_query = self.path.partition("?")
        path = raw_path[len(API_PREFIX) :] if raw_path.startswith(API_PREFIX) else raw_path
        query = _parse_query(raw_query)
        try:
            body = self._read_body()
        except (ValueError, UnicodeDecodeError):
            body = None
        token = self.headers.get("PRIVATE-TOKEN")
        auth = self.headers.get("Authorization") or ""
        if not token and auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        with store.lock:
            user = store.user_for_token(token)
        fault = server.faults.take(method, path)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
        if fault is not None and fault.kind in ("error", "rate_limit"):
            status = fault.status if fault.kind == "error" else 429
            text = "429 Too Many Requests" if status == 429 else _reason(status)
            headers = {"Retry-After": str(fault.retry_after)} if status == 429 else {}
            response = Response(status, {"message": text}, headers)
        else:
            response = self._dispatch(method, path, query, body, user)
        username = user.username if user else None
        dropped = fault is not None and fault.kind == "drop_response"
        server.record(
            RequestRecord(
                method,
                path,
                query,
                body,
                0 if dropped else response.status,
                username,
                fault.kind if fault else None,
            )
        )
        if dropped:
            self.close_connection = True
            return
        self._send(response)

    def _dispatch(
        self, method: str, path: str, query: dict[str, Any], body: Any, user: User | None
    ) -> Response:
        store = self.server.store
        try:
            found = match(method, path)
            if found is None:
                raise ApiError(404, "404 Not Found", key="error")
            if user is None:
                raise ApiError(401, "401 Unauthorized")
            if body is None or not isinstance(body, dict):
                raise ApiError(400, "400 Bad request - invalid JSON body", key="error")
            handler, params = found
            with store.lock:
                return handler(Request(method, path, params, query, body, user, store))
        except ApiError as exc:
            return Response(exc.status, exc.body)

    def _send(self, response: Response) -> None:
        if response.raw is not None:
            payload, ctype = response.raw, "text/plain; charset=utf-8"
        elif response.status == 204:
            payload, ctype = b"", "application/json"
        else:
            payload, ctype = json.dumps(response.body).encode(), "application/json"
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def _reason(status: int) -> str:
    return f"{status} {BaseHTTPRequestHandler.responses.get(status, ('Error',))[0]}"
