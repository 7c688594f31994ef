"""``POST /api/v1.0/decision``: Greenwave's decision API, for Bodhi-like consumers.

The request is Greenwave's (``subject_type: compose``, ``subject_identifier``,
``decision_context`` as a name or a list, ``product_version``, ``verbose``, ``when``,
``ignore_result``, ``ignore_waiver``); so are the answer and the errors: ``{"message":
...}`` with upstream's statuses and texts (400 for a missing or malformed field, 404 when
no policy answers, 415 without a JSON body). Anonymous, as upstream: deciding never writes.
The meaning is :mod:`gatekeeper.service.compat_greenwave`'s.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from gatekeeper.api.errors import JSONText, UnsupportedMedia, shorten
from gatekeeper.api.openapi import constrain, text
from gatekeeper.api.uploads import upload_bytes
from gatekeeper.bounds import text_problem
from gatekeeper.errors import GatekeeperError, NotFound, Unavailable
from gatekeeper.limits import MAX_NAME_CHARS
from gatekeeper.service import Gatekeeper
from gatekeeper.service.compat_greenwave import SUBJECT_TYPE, GreenwaveQuery
from gatekeeper.timeutil import parse_time

NAME = constrain(string=text(MAX_NAME_CHARS, required=True))


class GreenwaveDecisionIn(BaseModel):
    """A Greenwave decision request about one compose."""

    subject_type: str = Field(
        description="Only `compose` is gated by gatekeeper.", json_schema_extra=NAME
    )
    subject_identifier: str = Field(description="The compose id.", json_schema_extra=NAME)
    decision_context: str | list[Annotated[str, Field(json_schema_extra=NAME)]] = Field(
        description="A decision context or a list: the policies naming one answer.",
        json_schema_extra=NAME,
    )
    product_version: str = Field(
        description="Required, as upstream; echoed in waivers.", json_schema_extra=NAME
    )
    verbose: bool = Field(False, description="Add the results and waivers considered.")
    when: str | None = Field(
        None, description="Decide as of this past time (ISO 8601, UTC when no zone)."
    )
    ignore_result: list[int | str] = Field([], description="Result ids to leave out.")
    ignore_waiver: list[int | str] = Field([], description="Waiver ids to leave out.")


class GreenwaveRequirement(BaseModel):
    """One requirement, in Greenwave's words (gatekeeper's own type as ``gatekeeper_type``)."""

    model_config = ConfigDict(extra="allow")
    type: str
    testcase: str
    subject_type: str
    subject_identifier: str
    scenario: str | None
    system_architecture: str | None
    system_variant: str | None
    result_id: int | str | None
    gatekeeper_type: str
    team: str
    required: bool


class GreenwaveDecisionOut(BaseModel):
    """Greenwave's decision answer (``results`` and ``waivers`` when verbose)."""

    policies_satisfied: bool
    summary: str
    applicable_policies: list[str]
    satisfied_requirements: list[GreenwaveRequirement]
    unsatisfied_requirements: list[GreenwaveRequirement]
    verdict: str = Field(description="gatekeeper's verdict: passed, failed or pending.")
    evaluated_at: str
    results: list[dict[str, Any]] | None = Field(None, description="ResultsDB-shaped results.")
    waivers: list[dict[str, Any]] | None = Field(None, description="WaiverDB-shaped waivers.")


class GreenwaveError(BaseModel):
    """Greenwave's error body."""

    message: str


