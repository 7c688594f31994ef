"""Results and waivers: who may report, storing a report whole, and the decision it moves.

Every report is authorized against the policies first (a testcase no team owns, or a
reporter not among its team's ``reporters``, refuses the whole report), then stored in one
transaction with the decision it changes (:meth:`Results.ingest`), or with a ``redecide``
entry for the dispatcher (:meth:`Results.record`, for streams nobody waits on).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from gatekeeper.bounds import check_results, check_text
from gatekeeper.errors import InputError, Unauthorized
from gatekeeper.limits import MAX_NAME_CHARS, MAX_TEXT_CHARS
from gatekeeper.model import Decision, Result, Verdict, Waiver
from gatekeeper.plugins import collect_named
from gatekeeper.service.accounts import Actor
from gatekeeper.service.context import Context
from gatekeeper.service.decisions import REDECIDE, Decisions
from gatekeeper.service.triage import waiver_terms

if TYPE_CHECKING:
    from gatekeeper.hookspecs import ResultParser
    from gatekeeper.service import Gatekeeper

log = logging.getLogger("gatekeeper.service")

FORGE_EVENT = "gatekeeper_forge_event"


@dataclass(frozen=True)
class IngestReport:
    """What a report did: the results stored, how many were known, the new decision version
    (None: the decision did not change) and verdict; ``decision`` reads the decision as
    stored then (on first use: a report need not pay for thousands of answers)."""

    stored: tuple[Result, ...]
    duplicates: int
    version: int | None
    verdict: Verdict
    read: Callable[[Collection[str] | None], Decision] = field(repr=False, compare=False)

    @cached_property
    def decision(self) -> Decision:
        return self.read(None)

    @cached_property
    def touched(self) -> Decision:
        """The decision with only the answers of the testcases this report holds (its
        verdict and summary are the whole decision's)."""
        return self.read({r.testcase for r in self.stored})


class Results:
    """authorize, ingest, record, report, pull; waive; forge events taken for later."""

    def __init__(self, ctx: Context, decisions: Decisions, app: Gatekeeper) -> None:
        self.ctx = ctx
        self.decisions = decisions
        self._app = app  # what ``gatekeeper_pull_results`` is given

    def authorize(self, actor: Actor, testcases: Iterable[str]) -> None:
        """Every testcase must be owned by a team, and the actor must be one of its reporters.

        Raises naming every offending testcase; nothing is stored when it raises.
        """
        unowned, refused = [], []
        owner_of = self.ctx.owners()
        for testcase in set(testcases):
            team = owner_of(testcase)
            if team is None:
                unowned.append(testcase)
            elif not actor.is_admin and not actor.reports_for(team):
                refused.append((testcase, team.team))
        if unowned:
            raise InputError(
                "unknown testcases, owned by no team's policy: " + ", ".join(sorted(unowned)),
                key="testcase",
            )
        if refused:
            raise Unauthorized(
                f"{actor.name} is not a reporter of the team owning: "
                + ", ".join(f"{testcase} (team {team})" for testcase, team in sorted(refused))
            )

    def ingest(self, results: Sequence[Result], actor: Actor) -> IngestReport:
        """Store one report (all of it or none), then decide again. Idempotent."""
        compose_id, data_json = self._admit(results, actor)
        ctx = self.ctx
        now = ctx.clock()
        with ctx.step() as (tx, _undo, owed):
            row = ctx.lock(tx, compose_id)
            stored = tx.add_results(results, reporter=actor.name,  # never the payload's claim
                                    scope_of=ctx.teams(), data_json=data_json)  # fmt: skip
            touched = {r.testcase for r in stored}
            version, verdict = self.decisions.record(tx, row, now, owed, _cause(stored, actor),
                                                     touched=touched)  # fmt: skip
        return IngestReport(tuple(stored), len(results) - len(stored), version, verdict,
                            partial(self.decisions.part, compose_id))  # fmt: skip

    def record(self, results: Sequence[Result], actor: Actor) -> list[Result]:
        """Store one report (all of it or none) and leave deciding to the dispatcher.

        For a stream of reports nobody waits on (the bus consumer): the results and a
        ``redecide`` entry are committed together in the outbox, and the dispatcher decides
        once for all the entries of a compose it finds, so a burst of results costs one
        decision. Returns the results stored (known ones are skipped, as in :meth:`ingest`).
        """
        compose_id, data_json = self._admit(results, actor)
        with self.ctx.store.transaction() as tx:  # an unknown compose: NotFound from the insert
            stored = tx.add_results(results, reporter=actor.name, scope_of=self.ctx.teams(),
                                    data_json=data_json)  # fmt: skip
            if stored:
                touched = sorted({r.testcase for r in stored})  # what deciding looks at
                tx.enqueue(REDECIDE, {"compose": compose_id, **_cause(stored, actor),
                                      "testcases": touched}, compose_id=compose_id)  # fmt: skip
        return stored

    def _admit(self, results: Sequence[Result], actor: Actor) -> tuple[str, list[str | None]]:
        """The one door of every report: one compose, within the limits (text, sizes, a
        submit time no further ahead than ``[results] max_clock_skew``), and testcases
        the actor may report. Returns the compose's id and each result's data as JSON;
        raises before anything is stored."""
        compose_ids = {r.compose for r in results}
        if len(compose_ids) != 1:
            raise InputError("a report holds results of exactly one compose", key="compose")
        data_json = check_results(results, now=self.ctx.clock(), skew=self.ctx.max_clock_skew)
        self.authorize(actor, (r.testcase for r in results))
        return compose_ids.pop(), data_json

    @property
    def formats(self) -> dict[str, ResultParser]:
        """Result parsers by format name, from ``gatekeeper_register_result_formats``."""
        return collect_named(self.ctx.hooks.register_result_formats(), "result format")

    def report(
        self, fmt: str, data: bytes, *, compose: str, actor: Actor,
        options: Mapping[str, Any] | None = None,
    ) -> IngestReport:  # fmt: skip
        """Parse an upload in a registered format and ingest it as one report. The parser
        is given the service's time of receipt as ``options["now"]``: the submit time of
        the results whose source says none."""
        formats = self.formats
        if fmt not in formats:
            known = ", ".join(sorted(formats)) or "none installed"
            raise InputError(f"unknown result format {fmt!r}; known: {known}", key="format")
        given = {**(options or {}), "now": self.ctx.clock()}
        results = formats[fmt](data, compose=compose, options=given)
        if not results:
            raise InputError(f"the {fmt} upload holds no results", key="format")
        return self.ingest(results, actor)

    def pull(self, compose_id: str) -> IngestReport | None:
        """Ask the plugins (``gatekeeper_pull_results``) for the compose's results and ingest
        those of testcases a team owns, as one report. Outside systems hold many testcases no
        team gates; those are left out rather than refusing the pull. A failing plugin does
        not stop the others: their results are stored, then its error is raised."""
        with self.ctx.store.transaction(readonly=True) as tx:
            compose = self.ctx.require(tx, compose_id)
        answers, failures = self.ctx.hooks.pull_results(self._app, compose)
        owner_of = self.ctx.owners()
        owned = [r for results in answers for r in results or ()
                 if r.compose == compose_id and owner_of(r.testcase) is not None]  # fmt: skip
        report = self.ingest(owned, Actor(name="pull", is_admin=True)) if owned else None
        if failures:  # what the others found is stored; the failure is still the caller's
            for name, error in failures[1:]:
                log.warning("pull_results failed: plugin=%s compose=%s error=%r",
                            name, compose_id, error)  # fmt: skip
            raise failures[0][1]
        return report

    def waive(
        self,
        compose_id: str,
        testcase: str,
        *,
        actor: Actor,
        comment: str,
        scenario: str | None = None,
        arch: str | None = None,
        revoke: bool = False,
        expires: str | datetime | None = None,
        bug: str | None = None,
    ) -> tuple[Waiver, Decision]:
        """Waive (or revoke the waiver of) a testcase for one compose, then decide again.
        ``expires`` (a duration like ``3d`` or a time) and ``bug`` (a URL) as the policy's
        ``waivers:`` rules allow or require (a revocation needs neither)."""
        if not (actor.is_admin or actor.can_waive):
            raise Unauthorized(f"{actor.name} may not waive")
        if not comment.strip():
            raise InputError("a waiver needs a comment saying why", key="comment")
        check_text(comment, MAX_TEXT_CHARS, "comment")
        for key, value in (("testcase", testcase), ("scenario", scenario), ("arch", arch)):
            check_text(value, MAX_NAME_CHARS, key)
        if self.ctx.owner_of(testcase) is None:
            raise InputError(f"unknown testcase {testcase!r}, owned by no team", key="testcase")
        ctx = self.ctx
        now = ctx.clock()
        until, bug = (None, None) if revoke else waiver_terms(ctx, testcase, expires=expires,
                                                              bug=bug, now=now)  # fmt: skip
        with ctx.step() as (tx, _undo, owed):
            row = ctx.lock(tx, compose_id)
            waiver = tx.add_waiver(
                Waiver(
                    id="",
                    compose=compose_id,
                    testcase=testcase,
                    time=now,
                    scenario=scenario,
                    arch=arch,
                    waived=not revoke,
                    comment=comment,
                    username=actor.name,
                    expires=until,
                    bug=bug,
                )
            )
            cause = {"waiver": waiver.id, "waived": waiver.waived, "by": actor.name}
            self.decisions.record(tx, row, now, owed, cause, touched=[testcase])
        return waiver, self.decisions.decide(compose_id)

    def accept_forge_event(self, forge: str, key: str, event: Mapping[str, Any]) -> bool:
        """Take one forge event (a webhook delivery) to handle later, once.

        ``key`` names the delivery (GitLab's ``Idempotency-Key``, else a hash of the body):
        a key seen before is dropped (False). Otherwise the event is queued in the outbox
        in the same transaction, and the dispatcher calls ``gatekeeper_forge_event`` with
        it (True). The caller answers the forge at once.
        """
        with self.ctx.store.transaction() as tx:
            if not tx.first_time(f"{forge}:{key}"):
                return False
            tx.enqueue(FORGE_EVENT, {"forge": forge, "event": dict(event)})
        self.ctx.dispatcher.wake()
        return True

    def of(self, compose_id: str) -> list[Result]:
        with self.ctx.store.transaction(readonly=True) as tx:
            self.ctx.require(tx, compose_id)
            return tx.results_for(compose_id)

    def waivers_of(self, compose_id: str) -> list[Waiver]:
        with self.ctx.store.transaction(readonly=True) as tx:
            self.ctx.require(tx, compose_id)
            return tx.waivers_for(compose_id)


def _cause(stored: Sequence[Result], actor: Actor) -> dict[str, Any]:
    """What a report's decision version records as its cause."""
    return {"results": [r.id for r in stored[:20]], "count": len(stored), "reporter": actor.name}
