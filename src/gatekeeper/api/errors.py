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
"""

from __future__ import annotations

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


class Unparseable(GatekeeperError):
    """A request body that cannot be read at all (not UTF-8, not JSON): 400."""


def error_response(
    status: int,
    kind: str,
    detail: str,
    errors: list[str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"error": kind, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def gatekeeper_error(exc: GatekeeperError) -> JSONResponse:
    if isinstance(exc, Unparseable):
        return error_response(400, "bad_request", str(exc))
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
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return error_response(exc.status_code, kind, detail, headers=exc.headers)

    api.add_exception_handler(GatekeeperError, on_gatekeeper_error)
    api.add_exception_handler(RequestValidationError, on_validation_error)
    api.add_exception_handler(StarletteHTTPException, on_http_error)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route's errors: each is an :class:`ErrorBody`."""
    return {s: {"model": ErrorBody, "description": _HTTP_KINDS[s]} for s in statuses}
