"""ASGI middleware: the request body cap, a URL holding a NUL character refused (no
store keeps one in text: PostgreSQL refuses it), and per request one log line, one latency
observation, and a JSON 500 for any unexpected exception (logged with its traceback;
the server keeps serving).

The cap is enforced while the body is read: a ``Content-Length`` over it is refused
before reading, and a chunked (or lying) body is cut off at the first byte over it.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gatekeeper.api.metrics import ApiMetrics

log = logging.getLogger("gatekeeper.api")
access = logging.getLogger("gatekeeper.api.access")


def too_large(limit: int) -> str:
    return f"the request body is over the {limit}-byte limit ([api] max_body_bytes)"


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


NUL_IN_URL = "the URL holds a NUL character (%00): no compose, testcase or value has one"


class NoNulUrl:
    """Refuse with 400 a path or query string holding a NUL character (``%00``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = bytes(scope.get("query_string", b"")).lower()
            path = str(scope.get("path", ""))
            if "\x00" in path or b"%00" in query or b"\x00" in query:
                await _send_json(send, 400, {"error": "bad_request", "detail": NUL_IN_URL})
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit or declared < 0:
                    status, kind = (413, "payload_too_large") if declared > limit else (
                        400, "bad_request")  # fmt: skip
                    detail = too_large(limit) if status == 413 else "invalid Content-Length"
                    await _send_json(send, status, {"error": kind, "detail": detail})
                    return
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # FastAPI re-raises an HTTPException met while reading the body
                    raise HTTPException(413, too_large(limit))
            return message

        await self.app(scope, capped, send)


class Observe:
    """Log each request as ``key=value`` pairs, time it by route template, and turn an
    unexpected exception into a JSON 500."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        started = False

        async def observed(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = int(message["status"]), True
            await send(message)

        try:
            await self.app(scope, receive, observed)
        except Exception:
            log.exception("unexpected error: method=%s path=%s", scope["method"], scope["path"])
            status = 500
            if not started:
                await _send_json(
                    send,
                    500,
                    {"error": "internal_error", "detail": "an unexpected error; it is logged"},
                )
        finally:
            elapsed = time.perf_counter() - start
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.latency.labels(scope["method"], route, str(status)).observe(elapsed)
            actor = (scope.get("state") or {}).get("actor", "-")
            access.info(
                "method=%s path=%s route=%s status=%d duration_ms=%.1f actor=%s",
                scope["method"],
                scope["path"],
                route,
                status,
                elapsed * 1000,
                actor,
            )
