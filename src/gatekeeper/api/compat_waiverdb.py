"""WaiverDB's API v1.0 (a subset) under ``/api/v1.0/waivers/``, on gatekeeper's waivers.

``POST /api/v1.0/waivers/`` takes one waiver or a list of them, as WaiverDB's
``CreateWaiver`` request model does (``waiverdb/models/requests.py``) and answers 201
with the waiver (or the list) in WaiverDB's shape (``waiverdb/fields.py``);
``waived: false`` revokes. ``GET /api/v1.0/waivers/`` filters and pages as WaiverDB's
``WaiversResource.get`` (``{"data", "prev", "next", "first", "last"}``);
``GET /api/v1.0/waivers/{id}`` reads one. Writes need a bearer token, as WaiverDB's OIDC
mode sends one (``Authorization: Bearer``), of an identity that may waive.

Beyond WaiverDB, a POST may give ``expires`` (a duration like ``3d``, or a time;
Conforma's ``effective_until`` is taken as its alias) and ``bug`` (a URL), as the
policy's ``waivers:`` rules allow or require; answers carry ``expires`` and ``bug`` only
when set, so WaiverDB's clients read them unmodified.

Errors answer in WaiverDB's shape, ``{"message": ...}`` with the status WaiverDB gives
(a request it cannot use is 400, not 422), so WaiverDB's clients read them unmodified.
"""

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag
from starlette.exceptions import HTTPException

from gatekeeper.api.auth import actor_dependency
from gatekeeper.api.errors import JSONText, gatekeeper_error, http_detail, shorten
from gatekeeper.api.models import BUG_URL, EXPIRES, ErrorBody, is_none
from gatekeeper.api.openapi import constrain, text
from gatekeeper.errors import GatekeeperError
from gatekeeper.limits import MAX_NAME_CHARS, MAX_TEXT_CHARS
from gatekeeper.service import Actor, Gatekeeper
from gatekeeper.service.compat_waiverdb import CompatWaiver, WaiverRequest

PREFIX = "/api/v1.0/waivers"
MAX_PAGE_SIZE = 1000
MAX_PAGE = 1_000_000
MAX_WAIVER_ID = 2**31 - 1  # the store's integer ids
NAME = constrain(string=text(MAX_NAME_CHARS))
NOT_A_URL = "The requested URL was not found on the server."


class WaiverDBIn(BaseModel):
    """One waiver as WaiverDB's ``CreateWaiver`` takes it; unknown keys are ignored, as there.
    ``subject`` and ``result_id`` are WaiverDB's older ways to name what is waived: a
    ``subject`` dict is understood, ``result_id`` is refused (400)."""

    model_config = ConfigDict(extra="ignore")

    subject_type: str | None = Field(None, json_schema_extra=NAME, description="compose")
    subject_identifier: str | None = Field(None, json_schema_extra=NAME,
                                           description="The compose id")  # fmt: skip
    testcase: str | None = Field(None, json_schema_extra=NAME)
    subject: dict[str, Any] | None = Field(
        None, description='WaiverDB < 0.11: {"productmd.compose.id": ID}'
    )
    result_id: int | None = Field(None, description="WaiverDB < 0.6: not supported")
    waived: bool = Field(True, description="false revokes the testcase's waiver")
    product_version: str | None = Field(
        None, json_schema_extra=NAME, description="If given, the compose's product, any case"
    )
    comment: str = Field(min_length=1, json_schema_extra=constrain(string=text(MAX_TEXT_CHARS)))
    username: str | None = Field(
        None, json_schema_extra=NAME, description="Only the token's own identity (no proxies)"
    )
    scenario: str | None = Field(None, json_schema_extra=NAME)
    expires: str | None = Field(
        None, json_schema_extra=NAME,
        description=f"gatekeeper's: {EXPIRES}; a revocation ignores it",
    )  # fmt: skip
    effective_until: str | None = Field(
        None, json_schema_extra=NAME, description="Conforma's name for expires (either one)"
    )
    bug: str | None = Field(
        None, json_schema_extra=BUG_URL,
        description="gatekeeper's: the URL of the bug tracking what it excuses",
    )  # fmt: skip


