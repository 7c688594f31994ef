"""The dashboard: server-rendered pages under ``/`` over the service's read views.

``install(api, app)`` adds the pages (:mod:`gatekeeper.api.web.routes`) and serves the
package's static files under ``/static`` (its own CSS and JavaScript: no build step, no
CDN; every page works without JavaScript). Templates live in ``templates/`` and are
rendered by :func:`gatekeeper.api.web.render.render`, with autoescape on. When the server
starts, before it answers, the templates are compiled and the first pages rendered once
(:func:`gatekeeper.api.web.routes.warm`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from gatekeeper.api.web import routes

if TYPE_CHECKING:
    from fastapi import FastAPI

    from gatekeeper.service import Gatekeeper


def install(api: FastAPI, app: Gatekeeper) -> None:
    """Serve the dashboard's pages and static files from ``api``; warm them at start."""
    api.include_router(routes.router(app))
    api.mount("/static", StaticFiles(packages=[("gatekeeper.api.web", "static")]), name="static")
    serving: Callable[[Any], AbstractAsyncContextManager[Any]] = api.router.lifespan_context

    @asynccontextmanager
    async def warmed(asgi: Any) -> AsyncIterator[Any]:
        await run_in_threadpool(routes.warm, app)  # before the first request is taken
        async with serving(asgi) as state:
            yield state

    api.router.lifespan_context = warmed


__all__ = ["install"]
