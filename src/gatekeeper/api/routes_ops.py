"""Operations: ``/healthz`` (the store, and every check in ``app.health_checks``) and
``/metrics`` (Prometheus text)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from gatekeeper.api.metrics import CONTENT_TYPE, ApiMetrics, log
from gatekeeper.api.models import HealthOut
from gatekeeper.service import Gatekeeper


def health_checks(app: Gatekeeper) -> dict[str, Callable[[], None]]:
    """The store's check (a round trip) and the app's extra ones, by name. An extra check
    is a callable raising on failure, named by its ``__name__`` (e.g. the bus's)."""
    checks: dict[str, Callable[[], None]] = {"store": app.store.ping}
    for check in app.health_checks:
        name = getattr(check, "__name__", None) or type(check).__name__
        checks[name if name not in checks else f"{name}#{len(checks)}"] = check
    return checks


def router(app: Gatekeeper, metrics: ApiMetrics) -> APIRouter:
    api = APIRouter(tags=["operations"])

    @api.get(
        "/healthz",
        response_model=HealthOut,
        responses={503: {"model": HealthOut, "description": "a check failed"}},
    )
    def healthz() -> Any:
        """200 when the store (and every configured check, e.g. the bus) answers, else 503."""
        results: dict[str, str] = {}
        for name, check in health_checks(app).items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:
                log.warning("health check failed: check=%s error=%r", name, exc)
                results[name] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        healthy = all(v == "ok" for v in results.values())
        body = {"status": "ok" if healthy else "failing", "checks": results}
        return JSONResponse(body, status_code=200 if healthy else 503)

    @api.get(
        "/metrics",
        response_class=Response,
        responses={
            200: {
                "content": {"text/plain": {"schema": {"type": "string"}}},
                "description": "Prometheus text format",
            }
        },
    )
    def prometheus() -> Response:
        """Prometheus metrics (see :mod:`gatekeeper.api.metrics`)."""
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    return api
