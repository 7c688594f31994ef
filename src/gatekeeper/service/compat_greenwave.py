"""Greenwave's decision API (``POST /api/v1.0/decision``) over gatekeeper's decisions.

A request names a compose (``subject_type: compose``), one or more decision contexts and
a product version. The policies answering it are those applying to the compose (its
product and type, ``applies_to``) that name one of the contexts (``decision_context:``,
default ``gatekeeper``). Without a what-if (``when``, ``ignore_result``, ``ignore_waiver``)
and with every applicable policy selected, the answer is the compose's decision as
``GET /api/v1/composes/{id}/decision`` gives it; otherwise it is evaluated from the
stored results and waivers, never recorded.

Gatekeeper's answer types are told to a Greenwave client in Greenwave's words
(:data:`GREENWAVE_TYPES`); each requirement keeps gatekeeper's own as ``gatekeeper_type``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gatekeeper.errors import NotFound
from gatekeeper.evaluate import active_waivers, evaluate, latest_results, policy_applies
from gatekeeper.model import Answer, Compose, Decision, Policy, Result, Waiver
from gatekeeper.timeutil import format_time

if TYPE_CHECKING:
    from gatekeeper.service import Gatekeeper

SUBJECT_TYPE = "compose"

GREENWAVE_TYPES = {
    "test-result-passed": "test-result-passed",
    "test-result-failed": "test-result-failed",
    "test-result-errored": "test-result-errored",
    "test-result-missing": "test-result-missing",
    # QUEUED or RUNNING: Greenwave's incomplete result, typed as missing, with its result_id
    "test-result-pending": "test-result-missing",
    # no result by the deadline: it blocks, as a failure does, until reported or waived
    "test-result-overdue": "test-result-failed",
    # satisfied by the policy's on_missing: ignore, no waiver
    "test-result-overdue-ignored": "test-result-missing-waived",
}
"""Gatekeeper's answer type -> the type a Greenwave client is told (``-waived`` kept)."""


@dataclass(frozen=True, slots=True)
class GreenwaveQuery:
    """One decision request, read and checked by the adapter."""

    subject_identifier: str
    decision_contexts: tuple[str, ...]
    product_version: str
    verbose: bool = False
    when: datetime | None = None
    ignore_results: frozenset[str] = frozenset()
    ignore_waivers: frozenset[str] = frozenset()

    @property
    def what_if(self) -> bool:
        return self.when is not None or bool(self.ignore_results or self.ignore_waivers)


def greenwave_type(kind: str) -> str:
    """The Greenwave answer type of a gatekeeper one."""
    waived = kind.endswith("-waived")
    base = kind.removesuffix("-waived")
    mapped = GREENWAVE_TYPES.get(base, base)
    if waived and not mapped.endswith("-waived"):
        mapped += "-waived"
    return mapped


def _id(value: str | None) -> int | str | None:
    """Greenwave's ids are numbers: a numeric id is sent as one."""
    return int(value) if value is not None and value.isdigit() else value


def greenwave_summary(answers: Sequence[Answer]) -> str:
    """Greenwave's summary of the required answers (``summarize_answers``)."""
    required = [greenwave_type(a.type) for a in answers if a.required]
    if not required:
        return "no tests are required"
    unsatisfied = [t for t in required if not t.endswith(("-passed", "-waived"))]
    missing = sum(1 for t in unsatisfied if t == "test-result-missing")
    failed = len(unsatisfied) - missing
    total = len(required)
    if failed and missing:
        plural = "s" if missing > 1 else ""
        summary = f"{failed} of {total} required tests failed, {missing} result{plural} missing"
    elif failed:
        summary = f"{failed} of {total} required tests failed"
    elif missing:
        summary = f"{missing} of {total} required test results missing"
    else:
        summary = "All required tests passed"
    errored = sum(1 for t in unsatisfied if t == "test-result-errored")
    if errored:
        summary += f" ({errored} {'error' if errored == 1 else 'errors'})"
    return summary


