"""Decisions: the typed answers per requirement, and the verdict they make."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from gatekeeper.timeutil import format_time, parse_time


class Verdict(StrEnum):
    """A decision's verdict."""

    PASSED = "passed"
    FAILED = "failed"
    PENDING = "pending"


PASSED, FAILED, PENDING = Verdict.PASSED, Verdict.FAILED, Verdict.PENDING


@dataclass(frozen=True, slots=True)
class Answer:
    """The engine's answer for one requirement (one gate, one arch)."""

    type: str
    team: str
    testcase: str
    required: bool
    is_satisfied: bool
    scenario: str | None = None
    arch: str | None = None
    variant: str | None = None
    result_id: str | None = None
    ref_url: str | None = None
    waiver_id: str | None = None
    # what else explains it (each left out of the JSON when None): why it is what it is
    # ("rerun requested", "errored (retry 1 of 2)", "waiver 7 expired ..."), the bug and
    # expiry of the waiver or known issue excusing it, the known issue's id, the rerun
    # request it waits on, and the retry of the gate's ``retries``
    reason: str | None = None
    bug: str | None = None
    expires: str | None = None
    known_issue: str | None = None
    rerun_id: str | None = None
    retry: int | None = None
    retries: int | None = None

    def detail(self) -> dict[str, Any] | None:
        """The explaining fields that are set (None: none is)."""
        out = {name: getattr(self, name) for name in DETAIL_FIELDS
               if getattr(self, name) is not None}  # fmt: skip
        return out or None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type,
            "team": self.team,
            "testcase": self.testcase,
            "scenario": self.scenario,
            "arch": self.arch,
            "variant": self.variant,
            "required": self.required,
        }
        if self.result_id is not None:
            out["result_id"] = self.result_id
            out["ref_url"] = self.ref_url
        if self.waiver_id is not None:
            out["waiver_id"] = self.waiver_id
        out.update(self.detail() or {})
        return out


DETAIL_FIELDS = ("reason", "bug", "expires", "known_issue", "rerun_id", "retry", "retries")


@dataclass(frozen=True, slots=True)
class DecisionVersion:
    """A stored version of a compose's decision, named rather than carried (an outbox
    entry's argument: the sender reads the version back when it makes the call)."""

    compose: str
    version: int


@dataclass(frozen=True, slots=True)
class Decision:
    """What the engine decided for one compose. The summary derives from the answers."""

    compose: str
    verdict: Verdict
    summary: str
    applicable_policies: tuple[str, ...]
    answers: tuple[Answer, ...]
    evaluated_at: datetime

    @property
    def policies_satisfied(self) -> bool:
        return self.verdict == PASSED

    @property
    def satisfied_requirements(self) -> tuple[Answer, ...]:
        return tuple(a for a in self.answers if a.is_satisfied)

    @property
    def unsatisfied_requirements(self) -> tuple[Answer, ...]:
        return tuple(a for a in self.answers if not a.is_satisfied)

    def to_json(self) -> dict[str, Any]:
        return {
            "compose": self.compose,
            "verdict": str(self.verdict),
            "policies_satisfied": self.policies_satisfied,
            "summary": self.summary,
            "applicable_policies": list(self.applicable_policies),
            "satisfied_requirements": [a.to_json() for a in self.satisfied_requirements],
            "unsatisfied_requirements": [a.to_json() for a in self.unsatisfied_requirements],
            "evaluated_at": format_time(self.evaluated_at),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Decision:
        """The Decision a :meth:`to_json` payload describes (its ``to_json`` gives it back)."""
        answers = []
        for satisfied, key in (
            (True, "satisfied_requirements"),
            (False, "unsatisfied_requirements"),
        ):
            for a in data[key]:
                answers.append(
                    Answer(
                        type=a["type"],
                        team=a["team"],
                        testcase=a["testcase"],
                        required=a.get("required", True),
                        is_satisfied=satisfied,
                        scenario=a.get("scenario"),
                        arch=a.get("arch"),
                        variant=a.get("variant"),
                        result_id=a.get("result_id"),
                        ref_url=a.get("ref_url"),
                        waiver_id=a.get("waiver_id"),
                        **{name: a[name] for name in DETAIL_FIELDS if a.get(name) is not None},
                    )
                )
        return cls(
            compose=data["compose"],
            verdict=Verdict(data["verdict"]),
            summary=data["summary"],
            applicable_policies=tuple(data["applicable_policies"]),
            answers=tuple(answers),
            evaluated_at=parse_time(data["evaluated_at"]),
        )
