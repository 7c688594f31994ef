"""The dashboard's routes: HTML pages rendered from the service's read views.

``GET /`` (the composes; ``product``, ``state``, ``verdict``, ``limit``, ``offset``),
``GET /composes/{id}`` (the gate; ``q`` searches its build diff),
``GET /composes/{id}/mr`` (the merge request), ``GET /teams/{team}``,
``GET /known-issues`` (every known issue and the composes it waived) and
``GET /composes/{id}/version`` (``{"version": n}``, what the open page polls). Every page
reads only: nothing a GET here does is recorded. An unknown compose or team is a 404
page; a bad filter a 400 page naming it.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from gatekeeper.api.errors import gatekeeper_error
from gatekeeper.api.web.matrix import matrix_body, suspects_body
from gatekeeper.api.web.pages import (
    DEFAULT_LIMIT,
    STATES,
    SYMBOLS,
    VERDICTS,
    build_rows,
    history_items,
    list_query,
    paging,
    suspect_lists,
)
from gatekeeper.api.web.render import render
from gatekeeper.errors import GatekeeperError
from gatekeeper.service import Gatekeeper
from gatekeeper.service.views import ComposeView

POLL_MS = 2000
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
    suspects = suspect_lists(view)
    return render(
        "compose.html",
        view=view,
        q=search,
        builds=build_rows(view.diff, search),
        build_total=sum(view.diff.counts.values()),
        suspects=suspects,
        matrix_body=matrix_body(view.matrix, suspects),
        suspects_body=suspects_body(suspects),
        history=history_items(view),
        poll_ms=POLL_MS,
    )


def router(app: Gatekeeper) -> APIRouter:
    web = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

    @web.get("/")
    def composes(request: Request) -> HTMLResponse:
        def build() -> str:
            query = list_query(dict(request.query_params))
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

        return html(build)

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
        """The compose's latest decision version (an unknown compose: the API's 404)."""
        found = app.dashboard.decision_version(compose_id)
        return JSONResponse({"version": found}, headers={"Cache-Control": "no-store"})

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


__all__ = ["compose_page", "error_page", "router"]