class WaiverDBOut(BaseModel):
    """A waiver as WaiverDB answers it (``waiverdb/fields.py``: ``waiver_fields``)."""

    id: int
    subject_type: str
    subject_identifier: str
    subject: dict[str, str] = Field(description='WaiverDB < 0.11: {"productmd.compose.id": ID}')
    testcase: str
    scenario: str | None
    username: str
    proxied_by: str | None = Field(description="Always null: gatekeeper has no proxy users")
    product_version: str
    waived: bool
    comment: str | None
    timestamp: str = Field(description="UTC, ISO 8601 without a zone, as WaiverDB gives it")
    expires: str | None = Field(
        None, exclude_if=is_none,
        description="gatekeeper's, only when set: when it stops counting (as timestamp)",
    )  # fmt: skip
    bug: str | None = Field(None, exclude_if=is_none, description="gatekeeper's, only when set")


class WaiverDBPage(BaseModel):
    """A page of waivers, with the addresses of the pages around it (null: none)."""

    data: list[WaiverDBOut]
    prev: str | None
    next: str | None
    first: str | None
    last: str | None


class WaiverDBError(BaseModel):
    """WaiverDB's error: a message, or messages by the key they are about."""

    message: str | dict[str, str]


_ANY_ERROR: Any = WaiverDBError | ErrorBody  # 400 and 413 may come from the middleware


def _responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        s: {"model": _ANY_ERROR if s in (400, 413) else WaiverDBError, "description": "error"}
        for s in statuses
    }


def _one_or_many(value: Any) -> str:
    return "many" if isinstance(value, list) else "one"


WaiversIn = Annotated[
    Annotated[WaiverDBIn, Tag("one")] | Annotated[list[WaiverDBIn], Tag("many")],
    Discriminator(_one_or_many),
]
"""One waiver, or a list of them (a validation error's location is then the item's index)."""


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc[1:] if p not in ("one", "many")]  # not where, nor the tag
    return ".".join(parts) or str(loc[0] if loc else "body")


def waiverdb_error(exc: Exception) -> JSONResponse:
    """The answer to a refused request, in WaiverDB's shape."""
    if isinstance(exc, RequestValidationError):
        if any(tuple(e.get("loc", ()))[:1] == ("path",) for e in exc.errors()):
            return JSONResponse({"message": NOT_A_URL}, status_code=404)  # as <int:waiver_id>
        messages = {
            "body" if e.get("type") == "json_invalid" else _loc(tuple(e.get("loc", ()))): str(
                e.get("msg", "")
            )
            for e in exc.errors()
        }
        return JSONResponse({"message": messages}, status_code=400)
    if isinstance(exc, HTTPException):
        return JSONText({"message": http_detail(exc)}, exc.status_code, headers=exc.headers)
    assert isinstance(exc, GatekeeperError)
    status = gatekeeper_error(exc).status_code
    return JSONText({"message": shorten(str(exc))}, status_code=400 if status == 422 else status)


