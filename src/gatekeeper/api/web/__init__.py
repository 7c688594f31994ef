"""The dashboard: server-rendered pages under ``/`` over the service's read views.

``install(api, app)`` adds the pages (:mod:`gatekeeper.api.web.routes`) and serves the
package's static files under ``/static`` (its own CSS and JavaScript: no build step, no
CDN; every page works without JavaScript). Templates live in ``templates/`` and are
rendered by :func:`gatekeeper.api.web.render.render`, with autoescape on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.staticfiles import StaticFiles

from gatekeeper.api.web import routes

if TYPE_CHECKING:
    from fastapi import FastAPI

    from gatekeeper.service import Gatekeeper


def install(api: FastAPI, app: Gatekeeper) -> None:
    """Serve the dashboard's pages and static files from ``api``."""
    api.include_router(routes.router(app))
    api.mount("/static", StaticFiles(packages=[("gatekeeper.api.web", "static")]), name="static")


__all__ = ["install"]
