"""ResultsDB's API v2.0, the part producers and readers use, under ``/api/v2.0/``.

``POST /results`` takes upstream's body (``outcome``, ``testcase`` as a name or ``{name,
ref_url}``, ``groups``, ``note``, ``ref_url``, ``data``, ``submit_time``) and answers 201
with the result as ResultsDB serialises it (``id``, ``href``, data values as lists). It
needs a token: ``Authorization: Bearer <token>``, HTTP basic with the token as the
password, or ``_auth_token`` in the body, which is where ``ResultsDBapi(url,
auth_token=TOKEN)`` puts it. ``GET /results``, ``/results/latest``, ``/results/{id}``,
``/testcases`` read every stored result (whatever door it came in by). Every refusal is
upstream's ``{"message": ...}`` with its status (bad input 400).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from starlette.exceptions import HTTPException

from gatekeeper.api.auth import bearer
from gatekeeper.api.errors import JSONText, gatekeeper_error, http_detail, shorten
from gatekeeper.api.models import ErrorBody
from gatekeeper.api.openapi import DATA_KEYS, EPOCH_MS, OUTCOME, constrain, replace, text
from gatekeeper.errors import GatekeeperError
from gatekeeper.limits import MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_URL_CHARS
from gatekeeper.model import Result
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.service.compat_resultsdb import (
    GROUP_INFO_KEY,
    GROUPS_KEY,
    RESERVED,
    SOURCE,
    TESTCASE_URL_KEY,
    strings,
)

PREFIX = "/api/v2.0"
QUERY_LIMIT = 20  # upstream's default page size
MAX_LIMIT = 1000
MAX_PAGE = 1_000_000  # page * limit stays within any store's integers
basic = HTTPBasic(auto_error=False, description="Any user name; the token as the password")


class Message(BaseModel):
    """A refusal, as ResultsDB words it."""

    message: str


NAME = constrain(string=text(MAX_NAME_CHARS, required=True))
URL = constrain(string=text(MAX_URL_CHARS))


class TestcaseIn(BaseModel):
    name: str = Field(json_schema_extra=NAME)
    ref_url: str | None = Field(None, json_schema_extra=URL)


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    uuid: str = Field(json_schema_extra=NAME)
    description: str | None = Field(None, json_schema_extra=constrain(string=text(MAX_TEXT_CHARS)))
    ref_url: str | None = Field(None, json_schema_extra=URL)


class ResultIn(BaseModel):
    """Upstream's ``create_result`` body; ``_auth_token`` is ``ResultsDBapi``'s token."""

    model_config = ConfigDict(populate_by_name=True)
    outcome: str = Field(json_schema_extra=replace(OUTCOME))
    testcase: str | TestcaseIn = Field(json_schema_extra=NAME)
    groups: list[Annotated[str, Field(json_schema_extra=NAME)] | GroupIn] | None = None
    note: str | None = Field(None, json_schema_extra=constrain(string=text(MAX_TEXT_CHARS)))
    ref_url: str | None = Field(None, json_schema_extra=URL)
    data: dict[str, Any] | None = Field(
        None,
        description="Extra data: a string or a list per key. productmd.compose.id (or type "
        "productmd-compose and item) names the compose; scenario, system_architecture, "
        "system_variant the rest of the result's key",
        json_schema_extra=constrain(object=DATA_KEYS),
    )
    submit_time: StrictInt | StrictStr | None = Field(
        None,
        description="Epoch milliseconds or ISO 8601",
        json_schema_extra=constrain(integer=EPOCH_MS),
    )
    auth_token: str | None = Field(None, alias="_auth_token")


class TestcaseOut(BaseModel):
    name: str
    ref_url: str | None
    href: str


class ResultOut(BaseModel):
    id: int
    testcase: TestcaseOut
    outcome: str
    note: str | None
    ref_url: str | None
    submit_time: str
    groups: list[str]
    data: dict[str, list[str]]
    href: str


class ResultsPage(BaseModel):
    prev: str | None
    next: str | None
    data: list[ResultOut]


class LatestResults(BaseModel):
    data: list[ResultOut]


class GroupOut(BaseModel):
    uuid: str
    description: str | None
    ref_url: str | None
    results: str
    href: str


class GroupsPage(BaseModel):
    prev: str | None
    next: str | None
    data: list[GroupOut]


class TestcasesPage(BaseModel):
    prev: str | None
    next: str | None
    data: list[TestcaseOut]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    # a URL holding a NUL character is refused before any route, in gatekeeper's shape
    return {s: {"model": Message | ErrorBody if s == 400 else Message} for s in statuses}


class _Route(APIRoute):
    """Answers every refusal of its route as ``{"message": ...}``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            headers: Mapping[str, str] | None = None
            try:
                return await handler(request)
            except GatekeeperError as exc:
                status, message = gatekeeper_error(exc).status_code, str(exc)
                status = 400 if status == 422 else status
            except RequestValidationError as exc:
                status = 400
                message = "; ".join(
                    f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
                    for e in exc.errors()
                )
            except HTTPException as exc:
                status, message, headers = exc.status_code, http_detail(exc), exc.headers
            return JSONText(
                {"message": shorten(message)}, status_code=status, headers=dict(headers or {})
            )

        return handle


