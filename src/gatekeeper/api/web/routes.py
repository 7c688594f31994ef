"""The dashboard's routes: HTML pages rendered from the service's read views.

``GET /`` (the composes; ``product``, ``state``, ``verdict``, ``limit``, ``offset``),
``GET /composes/{id}`` (the gate; ``q`` searches its build diff),
``GET /composes/{id}/mr`` (the merge request), ``GET /teams/{team}``,
``GET /known-issues`` (every known issue and the composes it waived) and
``GET /composes/{id}/version`` (``{"version": n, "revision": "..."}``, what the open page
polls: the page follows its ``revision``). Every page
reads only: nothing a GET here does is recorded. An unknown compose or team is a 404
page; a bad filter a 400 page naming it.

:func:`warm` renders the list and the newest composes' pages once when the service starts,
before it answers (:func:`gatekeeper.api.web.install`): the templates are compiled and
those pages' read models kept, so the first person to open one after a restart does not
wait for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from gatekeeper.api.errors import gatekeeper_error
from gatekeeper.api.web.matrix import drawn
from gatekeeper.api.web.pages import (
    DEFAULT_LIMIT,
    STATES,
    SYMBOLS,
    VERDICTS,
    blockers,
    build_rows,
    history_items,
    list_query,
    paging,
)
from gatekeeper.api.web.render import environment, render
from gatekeeper.errors import GatekeeperError
from gatekeeper.service import Gatekeeper
from gatekeeper.service.views import ComposeView

log = logging.getLogger("gatekeeper.api.web")

POLL_MS = 2000
WARM_COMPOSES = 4  # the newest composes whose pages are rendered before the service answers
COMPOSES_SHOWN = 20  # per known issue; its count says how many there are
MAX_QUERY_CHARS = 200  # the build search: longer text cannot be part of a name or NVR
SECURITY_HEADERS = {
    # the pages load only their own static files; nothing from a report can run
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}
TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 409: "Conflict",
          422: "Cannot show this", 503: "Unavailable"}  # fmt: skip


def error_page(exc: GatekeeperError) -> HTMLResponse:
    """The HTML twin of the API's JSON error: the same status and message."""
    status = gatekeeper_error(exc).status_code
    if status == 422:  # a bad query string is the client's request, not its data
        status = 400
    heading = TITLES.get(status, "Something went wrong")
    body = render("error.html", heading=heading, message=str(exc))
    return HTMLResponse(body, status, headers=SECURITY_HEADERS)


def html(build: Callable[[], str]) -> HTMLResponse:
    """Render a page; a gatekeeper error (an unknown compose, a bad filter) becomes its
    error page."""
    try:
        body = build()
    except GatekeeperError as exc:
        return error_page(exc)
    return HTMLResponse(body, headers=SECURITY_HEADERS)


def compose_page(view: ComposeView, q: str = "") -> str:
    """The compose page of ``view``, its build diff searched for ``q``."""
    search = q[:MAX_QUERY_CHARS]
    matrix = drawn(view)
    return render(
        "compose.html",
        view=view,
        q=search,
        builds=build_rows(view.diff, search),
        build_total=sum(view.diff.counts.values()),
        suspects=matrix.suspects,
        blocking=blockers(view, matrix.suspects),
        matrix_body=matrix.body,
        suspects_body=matrix.suspects_body,
        history=history_items(view),
        poll_ms=POLL_MS,
    )


def list_page(app: Gatekeeper, params: dict[str, str]) -> str:
    """The list of composes for these query parameters (a bad one: InputError)."""
    query = list_query(params)
    page = app.dashboard.composes(
        product=query.product, state=query.state, verdict=query.verdict,
        limit=query.limit, offset=query.offset,
    )  # fmt: skip
    prev_url, next_url = paging(query, page)
    filters = {"product": query.product, "state": query.state, "verdict": query.verdict}
    return render(
        "list.html",
        page=page,
        rows=page.items,
        products=app.dashboard.products(),
        filters=filters,
        any_filter=any(filters.values()),
        states=STATES,
        verdicts=VERDICTS,
        limit=query.limit,
        default_limit=DEFAULT_LIMIT,
        prev_url=prev_url,
        next_url=next_url,
    )


def warm(app: Gatekeeper, composes: int = WARM_COMPOSES) -> float:
    """Compile every template and render the list and the newest ``composes`` compose
    pages once (what they read is kept for the pages to come); the seconds it took. A
    page that cannot be rendered is logged and skipped: warming never stops a start."""
    start = time.perf_counter()
    env = environment()
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)
    try:
        list_page(app, {})
        for row in app.dashboard.composes(limit=composes).items:
            compose_page(app.dashboard.compose_view(row.id))
    except Exception:  # a page left cold is rendered when asked for
        log.exception("action=warm outcome=failed: the dashboard's first pages render cold")
    took = time.perf_counter() - start
    log.info("action=warm outcome=done composes=%d seconds=%.2f", composes, took)
    return took


def router(app: Gatekeeper) -> APIRouter:
    web = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

    @web.get("/")
    def composes(request: Request) -> HTMLResponse:
        return html(lambda: list_page(app, dict(request.query_params)))

    @web.get("/composes/{compose_id}")
    def compose(compose_id: str, q: str = "") -> HTMLResponse:
        def build() -> str:
            return compose_page(app.dashboard.compose_view(compose_id), q)

        return html(build)

    @web.get("/composes/{compose_id}/mr")
    def merge_request(compose_id: str) -> HTMLResponse:
        return html(lambda: render("mr.html", view=app.dashboard.merge_request_view(compose_id)))

    @web.get("/composes/{compose_id}/version", response_class=JSONResponse)
    def version(compose_id: str) -> JSONResponse:
        """The compose's latest decision version, and its page's revision: what can
        change on it without a new version, a waiver or a rerun request, counts too (an
        unknown compose: the API's 404)."""
        found = app.dashboard.decision_version(compose_id)
        revision = app.dashboard.revision(compose_id)
        return JSONResponse({"version": found, "revision": revision},
                            headers={"Cache-Control": "no-store"})  # fmt: skip

    @web.get("/teams/{team}")
    def team(team: str) -> HTMLResponse:
        return html(
            lambda: render("team.html", view=app.dashboard.team_view(team), symbols=SYMBOLS)
        )

    @web.get("/known-issues")
    def known_issues() -> HTMLResponse:
        return html(lambda: render("known_issues.html", view=app.dashboard.known_issues_view(),
                                   shown=COMPOSES_SHOWN))  # fmt: skip

    return web


__all__ = ["compose_page", "error_page", "list_page", "router", "warm"]