class GreenwaveDecisions:
    """Answers Greenwave decision requests from the facade's public methods."""

    def __init__(self, app: Gatekeeper) -> None:
        self.app = app

    def decide(self, query: GreenwaveQuery) -> dict[str, Any]:
        """Greenwave's answer for the compose (NotFound: unknown compose, or no policy
        of the compose answers the contexts)."""
        compose = self.app.compose(query.subject_identifier)
        applicable = [
            p for p in self.app.policies if policy_applies(p, compose.product, compose.type)
        ]
        wanted = set(query.decision_contexts)
        selected = [p for p in applicable if wanted & set(p.decision_contexts)]
        if not selected:
            contexts = ", ".join(query.decision_contexts)
            raise NotFound(
                f"Cannot find any applicable policies for {SUBJECT_TYPE} subjects at gating "
                f"point {contexts} in {query.product_version}"
            )
        whole = not query.what_if and len(selected) == len(applicable)
        results, waivers = (
            self._inputs(compose.id, query) if query.verbose or not whole else ([], [])
        )
        if whole:
            decision = self.app.decide(compose.id)  # the compose's decision, as GET gives it
        else:
            when = query.when if query.when is not None else self.app.clock()
            decision = evaluate(compose, selected, results, waivers, when)
        return self._answer(compose, decision, query, selected, results, waivers)

    def _inputs(self, compose_id: str, query: GreenwaveQuery) -> tuple[list[Result], list[Waiver]]:
        """The compose's results and waivers known at ``when``, the ignored ones left out."""
        when = query.when
        results = [
            r for r in self.app.results(compose_id)
            if (when is None or r.submit_time <= when) and str(r.id) not in query.ignore_results
        ]  # fmt: skip
        waivers = [
            w for w in self.app.waivers(compose_id)
            if (when is None or w.time <= when) and w.id not in query.ignore_waivers
        ]  # fmt: skip
        return results, waivers

    def _answer(
        self, compose: Compose, decision: Decision, query: GreenwaveQuery,
        selected: Sequence[Policy], results: Sequence[Result], waivers: Sequence[Waiver],
    ) -> dict[str, Any]:  # fmt: skip
        out: dict[str, Any] = {
            "policies_satisfied": decision.policies_satisfied,
            "summary": greenwave_summary(decision.answers),
            "applicable_policies": [p.team for p in selected],
            "satisfied_requirements": [
                requirement(compose.id, a) for a in decision.satisfied_requirements
            ],
            "unsatisfied_requirements": [
                requirement(compose.id, a) for a in decision.unsatisfied_requirements
            ],
            "verdict": str(decision.verdict),
            "evaluated_at": format_time(decision.evaluated_at),
        }
        if query.verbose:
            latest = latest_results(compose.id, results)
            out["results"] = [result_json(r) for found in latest.values() for r in found]
            out["waivers"] = [
                waiver_json(w, query.product_version) for w in active_waivers(compose.id, waivers)
            ]
        return out


def requirement(compose_id: str, answer: Answer) -> dict[str, Any]:
    """One answer as a Greenwave requirement (gatekeeper's own type and team kept)."""
    kind = greenwave_type(answer.type)
    out: dict[str, Any] = {
        "type": kind,
        "testcase": answer.testcase,
        "subject_type": SUBJECT_TYPE,
        "subject_identifier": compose_id,
        "scenario": answer.scenario,
        "system_architecture": answer.arch,
        "system_variant": answer.variant,
        "source": None,  # upstream: the policy's remote source; gatekeeper's are local
        "ref_url": answer.ref_url,
        "result_id": _id(answer.result_id),
        "gatekeeper_type": answer.type,
        "team": answer.team,
        "required": answer.required,
    }
    if not answer.is_satisfied:
        out["item"] = {"productmd.compose.id": compose_id}  # upstream: backwards compatibility
    if kind.startswith("test-result-errored"):
        out["error_reason"] = None
    if answer.waiver_id is not None or kind.endswith("-waived"):
        out["waiver_id"] = _id(answer.waiver_id)
    return out


def result_json(result: Result) -> dict[str, Any]:
    """A result as ResultsDB v2.0 shows one (``data`` values as lists)."""
    data: dict[str, list[str]] = {
        "type": ["compose"],
        "item": [result.compose],
        "productmd.compose.id": [result.compose],
    }
    for key, value in (("scenario", result.scenario), ("system_architecture", result.arch),
                       ("system_variant", result.variant)):  # fmt: skip
        if value is not None:
            data[key] = [value]
    for key, value in result.data.items():
        if key not in data:
            data[key] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return {
        "id": _id(result.id),
        "outcome": result.outcome.value,
        "testcase": {"name": result.testcase},
        "data": data,
        "note": result.note,
        "ref_url": result.ref_url,
        "submit_time": format_time(result.submit_time),
        "groups": [],
    }


def waiver_json(waiver: Waiver, product_version: str) -> dict[str, Any]:
    """A waiver as WaiverDB v1.0 shows one."""
    return {
        "id": _id(waiver.id),
        "subject_type": SUBJECT_TYPE,
        "subject_identifier": waiver.compose,
        "testcase": waiver.testcase,
        "scenario": waiver.scenario,
        "system_architecture": waiver.arch,
        "product_version": product_version,
        "waived": waiver.waived,
        "username": waiver.username,
        "comment": waiver.comment,
        "timestamp": format_time(waiver.time),
        "proxied_by": None,
    }


__all__ = ["GREENWAVE_TYPES", "GreenwaveDecisions", "GreenwaveQuery", "greenwave_type"]
