"""Triage: known issues carried across composes, rerun requests, and the rules a policy
sets on waivers (``waivers: {require_bug, max_expires}``).

- A known issue waives the failed and errored answers of its testcase in every compose of
  a matching product until it expires or is closed. Only identities allowed to waive add or
  close one; adding or closing it decides the open composes it may touch again, so the
  team of the testcase sees it in the decision (message, MR description, dashboard).
- A rerun request is allowed to the testcase's team reporters and admins; the answers it
  covers are ``test-result-pending`` (``rerun requested``) until a newer result arrives,
  ``gatekeeper_rerun_requested`` tells the team's CI. Rerunning a passed result needs a
  reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from gatekeeper.bounds import check_text
from gatekeeper.errors import InputError, NoPolicyApplies, NotFound, Unauthorized
from gatekeeper.evaluate import latest_by_testcase
from gatekeeper.limits import MAX_EXPIRES, MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_URL_CHARS
from gatekeeper.model import (
    ComposeState,
    Decision,
    KnownIssue,
    Outcome,
    RerunRequest,
    WaiverRules,
)
from gatekeeper.service.accounts import Actor
from gatekeeper.service.context import Context
from gatekeeper.service.decisions import Decisions
from gatekeeper.timeutil import parse_expiry

_OPEN = (ComposeState.ANNOUNCED, ComposeState.PROPOSED, ComposeState.PROMOTED)


KNOWN_ISSUE_STATES = ("open", "expired", "closed")


@dataclass(frozen=True)
class KnownIssueUse:
    """A known issue, the composes it waived an answer of (oldest first), and its
    ``state`` when read (:data:`KNOWN_ISSUE_STATES`: ``open``, or what ended it first)."""

    issue: KnownIssue
    composes: tuple[str, ...]
    state: str

    def to_json(self) -> dict[str, Any]:
        return {**self.issue.to_json(), "state": self.state,
                "composes": list(self.composes), "composes_waived": len(self.composes)}  # fmt: skip


class Triage:
    """known issues (add, close, list), reruns (request, list), waiver rules."""

    def __init__(self, ctx: Context, decisions: Decisions) -> None:
        self.ctx = ctx
        self.decisions = decisions

    # -- known issues -------------------------------------------------------------------------
    def add_known_issue(
        self, actor: Actor, *, product: str, testcase: str, bug: str, comment: str,
        expires: str | datetime | None = None, arch: str | None = None,
        scenario: str | None = None,
    ) -> KnownIssue:  # fmt: skip
        """Add a known issue and decide again the open composes it may touch."""
        _may_waive(actor, "add a known issue")
        for key, value in (("product", product), ("testcase", testcase), ("arch", arch),
                           ("scenario", scenario)):  # fmt: skip
            check_text(value, MAX_NAME_CHARS, key)
        if not product.strip():
            raise InputError("a known issue needs a product (a glob, like CentOS-Stream-*)",
                             key="product")  # fmt: skip
        _comment(comment, "a known issue")
        if self.ctx.owner_of(testcase) is None:
            raise InputError(f"unknown testcase {testcase!r}, owned by no team", key="testcase")
        now = self.ctx.clock()
        until, url = waiver_terms(self.ctx, testcase, expires=expires, bug=bug, now=now)
        if url is None:
            raise InputError("a known issue needs the URL of the bug tracking it", key="bug")
        issue = KnownIssue(id="", product=product, testcase=testcase, bug=url, comment=comment,
                           username=actor.name, created_at=now, expires=until, arch=arch,
                           scenario=scenario)  # fmt: skip
        with self.ctx.step() as (tx, _undo, owed):
            issue = tx.add_known_issue(issue)
            cause = {"known_issue": issue.id, "added": True, "by": actor.name}
            self._touch(tx, owed, issue, now, cause)
        return issue

    def close_known_issue(self, actor: Actor, issue_id: str) -> KnownIssue:
        """Close a known issue (it waives nothing from now on); decide the composes again."""
        _may_waive(actor, "close a known issue")
        now = self.ctx.clock()
        with self.ctx.step() as (tx, _undo, owed):
            issue = tx.known_issue(str(issue_id))
            if issue is None:
                raise NotFound(f"no known issue {issue_id}", key="known_issue")
            if tx.close_known_issue(issue.id, at=now, by=actor.name):
                cause = {"known_issue": issue.id, "closed": True, "by": actor.name}
                self._touch(tx, owed, issue, now, cause)
            closed = tx.known_issue(issue.id)
        assert closed is not None
        return closed

    def _touch(self, tx: Any, owed: Any, issue: KnownIssue, now: datetime,
               cause: dict[str, Any]) -> None:  # fmt: skip
        """Decide again, in this transaction, the open composes of the issue's products."""
        for row in tx.open_decision_clocks():
            if not fnmatchcase(row["product"], issue.product):
                continue
            locked = self.ctx.lock(tx, row["id"])
            try:
                self.decisions.record(tx, locked, now, owed, cause, touched=[issue.testcase])
            except NoPolicyApplies:
                continue  # a compose no policy gates: nothing to decide

    def known_issues(self, *, include_closed: bool = True) -> list[KnownIssueUse]:
        """Every known issue (newest first), with the composes it waived an answer of."""
        now = self.ctx.clock()
        with self.ctx.store.transaction(readonly=True) as tx:
            issues = tx.known_issues(include_closed=include_closed)
            uses = tx.known_issue_uses()
        return [KnownIssueUse(i, tuple(uses.get(i.id, ())), i.state_at(now))
                for i in reversed(issues)]  # fmt: skip

    def known_issue(self, issue_id: str) -> KnownIssueUse:
        now = self.ctx.clock()
        with self.ctx.store.transaction(readonly=True) as tx:
            issue = tx.known_issue(str(issue_id))
            if issue is None:
                raise NotFound(f"no known issue {issue_id}", key="known_issue")
            uses = tx.known_issue_uses()
        return KnownIssueUse(issue, tuple(uses.get(issue.id, ())), issue.state_at(now))

    # -- reruns -------------------------------------------------------------------------------
    def rerun(
        self, compose_id: str, testcase: str, *, actor: Actor, arch: str | None = None,
        scenario: str | None = None, reason: str | None = None,
    ) -> tuple[RerunRequest, Decision]:  # fmt: skip
        """Request a rerun of the compose's testcase (narrowed to an arch and scenario):
        the answers it covers are pending until a newer result arrives; the team's CI is
        told through ``gatekeeper_rerun_requested``."""
        for key, value in (("testcase", testcase), ("arch", arch), ("scenario", scenario)):
            check_text(value, MAX_NAME_CHARS, key)
        reason = (reason or "").strip() or None
        check_text(reason, MAX_TEXT_CHARS, "reason")
        owner = self.ctx.owner_of(testcase)
        if owner is None:
            raise InputError(f"unknown testcase {testcase!r}, owned by no team", key="testcase")
        if not actor.is_admin and not actor.reports_for(owner):
            raise Unauthorized(f"{actor.name} is not a reporter of team {owner.team}, which "
                               f"owns {testcase}: only its reporters and admins may ask for a "
                               "rerun")  # fmt: skip
        now = self.ctx.clock()
        with self.ctx.step() as (tx, _undo, owed):
            row = self.ctx.lock(tx, compose_id)
            compose = self.ctx.require(tx, compose_id)
            if row.get("state") not in _OPEN:
                raise InputError(f"compose {compose_id} is {row.get('state')}: its gate is "
                                 "closed, nothing to rerun", key="compose")  # fmt: skip
            latest = latest_by_testcase(compose_id, tx.latest_results(compose_id, [testcase]))
            covered = [r for r in latest.get(testcase, ())  # the latest of each key asked for
                       if (scenario is None or r.scenario == scenario)
                       and (arch is None or r.arch == arch)]  # fmt: skip
            passed = [r for r in covered if r.outcome in (Outcome.PASSED, Outcome.INFO)]
            if passed and reason is None:
                raise InputError(f"{testcase} passed in {compose_id} (result "
                                 f"{passed[0].id}): a rerun of a passed result needs a reason",
                                 key="reason")  # fmt: skip
            after = max([now, *(r.submit_time for r in covered)])
            request = tx.add_rerun(RerunRequest(
                id="", compose=compose_id, testcase=testcase, time=now, after=after,
                username=actor.name, scenario=scenario, arch=arch, reason=reason,
            ))  # fmt: skip
            owed.add(tx, "gatekeeper_rerun_requested", compose, request=request)
            cause = {"rerun": request.id, "by": actor.name}
            self.decisions.record(tx, row, now, owed, cause, touched=[testcase])
        return request, self.decisions.decide(compose_id)

    def reruns(self, compose_id: str) -> list[RerunRequest]:
        """The compose's rerun requests, oldest first."""
        with self.ctx.store.transaction(readonly=True) as tx:
            self.ctx.require(tx, compose_id)
            return tx.reruns_for(compose_id)