class BadRequest(Exception):
    """A Greenwave error answer: its status and message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": GreenwaveDecisionIn.model_json_schema()}},
    }
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": GreenwaveDecisionOut, "description": "The decision"},
    400: {"model": GreenwaveError, "description": "A missing or malformed field"},
    404: {"model": GreenwaveError, "description": "Unknown compose, or no policy answers"},
    415: {"model": GreenwaveError, "description": "No JSON payload in request"},
}


def _text(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"Invalid {what}, must be a non-empty string")
    return _name(value, what)


def _name(value: str, what: str) -> str:
    """``value``, if it is a name gatekeeper may hold (Unicode, no NUL, 256 characters)."""
    if (problem := text_problem(value, MAX_NAME_CHARS)) is not None:
        raise BadRequest(f"Invalid {what}: {problem}")
    return value


def _ids(data: Mapping[str, Any], key: str) -> frozenset[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(
        isinstance(v, int | str) and not isinstance(v, bool) for v in value
    ):
        raise BadRequest(f'Invalid "{key}" parameter, must be a list of ids')
    return frozenset(str(v) for v in value)


def _subject(data: Mapping[str, Any]) -> tuple[str, str]:
    """(subject type, identifier): ``subject_type``/``subject_identifier``, or upstream's
    older ``subject`` list of one dict (``{"productmd.compose.id": ID}`` or ``{"type":
    "compose", "item": ID}``)."""
    if "subject" in data:
        subjects = data["subject"]
        if (
            not isinstance(subjects, list)
            or not subjects
            or not all(isinstance(s, dict) for s in subjects)
        ):
            raise BadRequest("Invalid subject, must be a list of dicts")
        if len(subjects) > 1:
            raise BadRequest("Invalid subject, gatekeeper decides one compose per request")
        subject = subjects[0]
        if isinstance(subject.get("productmd.compose.id"), str):
            return SUBJECT_TYPE, _name(subject["productmd.compose.id"], "subject")
        if isinstance(subject.get("type"), str) and isinstance(subject.get("item"), str):
            return subject["type"], _name(subject["item"], "subject")
        raise BadRequest("Could not detect subject_identifier.")
    if "subject_type" not in data:
        raise BadRequest('Missing required "subject_type" parameter')
    if "subject_identifier" not in data:
        raise BadRequest('Missing required "subject_identifier" parameter')
    return (_text(data, "subject_type", "subject_type"),
            _text(data, "subject_identifier", "subject_identifier"))  # fmt: skip


def read_query(data: Any) -> GreenwaveQuery:
    """The request's query, checked in upstream's order with upstream's messages."""
    if not data:
        raise BadRequest("No JSON payload in request", 415)
    if not isinstance(data, dict):
        raise BadRequest("Invalid payload, must be a JSON object")
    if not data.get("product_version"):
        raise BadRequest("Missing required product version")
    if not data.get("decision_context") and not data.get("rules"):
        raise BadRequest("Either decision_context or rules is required.")
    if data.get("decision_context") and data.get("rules"):
        raise BadRequest("Cannot have both decision_context and rules")
    if data.get("rules"):
        raise BadRequest("On-demand rules are not supported: name a decision_context")
    product_version = _text(data, "product_version", "product_version")
    contexts = data["decision_context"]
    if isinstance(contexts, str):
        contexts = [contexts]
    if not isinstance(contexts, list) or not all(isinstance(c, str) and c for c in contexts):
        raise BadRequest("Invalid decision_context, must be a string or a list of strings")
    contexts = [_name(c, "decision_context") for c in contexts]
    verbose = data.get("verbose", False)
    if not isinstance(verbose, bool):
        raise BadRequest("Invalid verbose flag, must be a bool")
    when = None
    if data.get("when"):
        try:
            if not isinstance(data["when"], str):
                raise ValueError(data["when"])
            when = parse_time(data["when"])
        except ValueError:
            raise BadRequest('Invalid "when" parameter, must be in ISO8601 format') from None
    ignore_results, ignore_waivers = _ids(data, "ignore_result"), _ids(data, "ignore_waiver")
    subject_type, identifier = _subject(data)
    if subject_type != SUBJECT_TYPE:
        raise BadRequest(
            f"Cannot find any applicable policies for {subject_type} subjects at gating point "
            f"{', '.join(contexts)} in {product_version}",
            404,
        )
    return GreenwaveQuery(identifier, tuple(contexts), product_version, verbose, when,
                          ignore_results, ignore_waivers)  # fmt: skip


def _error(message: str, status: int) -> JSONResponse:
    return JSONText({"message": shorten(message)}, status_code=status)


def router(app: Gatekeeper) -> APIRouter:
    """The Greenwave decision route."""
    api = APIRouter(prefix="/api/v1.0", tags=["greenwave"])

    @api.post(
        "/decision",
        response_model=None,
        responses=_RESPONSES,
        openapi_extra=_REQUEST_BODY,
        summary="Greenwave: decide a compose",
    )
    async def decision(request: Request) -> JSONResponse:
        """Greenwave's decision about a compose: the policies applying to it that answer
        one of the decision contexts, as of now or ``when``, some results or waivers left
        out. Never recorded. Gatekeeper's answer types beyond Greenwave's are mapped
        (pending -> test-result-missing, overdue -> test-result-failed, overdue-ignored ->
        test-result-missing-waived); each requirement keeps its own as ``gatekeeper_type``."""
        try:
            body = await upload_bytes(request)
        except GatekeeperError as exc:  # a form with no file part, one of an image type...
            return _error(str(exc), 415 if isinstance(exc, UnsupportedMedia) else 400)
        try:
            data = json.loads(body) if body.strip() else None
        except (ValueError, RecursionError):  # not JSON, not UTF-8, nested too deeply
            return _error("Failed to decode JSON object", 400)
        try:
            query = read_query(data)
        except BadRequest as exc:
            return _error(exc.message, exc.status)
        try:
            answer = await run_in_threadpool(app.greenwave_decision, query)
        except NotFound as exc:
            return _error(exc.message, 404)
        except Unavailable:
            raise
        except GatekeeperError as exc:  # e.g. an identifier the store refuses
            return _error(exc.message, 400)
        return JSONResponse(answer)

    return api


__all__ = ["GreenwaveDecisionIn", "GreenwaveDecisionOut", "read_query", "router"]
