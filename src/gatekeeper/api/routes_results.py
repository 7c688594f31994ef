"""``/api/v1/composes/{id}/results`` and ``.../waivers``: read, report, waive, revoke.

A JSON upload is the results file format of ``gatekeeper decide --results`` (a JSON
array or JSON Lines), parsed by the same parser, so its errors are located
(``<request body>:LINE: [index].key: ...``). An upload in a plugin's format
(``.../results/junit``, ``.../results/tmt``) is the raw file as the body. Either may
instead be a ``multipart/form-data`` body with exactly one file part (``curl -F
file=@results.xml URL``, see :mod:`gatekeeper.api.uploads`). A format parser's
options come from the server's ``[<format>]`` section; the caller may only label the
upload (``?namespace=&arch=&scenario=&variant=&ref_url=&run_id=&plan=&log_url=&run=``),
never set a limit or a mode (``max_bytes``, ``skipped``...). Every upload is one report,
stored whole or not at all, for testcases the token's identity may report: a JSON
result naming another compose than the URL's is refused, never silently left out.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from gatekeeper.api.auth import actor_dependency
from gatekeeper.api.errors import BODY, Unparseable, responses
from gatekeeper.api.metrics import ApiMetrics
from gatekeeper.api.models import (
    IngestOut,
    ResultIn,
    ResultPage,
    WaiverCreated,
    WaiverIn,
    WaiverOut,
)
from gatekeeper.api.openapi import ITEMS
from gatekeeper.api.routes_composes import next_url
from gatekeeper.api.uploads import FORM, FORM_ENCODING, FORM_SCHEMA, upload_bytes
from gatekeeper.errors import InputError
from gatekeeper.inputs import parse_results
from gatekeeper.model import Result
from gatekeeper.service import Actor, Gatekeeper, IngestReport
from gatekeeper.service.reads import MAX_LIMIT, MAX_OFFSET

# What a caller may say about an upload: labels of its results, nothing that bounds work
CALLER_OPTIONS = frozenset(
    {"namespace", "arch", "scenario", "variant", "ref_url", "run_id", "plan", "log_url", "run"}
)
_WRITE_ERRORS = responses(400, 401, 403, 404, 413, 422)
# 409: a result id reused; 415: a form's file part declared as an image, an archive...
_REPORT_ERRORS = responses(400, 401, 403, 404, 409, 413, 415, 422)
_JSON_UPLOAD = {
    "requestBody": {
        "required": True,
        "description": "A JSON array of results, or JSON Lines (one result per line)",
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/ResultIn"},
                    **ITEMS,
                }
            },
            "application/jsonl": {"schema": {"type": "string"}},
            FORM: {"schema": FORM_SCHEMA, "encoding": FORM_ENCODING},
        },
    }
}
_FILE_UPLOAD = {
    "requestBody": {
        "required": True,
        "description": "The file, as the format's parser reads it (e.g. JUnit XML)",
        "content": {
            "application/octet-stream": {"schema": {"type": "string"}},
            FORM: {"schema": FORM_SCHEMA, "encoding": FORM_ENCODING},
        },
    }
}


DECISION_PARAM = "decision"
"""``?decision=full`` asks a report's answer for the whole decision; by default it holds the
answers of the testcases the report touched (verdict and summary are the whole one's)."""


def ingest_json(report: IngestReport, compose_id: str, whole: bool = False) -> dict[str, Any]:
    decision = report.decision if whole or not report.stored else report.touched
    return {
        "compose": compose_id,
        "stored": len(report.stored),
        "duplicates": report.duplicates,
        "result_ids": [r.id for r in report.stored if r.id is not None],
        "version": report.version,
        "decision": decision.to_json(),
        "decision_href": f"/api/v1/composes/{compose_id}/decision",
    }


def _whole(request: Request) -> bool:
    value = request.query_params.get(DECISION_PARAM, "touched")
    if value not in ("touched", "full"):
        raise InputError("expected touched (the default) or full", key=DECISION_PARAM)
    return value == "full"


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unparseable(f"not UTF-8 text (byte {exc.start})", file=BODY) from None


def parse_body(text: str, compose_id: str, now: datetime) -> list[Result]:
    """The results of a JSON upload to compose ``compose_id``, or a located error: 400
    when the body cannot be read as JSON at all, 422 for a bad or foreign result."""
    try:
        results = parse_results(text, BODY, compose_id, now, others="refuse")
    except InputError as exc:
        if exc.message.startswith(("malformed JSON", "empty file")):
            raise Unparseable(exc.message, file=exc.file, line=exc.line) from None
        raise
    except RecursionError:
        raise Unparseable(
            "malformed JSON: arrays and objects nested too deep to read", file=BODY
        ) from None
    if not results:
        raise InputError(f"the body holds no result of compose {compose_id}", file=BODY)
    return results


def upload_options(app: Gatekeeper, fmt: str, query: list[tuple[str, str]]) -> dict[str, Any]:
    """The parser's options: the caller's labels, then the server's ``[fmt]`` section."""
    parser = app.result_formats.get(fmt)  # None: the report says the format is unknown
    allowed = getattr(parser, "caller_options", CALLER_OPTIONS)
    caller: dict[str, Any] = {}
    for key, value in query:
        if key not in allowed:
            raise InputError(
                f"not an option a caller may give (the server's [{fmt}] settings decide it); "
                f"expected one of: {', '.join(sorted(allowed))}",
                key=key,
            )
        if key in caller:
            raise InputError("given twice", key=key)
        caller[key] = value
    return {**caller, **app.settings.section(fmt)}


def router(app: Gatekeeper, metrics: ApiMetrics) -> APIRouter:
    api = APIRouter(
        prefix="/api/v1/composes/{compose_id}", tags=["results"], responses=responses(500)
    )
    ActorDep = Annotated[Actor, Depends(actor_dependency(app))]

    def counted(report: IngestReport) -> IngestReport:
        metrics.ingested(len(report.stored), report.verdict, report.version)
        return report

    @api.get("/results", response_model=ResultPage, responses=responses(404, 422))
    def list_results(
        request: Request,
        compose_id: str,
        limit: int = Query(100, ge=1, le=MAX_LIMIT),
        offset: int = Query(0, ge=0, le=MAX_OFFSET),
        testcase: str | None = None,
        outcome: str | None = None,
        arch: str | None = None,
        scenario: str | None = None,
        variant: str | None = None,
        reporter: str | None = None,
    ) -> dict[str, Any]:
        """The compose's results in the order they were stored, filtered by exact values."""
        filters = {"testcase": testcase, "outcome": outcome, "arch": arch,
                   "scenario": scenario, "variant": variant, "reporter": reporter}  # fmt: skip
        page = app.result_page(compose_id, limit=limit, offset=offset, filters=filters)
        return {"items": [r.to_json() for r in page.items], "next": next_url(request, page)}

    @api.post(
        "/results", response_model=IngestOut, responses=_REPORT_ERRORS, openapi_extra=_JSON_UPLOAD
    )
    async def post_results(request: Request, compose_id: str, actor: ActorDep) -> dict[str, Any]:
        """Report results as JSON (one report: all stored, or none). The answer's decision
        holds the answers of the testcases reported (``?decision=full``: all of them)."""
        whole = _whole(request)
        text = _text(await upload_bytes(request))

        def work() -> IngestReport:
            app.compose(compose_id)  # an unknown compose is 404 before anything else
            return counted(app.ingest(parse_body(text, compose_id, app.clock()), actor))

        return ingest_json(await run_in_threadpool(work), compose_id, whole)

    @api.post(
        "/results/{fmt}",
        response_model=IngestOut,
        responses=_REPORT_ERRORS,
        openapi_extra=_FILE_UPLOAD,
    )
    async def upload_results(
        request: Request, compose_id: str, fmt: str, actor: ActorDep
    ) -> dict[str, Any]:
        """Report a file in a plugin's format (``junit``, ``tmt``...) as one report. The
        answer's decision holds the answers of the testcases reported (``?decision=full``:
        all of them)."""
        whole = _whole(request)
        data = await upload_bytes(request)
        query = [(k, v) for k, v in request.query_params.multi_items() if k != DECISION_PARAM]

        def work() -> IngestReport:
            app.compose(compose_id)
            options = upload_options(app, fmt, query)
            return counted(app.report(fmt, data, compose=compose_id, actor=actor, options=options))

        return ingest_json(await run_in_threadpool(work), compose_id, whole)

    @api.get("/waivers", response_model=list[WaiverOut], responses=responses(404), tags=["waivers"])
    def list_waivers(compose_id: str) -> list[dict[str, Any]]:
        """Every waiver and revocation of the compose, in the order they were given."""
        return [w.to_json() for w in app.waivers(compose_id)]

    def _waive(compose_id: str, body: WaiverIn, actor: Actor, revoke: bool) -> dict[str, Any]:
        waiver, decision = app.waive(
            compose_id,
            body.testcase,
            actor=actor,
            comment=body.comment,
            scenario=body.scenario,
            arch=body.arch,
            revoke=revoke,
            expires=body.expires,
            bug=body.bug,
        )
        return {"waiver": waiver.to_json(), "decision": decision.to_json()}

    @api.post(
        "/waivers",
        response_model=WaiverCreated,
        status_code=201,
        responses=_WRITE_ERRORS,
        tags=["waivers"],
    )
    def create_waiver(compose_id: str, body: WaiverIn, actor: ActorDep) -> dict[str, Any]:
        """Waive a testcase (one scenario/arch, or all) for the compose; needs can_waive.
        ``expires`` (``3d``, or a time) and ``bug`` (a URL) as the policy's ``waivers:``
        rules allow or require (``require_bug``, ``max_expires``)."""
        return _waive(compose_id, body, actor, revoke=False)

    @api.post(
        "/waivers/revoke",
        response_model=WaiverCreated,
        status_code=201,
        responses=_WRITE_ERRORS,
        tags=["waivers"],
    )
    def revoke_waiver(compose_id: str, body: WaiverIn, actor: ActorDep) -> dict[str, Any]:
        """Revoke the waiver of a testcase (same scenario/arch as given); needs can_waive."""
        return _waive(compose_id, body, actor, revoke=True)

    return api


__all__ = ["CALLER_OPTIONS", "ResultIn", "router"]
