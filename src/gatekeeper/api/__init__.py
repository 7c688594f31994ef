"""The HTTP API (FastAPI): an adapter over :class:`gatekeeper.service.Gatekeeper`.

``create_app(app)`` builds the web application: routes under ``/api/v1/`` (composes,
results, waivers, known issues, reruns), ``/healthz``, ``/metrics``, the OpenAPI schema at
``/openapi.json``, the dashboard's pages under ``/`` with their static files under
``/static`` (:mod:`gatekeeper.api.web`), then lets plugins add theirs
(``gatekeeper_extend_api``).
``gatekeeper serve`` runs it.

Settings (``[api]`` of gatekeeper.toml): ``max_body_bytes`` (default 16 MiB); ``public_url``,
the address users reach the API at (compose MRs link their lockfiles there).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from gatekeeper.api import (
    compat_greenwave,
    compat_resultsdb,
    compat_waiverdb,
    errors,
    routes_composes,
    routes_ops,
    routes_results,
    routes_triage,
    web,
)
from gatekeeper.api.metrics import ApiMetrics
from gatekeeper.api.middleware import BodyLimit, NoNulUrl, Observe
from gatekeeper.api.models import ResultIn
from gatekeeper.api.openapi import refine
from gatekeeper.api.routes_results import CALLER_OPTIONS
from gatekeeper.errors import ConfigError
from gatekeeper.service import Gatekeeper

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024


def max_body_bytes(app: Gatekeeper) -> int:
    value = app.settings.section("api").get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"expected a positive number of bytes, got {value!r}",
            file=app.settings.source,
            key="api.max_body_bytes",
        )
    return value


def create_app(app: Gatekeeper) -> FastAPI:
    """The web application serving ``app``."""
    from importlib.metadata import version

    limit = max_body_bytes(app)
    api = FastAPI(
        title="gatekeeper",
        version=version("gatekeeper"),
        description="The Compose Gate of CentOS Stream as a merge request.",
        responses=errors.responses(400),  # any route: a URL holding a NUL character
    )
    metrics = ApiMetrics(app)
    api.state.gatekeeper = app
    api.state.metrics = metrics
    errors.install(api)
    api.include_router(routes_composes.router(app))
    api.include_router(routes_results.router(app, metrics))
    api.include_router(routes_triage.router(app))  # known issues, reruns (#17)
    api.include_router(routes_ops.router(app, metrics))
    api.include_router(compat_greenwave.router(app))  # Greenwave's POST /api/v1.0/decision
    api.include_router(compat_resultsdb.router(app))
    api.include_router(compat_waiverdb.router(app))  # WaiverDB's /api/v1.0/waivers/
    web.install(api, app)  # the dashboard: pages under /, static files under /static
    api.add_middleware(BodyLimit, limit=limit)
    api.add_middleware(NoNulUrl)
    api.add_middleware(Observe, metrics=metrics)  # outermost: sees every request
    _complete_schema(api, app)
    app.extend_api(api)
    return api


def _complete_schema(api: FastAPI, app: Gatekeeper) -> None:
    """Add the schemas only referred to from ``openapi_extra`` (the JSON upload's items),
    and make the parameters' schemas exact (:func:`gatekeeper.api.openapi.refine`)."""
    build = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            schema = build()
            found = ResultIn.model_json_schema(ref_template="#/components/schemas/{model}")
            schema.setdefault("components", {}).setdefault("schemas", {})["ResultIn"] = found
            api.openapi_schema = refine(schema, app.result_formats, CALLER_OPTIONS)
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]


__all__ = ["create_app"]