def _refuse(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": 'Bearer realm="gatekeeper"'})


def result_json(request: Request, result: Result) -> dict[str, Any]:
    """A result as ResultsDB serialises it. Results of other doors show their compose and
    key in data as a ResultsDB producer would have posted them."""
    data = dict(result.data)
    groups = strings(data.pop(GROUPS_KEY, []))
    data.pop(GROUP_INFO_KEY, None)
    urls = strings(data.pop(TESTCASE_URL_KEY, []))
    testcase_url = urls[0] if urls else None
    shown = {str(key): strings(value) for key, value in data.items()}
    if result.source != SOURCE:
        shown.setdefault("productmd.compose.id", [result.compose])
        for key, value in (("scenario", result.scenario), ("system_architecture", result.arch),
                           ("system_variant", result.variant)):  # fmt: skip
            if value is not None:
                shown.setdefault(key, [value])
    base = str(request.base_url).rstrip("/") + PREFIX
    return {
        "id": int(result.id or 0),
        "testcase": testcase_json(base, result.testcase, testcase_url),
        "outcome": result.outcome.value,
        "note": result.note,
        "ref_url": result.ref_url,
        "submit_time": result.submit_time.astimezone(UTC).replace(tzinfo=None).isoformat(),
        "groups": groups,
        "data": shown,
        "href": f"{base}/results/{result.id}",
    }


def group_json(request: Request, group: Mapping[str, Any]) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/") + PREFIX
    uuid = group["uuid"]
    return {"uuid": uuid, "description": group.get("description"),
            "ref_url": group.get("ref_url"), "href": f"{base}/groups/{uuid}",
            "results": f"{base}/results?groups={uuid}"}  # fmt: skip


def testcase_json(base: str, name: str, ref_url: str | None = None) -> dict[str, Any]:
    return {"name": name, "ref_url": ref_url, "href": f"{base}/testcases/{name}"}


def _pages(request: Request, page: int, more: bool) -> tuple[str | None, str | None]:
    def at(n: int) -> str:
        return str(request.url.include_query_params(page=n))

    return (at(page - 1) if page > 0 else None), (at(page + 1) if more else None)


def router(app: Gatekeeper) -> APIRouter:
    api = APIRouter(prefix=PREFIX, tags=["resultsdb"], route_class=_Route)

    def actor_of(
        token: str | None,
        bearer_credentials: HTTPAuthorizationCredentials | None,
        basic_credentials: HTTPBasicCredentials | None,
    ) -> Actor:
        given = (
            bearer_credentials.credentials if bearer_credentials is not None
            else basic_credentials.password if basic_credentials is not None
            else token
        )  # fmt: skip
        if not given:
            raise _refuse("this request needs a token: Authorization: Bearer <token>, HTTP "
                          "basic with the token as the password, or _auth_token")  # fmt: skip
        actor = app.actor_for_token(given)
        if actor is None:
            raise _refuse("the token is not valid (unknown or revoked)")
        return actor

    @api.post(
        "/results",
        status_code=201,
        response_model=ResultOut,
        responses=_errors(400, 401, 403, 409, 503),
    )
    def create_result(
        request: Request,
        body: ResultIn,
        bearer_credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        basic_credentials: Annotated[HTTPBasicCredentials | None, Depends(basic)],
    ) -> dict[str, Any]:
        """Store one result, keyed to a known compose by its data (ResultsDB's POST)."""
        actor = actor_of(body.auth_token, bearer_credentials, basic_credentials)
        request.state.actor = actor.name
        posted = body.model_dump(exclude={"auth_token"}, exclude_none=True)
        return result_json(request, app.compat.resultsdb_create(posted, actor))

    @api.get("/results", response_model=ResultsPage, responses=_errors(400))
    def get_results(
        request: Request,
        page: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = QUERY_LIMIT,
        since: Annotated[str | None, Query(description="START or START,END (ISO)")] = None,
        outcome: Annotated[str | None, Query(description="Comma-separated outcomes")] = None,
        testcases: Annotated[str | None, Query(description="Comma-separated names")] = None,
        testcases_like: Annotated[str | None, Query(alias="testcases:like")] = None,
        groups: Annotated[str | None, Query(description="Comma-separated group uuids")] = None,
    ) -> dict[str, Any]:
        """Results, newest first. Any other parameter filters on that data key
        (``key=a,b``; ``key:like=glob*``)."""
        found = app.compat.resultsdb_results(_params(request), limit=limit + 1, offset=page * limit)
        prev, nxt = _pages(request, page, len(found) > limit)
        return {"prev": prev, "next": nxt,
                "data": [result_json(request, r) for r in found[:limit]]}  # fmt: skip

    @api.get("/results/latest", response_model=LatestResults, responses=_errors(400))
    def get_results_latest(
        request: Request,
        since: Annotated[str | None, Query(description="START or START,END (ISO)")] = None,
        testcases: Annotated[str | None, Query(description="Comma-separated names")] = None,
        testcases_like: Annotated[str | None, Query(alias="testcases:like")] = None,
        groups: Annotated[str | None, Query(description="Comma-separated group uuids")] = None,
        distinct_on: Annotated[
            str | None,
            Query(alias="_distinct_on", description="Data keys telling results apart"),
        ] = None,
    ) -> dict[str, Any]:
        """The newest result of each testcase (and ``_distinct_on`` data values) among
        those the filters keep (as ``GET /results``: data keys, ``:like``)."""
        found = app.compat.resultsdb_results(_params(request), limit=MAX_LIMIT, latest=True)
        return {"data": [result_json(request, r) for r in found]}

    @api.get("/results/{result_id}", response_model=ResultOut, responses=_errors(400, 404))
    def get_result(
        request: Request, result_id: Annotated[int, Path(ge=0, le=2**63 - 1)]
    ) -> dict[str, Any]:
        """One result."""
        return result_json(request, app.compat.resultsdb_result(result_id))

    @api.get("/testcases", response_model=TestcasesPage, responses=_errors(400))
    def get_testcases(
        request: Request,
        page: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = QUERY_LIMIT,
        name: Annotated[str | None, Query(description="Comma-separated names")] = None,
        name_like: Annotated[str | None, Query(alias="name:like")] = None,
    ) -> dict[str, Any]:
        """The testcases results were stored for, by name."""
        names = app.compat.resultsdb_testcases(
            [name] if name else [], [name_like] if name_like else [],
            limit=limit + 1, offset=page * limit,
        )  # fmt: skip
        prev, nxt = _pages(request, page, len(names) > limit)
        base = str(request.base_url).rstrip("/") + PREFIX
        return {"prev": prev, "next": nxt, "data": [testcase_json(base, n) for n in names[:limit]]}

    @api.get("/groups", response_model=GroupsPage, responses=_errors(400))
    def get_groups(
        request: Request,
        page: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = QUERY_LIMIT,
        uuid: Annotated[str | None, Query(description="Comma-separated uuids")] = None,
        description: Annotated[str | None, Query(description="Comma-separated")] = None,
        description_like: Annotated[str | None, Query(alias="description:like")] = None,
    ) -> dict[str, Any]:
        """The groups the stored results name, newest first."""
        found = app.compat.resultsdb_groups(
            [uuid] if uuid else [], [description] if description else [],
            [description_like] if description_like else [],
        )  # fmt: skip
        shown = found[page * limit : (page + 1) * limit]
        prev, nxt = _pages(request, page, len(found) > (page + 1) * limit)
        return {"prev": prev, "next": nxt, "data": [group_json(request, g) for g in shown]}

    @api.get("/groups/{group_uuid}", response_model=GroupOut, responses=_errors(400, 404))
    def get_group(request: Request, group_uuid: str) -> dict[str, Any]:
        """One group the stored results name."""
        found = app.compat.resultsdb_groups([group_uuid], [], [])
        if not found:
            raise HTTPException(404, "Group not found")
        return group_json(request, found[0])

    return api


def _params(request: Request) -> list[tuple[str, str]]:
    """The query's filters: ResultsDB's own parameters and data keys (paging left out)."""
    return [(k, v) for k, v in request.query_params.multi_items() if k not in {"page", "limit"}
            and (k in RESERVED or not k.startswith("_"))]  # fmt: skip


__all__ = ["router"]
