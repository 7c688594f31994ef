"""``/api/v1/known-issues`` and ``/api/v1/composes/{id}/reruns``: known failures waived in
every compose of a product until they expire or are closed, and requests to run a
compose's testcase again (#17), over :attr:`Gatekeeper.triage`.

Reads are anonymous. Adding or closing a known issue needs an identity that may waive
(``can_waive`` or admin); a rerun, a reporter of the testcase's team or an admin (403
otherwise). A refused value is 422 with its located message (``bug: ...``), an unknown
known issue or compose 404.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from gatekeeper.api.auth import actor_dependency
from gatekeeper.api.errors import responses
from gatekeeper.api.models_triage import (
    KnownIssueIn,
    KnownIssueOut,
    RerunCreated,
    RerunIn,
    RerunOut,
)
from gatekeeper.service import Actor, Gatekeeper

_WRITE_ERRORS = responses(400, 401, 403, 404, 413, 422)
State = Literal["open", "expired", "closed", "all"]


def router(app: Gatekeeper) -> APIRouter:
    api = APIRouter(prefix="/api/v1", responses=responses(500))
    ActorDep = Annotated[Actor, Depends(actor_dependency(app))]

    @api.get(
        "/known-issues",
        response_model=list[KnownIssueOut],
        responses=responses(422),
        tags=["known-issues"],
    )
    def list_known_issues(
        state: Annotated[
            State, Query(description="open (default: those waiving now), expired, closed or all")
        ] = "open",
    ) -> list[dict[str, Any]]:
        """Known issues, newest first, each with the composes it waived an answer of and
        its state: open, or what ended it first (expired, closed)."""
        uses = app.triage.known_issues(include_closed=state != "open")
        return [u.to_json() for u in uses if state == "all" or u.state == state]

    @api.post(
        "/known-issues",
        response_model=KnownIssueOut,
        status_code=201,
        responses=_WRITE_ERRORS,
        tags=["known-issues"],
    )
    def add_known_issue(body: KnownIssueIn, actor: ActorDep) -> dict[str, Any]:
        """Add a known issue: from now on it waives the failed and errored answers of its
        testcase in the open composes of matching products (decided again at once), and in
        those to come, until it expires or is closed. Needs can_waive."""
        issue = app.triage.add_known_issue(
            actor, product=body.product, testcase=body.testcase, bug=body.bug,
            comment=body.comment, expires=body.expires, arch=body.arch, scenario=body.scenario,
        )  # fmt: skip
        return app.triage.known_issue(issue.id).to_json()

    @api.get(
        "/known-issues/{issue_id}",
        response_model=KnownIssueOut,
        responses=responses(404),
        tags=["known-issues"],
    )
    def get_known_issue(issue_id: str) -> dict[str, Any]:
        """One known issue, with the composes it waived an answer of."""
        return app.triage.known_issue(issue_id).to_json()

    @api.post(
        "/known-issues/{issue_id}/close",
        response_model=KnownIssueOut,
        responses=responses(401, 403, 404),
        tags=["known-issues"],
    )
    def close_known_issue(issue_id: str, actor: ActorDep) -> dict[str, Any]:
        """Close a known issue: it waives nothing from now on (the open composes it touched
        are decided again at once); closing a closed one changes nothing. Needs can_waive."""
        app.triage.close_known_issue(actor, issue_id)
        return app.triage.known_issue(issue_id).to_json()

    @api.get(
        "/composes/{compose_id}/reruns",
        response_model=list[RerunOut],
        responses=responses(404),
        tags=["reruns"],
    )
    def list_reruns(compose_id: str) -> list[dict[str, Any]]:
        """The compose's rerun requests, oldest first (those of a gate's retries too)."""
        return [r.to_json() for r in app.triage.reruns(compose_id)]

    @api.post(
        "/composes/{compose_id}/reruns",
        response_model=RerunCreated,
        status_code=201,
        responses=_WRITE_ERRORS,
        tags=["reruns"],
    )
    def request_rerun(compose_id: str, body: RerunIn, actor: ActorDep) -> dict[str, Any]:
        """Ask for a rerun of the compose's testcase (one arch/scenario, or all): its
        answers are test-result-pending (reason rerun requested) until a newer result
        arrives, and the team's CI is told (hook gatekeeper_rerun_requested). Rerunning a
        passed result needs a reason. For the testcase's team reporters and admins."""
        request, decision = app.triage.rerun(
            compose_id, body.testcase, actor=actor, arch=body.arch, scenario=body.scenario,
            reason=body.reason,
        )  # fmt: skip
        return {"request": request.to_json(), "decision": decision.to_json()}

    return api


__all__ = ["router"]