def _may_waive(actor: Actor, what: str) -> None:
    if not (actor.is_admin or actor.can_waive):
        raise Unauthorized(f"{actor.name} may not waive, so may not {what}")


def _comment(comment: str, what: str) -> None:
    if not comment or not comment.strip():
        raise InputError(f"{what} needs a comment saying why", key="comment")
    check_text(comment, MAX_TEXT_CHARS, "comment")


def _bug(bug: str | None, *, required: bool, testcase: str) -> str | None:
    bug = (bug or "").strip() or None
    if bug is None:
        if required:
            raise InputError(f"the policy of {testcase} requires a bug URL on its waivers "
                             "(waivers: require_bug)", key="bug")  # fmt: skip
        return None
    check_text(bug, MAX_URL_CHARS, "bug")
    if not bug.startswith(("http://", "https://")) or any(c.isspace() for c in bug):
        raise InputError(f"bug {bug!r} is not an http(s) URL", key="bug")
    return bug


def waiver_rules(ctx: Context, testcase: str) -> WaiverRules:
    """What a waiver of ``testcase`` must say: the strictest of the ``waivers:`` of the
    owning team's policy and of every gate of the testcase."""
    rules = WaiverRules()
    owner = ctx.owner_of(testcase)
    if owner is not None:
        rules = rules.stricter(owner.waivers)
    for policy in ctx.policies:
        for gate in policy.gates:
            if gate.testcase == testcase:
                rules = rules.stricter(gate.waivers or policy.waivers)
    return rules


def waiver_terms(
    ctx: Context, testcase: str, *, expires: str | datetime | None, bug: str | None,
    now: datetime,
) -> tuple[datetime | None, str | None]:  # fmt: skip
    """A waiver's expiry instant and bug, checked against the rules (``expires`` a duration
    like ``3d`` or a time); a waiver given no expiry under ``max_expires`` expires then.
    Raises InputError naming the key."""
    rules = waiver_rules(ctx, testcase)
    bug = _bug(bug, required=rules.require_bug, testcase=testcase)
    limit = min(MAX_EXPIRES, rules.max_expires or MAX_EXPIRES)
    if expires is None:
        return (None if rules.max_expires is None else now + rules.max_expires), bug
    try:
        return parse_expiry(expires, now, limit=limit), bug
    except ValueError as exc:
        capped = f" (the policy of {testcase} caps it)" if rules.max_expires else ""
        raise InputError(f"{exc}{capped}", key="expires") from None