class WaiverDBRoute(APIRoute):
    """A route answering its errors as WaiverDB does (the token's and the body's too)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except (RequestValidationError, HTTPException, GatekeeperError) as exc:
                return waiverdb_error(exc)

        return handle


def _naive_utc(when: datetime) -> str:
    return when.astimezone(UTC).replace(tzinfo=None).isoformat()


def waiver_json(found: CompatWaiver) -> dict[str, Any]:
    """A waiver in WaiverDB's shape, with gatekeeper's ``expires`` and ``bug`` when set."""
    w = found.waiver
    extra = {"expires": None if w.expires is None else _naive_utc(w.expires), "bug": w.bug}
    return {
        "id": int(w.id),
        "subject_type": "compose",
        "subject_identifier": w.compose,
        "subject": {"productmd.compose.id": w.compose},
        "testcase": w.testcase,
        "scenario": w.scenario,
        "username": w.username or "",
        "proxied_by": None,
        "product_version": found.product_version,
        "waived": w.waived,
        "comment": w.comment,
        "timestamp": _naive_utc(w.time),
        **{key: value for key, value in extra.items() if value is not None},
    }


def parse_since(since: str) -> tuple[datetime | None, datetime | None]:
    """``START`` or ``START,END`` (ISO 8601; a time without a zone is UTC), as WaiverDB.
    Raises ValueError."""
    start, _, end = since.partition(",")
    times = [datetime.fromisoformat(part) if part else None for part in (start, end)]
    first, last = (
        None if t is None else t.replace(tzinfo=UTC) if t.tzinfo is None else t for t in times
    )
    return first, last


def page_links(request: Request, page: int, pages: int) -> dict[str, str | None]:
    """WaiverDB's ``prev``, ``next``, ``first``, ``last``: this URL at another page (its
    other query parameters kept, ``page`` first)."""
    others = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]

    def at(number: int) -> str:
        return str(request.url.replace(query=urlencode([("page", str(number)), *others])))

    return {
        "prev": at(page - 1) if page > 1 else None,
        "next": at(page + 1) if page < pages else None,
        "first": at(1),
        "last": at(pages),
    }


_NO_PAGE: dict[str, Any] = {"data": [], "prev": None, "next": None, "first": None, "last": None}


def router(app: Gatekeeper) -> APIRouter:
    """The WaiverDB v1.0 routes served by ``app``."""
    api = APIRouter(prefix=PREFIX, tags=["waiverdb"], route_class=WaiverDBRoute)
    ActorDep = Annotated[Actor, Depends(actor_dependency(app))]

    @api.post(
        "/",
        status_code=201,
        response_model=WaiverDBOut | list[WaiverDBOut],
        responses=_responses(400, 401, 403, 413),
    )
    def create_waivers(body: Annotated[WaiversIn, Body()], actor: ActorDep) -> Any:
        """Waive (or, with ``waived: false``, revoke) one testcase of a compose, or each of
        a list: WaiverDB's POST. Nothing is waived when one of the list is refused."""
        items = body if isinstance(body, list) else [body]
        requests = [WaiverRequest(**item.model_dump()) for item in items]
        made = [waiver_json(w) for w in app.compat.waiverdb_create(requests, actor)]
        return made if isinstance(body, list) else made[0]

    @api.get("/", response_model=WaiverDBPage, responses=_responses(400))
    def list_waivers(
        request: Request,
        subject_type: Annotated[str | None, Query()] = None,
        subject_identifier: Annotated[str | None, Query()] = None,
        testcase: Annotated[str | None, Query()] = None,
        scenario: Annotated[str | None, Query()] = None,
        product_version: Annotated[str | None, Query()] = None,
        username: Annotated[str | None, Query()] = None,
        proxied_by: Annotated[str | None, Query()] = None,
        since: Annotated[str | None, Query(description="START or START,END (ISO 8601)")] = None,
        include_obsolete: Annotated[bool, Query()] = False,
        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 10,
    ) -> Any:
        """Waivers newest first, filtered and paged as WaiverDB's GET (without
        ``include_obsolete``, only the latest of each compose, testcase, scenario and
        user). A page past the last answers empty with null links, as WaiverDB."""
        try:
            start, end = parse_since(since) if since else (None, None)
        except ValueError as exc:
            return JSONResponse({"message": {"since": str(exc)}}, status_code=400)
        found, total = app.compat.waiverdb_waivers(
            subject_type=subject_type, subject_identifier=subject_identifier,
            testcase=testcase, scenario=scenario, product_version=product_version,
            username=username, proxied_by=proxied_by, since=start, until=end,
            include_obsolete=include_obsolete, limit=limit, offset=(page - 1) * limit,
        )  # fmt: skip
        if not found and page != 1:
            return dict(_NO_PAGE)
        pages = -(-total // limit)
        return {"data": [waiver_json(w) for w in found], **page_links(request, page, pages)}

    @api.get("/{waiver_id}", response_model=WaiverDBOut, responses=_responses(400, 404))
    def get_waiver(waiver_id: Annotated[int, Path(ge=1, le=MAX_WAIVER_ID)]) -> dict[str, Any]:
        """One waiver (or revocation) by its id."""
        return waiver_json(app.compat.waiverdb_waiver(waiver_id))

    return api


__all__ = ["WaiverDBIn", "WaiverDBOut", "WaiverDBPage", "router"]
