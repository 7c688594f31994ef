"""Results and waivers: what teams report, and what excuses a result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from gatekeeper.timeutil import format_time


class Outcome(StrEnum):
    """Result outcomes, as ResultsDB spells them."""

    PASSED = "PASSED"
    INFO = "INFO"
    FAILED = "FAILED"
    NEEDS_INSPECTION = "NEEDS_INSPECTION"
    ERROR = "ERROR"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"

    @classmethod
    def parse(cls, value: object) -> Outcome:
        """Any ASCII case, surrounding blanks ignored (``str.upper`` alone would also read a
        long s, U+017F, as S and a dotless i, U+0131, as I). Raises ValueError naming the
        valid ones."""
        if isinstance(value, str) and value.isascii():
            try:
                return cls(value.strip().upper())
            except ValueError:
                pass
        valid = ", ".join(o.value for o in cls)
        raise ValueError(f"unknown outcome {value!r}: use one of {valid}")

    @property
    def status(self) -> Status:
        """What the outcome means for a gate: passed, failed, errored or pending."""
        return _STATUS[self]


class Status(StrEnum):
    """An answer's status, the middle of its type (``test-result-<status>[-waived]``): what
    the worst matching result's outcome means for the gate, ``missing`` without one, and
    ``overdue`` when missing or pending past the gate's deadline."""

    PASSED = "passed"
    FAILED = "failed"
    ERRORED = "errored"
    PENDING = "pending"
    MISSING = "missing"
    OVERDUE = "overdue"


_STATUS = {
    Outcome.PASSED: Status.PASSED,
    Outcome.INFO: Status.PASSED,
    Outcome.FAILED: Status.FAILED,
    Outcome.NEEDS_INSPECTION: Status.FAILED,
    Outcome.ERROR: Status.ERRORED,
    Outcome.QUEUED: Status.PENDING,
    Outcome.RUNNING: Status.PENDING,
}


@dataclass(frozen=True, slots=True)
class Result:
    """One test result, normalised from whatever reported it."""

    compose: str
    testcase: str
    outcome: Outcome
    submit_time: datetime
    id: str | None = None
    scenario: str | None = None
    arch: str | None = None
    variant: str | None = None
    ref_url: str | None = None
    note: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    reporter: str | None = None
    source: str | None = None

    @property
    def key(self) -> tuple[str, str, str | None, str | None, str | None]:
        """Results with the same key supersede each other: the latest counts."""
        return (self.compose, self.testcase, self.scenario, self.arch, self.variant)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "compose": self.compose,
            "testcase": self.testcase,
            "outcome": self.outcome.value,
            "scenario": self.scenario,
            "arch": self.arch,
            "variant": self.variant,
            "ref_url": self.ref_url,
            "note": self.note,
            "submit_time": format_time(self.submit_time),
            "data": dict(self.data),
            "reporter": self.reporter,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Waiver:
    """A waiver for one compose's testcase, optionally narrowed to a scenario and arch."""

    id: str
    compose: str
    testcase: str
    time: datetime
    scenario: str | None = None
    arch: str | None = None
    waived: bool = True
    comment: str | None = None
    username: str | None = None
    expires: datetime | None = None  # it stops counting at this instant
    bug: str | None = None  # the URL of the bug tracking what it excuses
    known_issue: str | None = None  # the known issue it stands for in this compose

    @property
    def key(self) -> tuple[str, str, str | None, str | None]:
        return (self.compose, self.testcase, self.scenario, self.arch)

    def expired(self, now: datetime) -> bool:
        return self.expires is not None and now >= self.expires

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "compose": self.compose,
            "testcase": self.testcase,
            "scenario": self.scenario,
            "arch": self.arch,
            "waived": self.waived,
            "comment": self.comment,
            "username": self.username,
            "time": format_time(self.time),
            "expires": None if self.expires is None else format_time(self.expires),
            "bug": self.bug,
        }
