"""Every error as JSON ``{"error": kind, "detail": message}`` with its 4xx status.

A :class:`~gatekeeper.errors.GatekeeperError` keeps its located message (``str(exc)``);
an :class:`~gatekeeper.errors.ErrorGroup` lists each one in ``errors`` too. FastAPI's
validation errors, unknown routes and methods answer in the same shape. Unexpected
exceptions are caught by :mod:`gatekeeper.api.middleware` (500, logged).

Errors of the layers below arrive as gatekeeper's own: a value the store refuses
(:class:`~gatekeeper.errors.StoreRefused`: a NUL character in text on PostgreSQL, a number
out of range) is 422 and nothing is stored; a store that cannot be reached
(:class:`~gatekeeper.errors.StoreUnavailable`) is 503; a compose location that cannot be
fetched (:class:`~gatekeeper.errors.FetchError`) is 503 when the server is
unreachable or failing (a later try may work), else 422.

An answer repeats at most :data:`MAX_MESSAGE_CHARS` of a message (the value it quotes may be
a megabyte long), and writes a lone surrogate it quotes as JSON's ``\\uD800`` escape, as the
request had it (UTF-8 has none). A JSON body FastAPI cannot read says why, at ``<request
body>``: nested too deep, a number no JSON reader holds, not UTF-8.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gatekeeper.api.models import ErrorBody
from gatekeeper.errors import (
    ConfigError,
    Conflict,
    ErrorGroup,
    FetchError,
    GatekeeperError,
    NoPolicyApplies,
    NotFound,
    Unauthorized,
    Unavailable,
)

# (status, kind) per error class; the first class the error is an instance of wins
_STATUS: tuple[tuple[type[GatekeeperError], int, str], ...] = (
    (NotFound, 404, "not_found"),
    (Unauthorized, 403, "forbidden"),
    (Conflict, 409, "conflict"),
    (NoPolicyApplies, 422, "no_policy_applies"),
    (ConfigError, 500, "server_misconfigured"),
    (Unavailable, 503, "unavailable"),
)
_HTTP_KINDS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    500: "internal_error",
    503: "unavailable",
}


BODY = "<request body>"
MAX_MESSAGE_CHARS = 1_000
"""The characters of one message an answer repeats: its beginning and its end."""


class Unparseable(GatekeeperError):
    """A request body that cannot be read at all (not UTF-8, not JSON): 400."""


class UnsupportedMedia(GatekeeperError):
    """A body (or a form's file part) declared as a type no parser reads: 415."""


class JSONText(JSONResponse):
    """A JSON answer that can repeat a lone surrogate of the request (as ``\\ud800``)."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, allow_nan=False, separators=(",", ":")).encode()


def shorten(message: str) -> str:
    """``message``, or its beginning and end when it is over :data:`MAX_MESSAGE_CHARS`."""
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    left = len(message) - 600
    return f"{message[:400]} ... ({left:,} characters left out) ... {message[-200:]}"


def http_detail(exc: StarletteHTTPException) -> str:
    """An HTTP error's message; FastAPI's 'There was an error parsing the body' says why."""
    cause = exc.__cause__
    if exc.status_code == 400 and isinstance(cause, RecursionError):
        return f"{BODY}: malformed JSON: arrays and objects nested too deep to read"
    if exc.status_code == 400 and isinstance(cause, UnicodeDecodeError):
        return f"{BODY}: not UTF-8 text (byte {cause.start})"
    if exc.status_code == 400 and isinstance(cause, ValueError):  # int('9' * 5000)
        return f"{BODY}: a number JSON readers cannot hold ({str(cause).split(';')[0]})"
    return shorten(exc.detail if isinstance(exc.detail, str) else str(exc.detail))


def error_response(
    status: int,
    kind: str,
    detail: str,
    errors: list[str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The error answer; ``errors``, when given, are the messages ``detail`` joins."""
    if errors is not None:
        errors = [shorten(e) for e in errors]
        detail = "\n".join(errors)
    body: dict[str, Any] = {"error": kind, "detail": shorten(detail) if errors is None else detail}
    if errors is not None:
        body["errors"] = errors
    return JSONText(body, status_code=status, headers=dict(headers or {}))


def gatekeeper_error(exc: GatekeeperError) -> JSONResponse:
    if isinstance(exc, Unparseable):
        return error_response(400, "bad_request", str(exc))
    if isinstance(exc, UnsupportedMedia):
        return error_response(415, "unsupported_media_type", str(exc))
    if isinstance(exc, FetchError):
        return fetch_failed(exc)
    status, kind = 422, "invalid_input"
    for cls, code, name in _STATUS:
        if isinstance(exc, cls):
            status, kind = code, name
            break
    if isinstance(exc, ErrorGroup):
        messages = [str(e) for e in exc.errors]
        return error_response(status, kind, "\n".join(messages), messages)
    return error_response(status, kind, str(exc))


def fetch_failed(exc: FetchError) -> JSONResponse:
    """503 when the compose's server is unreachable, rate-limiting or failing; else 422."""
    if exc.transient:
        return error_response(503, "unavailable", f"cannot fetch the compose now: {exc}")
    return error_response(422, "invalid_input", f"cannot fetch the compose: {exc}")


def _location(loc: Any) -> str:
    return ".".join(str(part) for part in loc)


def install(api: FastAPI) -> None:
    """Register the handlers on the application."""

    async def on_gatekeeper_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, GatekeeperError)
        return gatekeeper_error(exc)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        messages = [f"{_location(e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors()]
        bad_json = any(e.get("type") == "json_invalid" for e in exc.errors())
        if bad_json:
            return error_response(400, "bad_request", "\n".join(messages), messages)
        return error_response(422, "invalid_input", "\n".join(messages), messages)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        kind = _HTTP_KINDS.get(exc.status_code, "error")
        return error_response(exc.status_code, kind, http_detail(exc), headers=exc.headers)

    api.add_exception_handler(GatekeeperError, on_gatekeeper_error)
    api.add_exception_handler(RequestValidationError, on_validation_error)
    api.add_exception_handler(StarletteHTTPException, on_http_error)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route's errors: each is an :class:`ErrorBody`."""
    return {s: {"model": ErrorBody, "description": _HTTP_KINDS[s]} for s in statuses}
