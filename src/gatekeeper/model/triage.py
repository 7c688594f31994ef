"""What besides results and waivers moves a gate: known issues carried across composes, and
rerun requests (asked by a team, or made by a gate's ``retries:`` after an ``ERROR``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from gatekeeper.model.results import Result, Waiver
from gatekeeper.timeutil import format_time, parse_time


@dataclass(frozen=True, slots=True)
class KnownIssue:
    """A known failure, tracked by a bug: it waives the failed and errored answers of its
    testcase (narrowed to an arch and scenario when given) in every compose whose product
    matches ``product`` (an fnmatch glob), until it expires or is closed."""

    id: str
    product: str
    testcase: str
    bug: str
    comment: str
    username: str
    created_at: datetime
    expires: datetime | None = None
    arch: str | None = None
    scenario: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None

    def applies(self, product: str, now: datetime) -> bool:
        """Whether it waives in a compose of ``product`` at ``now``."""
        return (
            (self.closed_at is None or now < self.closed_at)
            and (self.expires is None or now < self.expires)
            and fnmatchcase(product, self.product)
        )

    def as_waiver(self, compose_id: str) -> Waiver:
        """The waiver it amounts to in one compose."""
        return Waiver(id=f"known-issue:{self.id}", compose=compose_id, testcase=self.testcase,
                      time=self.created_at, scenario=self.scenario, arch=self.arch,
                      comment=self.comment, username=self.username, expires=self.expires,
                      bug=self.bug, known_issue=self.id)  # fmt: skip

    @property
    def state(self) -> str:
        """``closed`` or ``open`` as stored, whatever the time (see :meth:`state_at`)."""
        return "closed" if self.closed_at is not None else "open"

    def state_at(self, now: datetime) -> str:
        """``open`` at ``now``, or what ended it first: ``closed`` or ``expired``."""
        ends = [(at, word) for at, word in ((self.closed_at, "closed"), (self.expires, "expired"))
                if at is not None and at <= now]  # fmt: skip
        return min(ends)[1] if ends else "open"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "product": self.product,
            "testcase": self.testcase,
            "arch": self.arch,
            "scenario": self.scenario,
            "bug": self.bug,
            "comment": self.comment,
            "username": self.username,
            "created_at": format_time(self.created_at),
            "expires": None if self.expires is None else format_time(self.expires),
            "closed_at": None if self.closed_at is None else format_time(self.closed_at),
            "closed_by": self.closed_by,
        }


@dataclass(frozen=True, slots=True)
class RerunRequest:
    """A request to run a testcase of a compose again (narrowed to a scenario, arch and,
    for an automatic retry, variant). The results it covers that were submitted no later
    than ``after`` count as pending (reason ``rerun requested``) until a newer one arrives.

    ``automatic``: made by a gate's ``retries:`` after an ``ERROR`` (``retry`` of
    ``retries``); otherwise asked for by ``username``, with ``reason`` when it reruns a
    passed result."""

    id: str
    compose: str
    testcase: str
    time: datetime
    after: datetime
    username: str
    scenario: str | None = None
    arch: str | None = None
    variant: str | None = None
    reason: str | None = None
    automatic: bool = False
    retry: int | None = None
    retries: int | None = None

    def covers(self, result: Result) -> bool:
        """Whether ``result`` is one of those it asks to run again (not newer than it)."""
        if result.testcase != self.testcase or result.submit_time > self.after:
            return False
        if self.automatic:
            return (result.scenario, result.arch, result.variant) == (
                self.scenario, self.arch, self.variant)  # fmt: skip
        return (self.scenario is None or self.scenario == result.scenario) and (
            self.arch is None or self.arch == result.arch
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "compose": self.compose,
            "testcase": self.testcase,
            "scenario": self.scenario,
            "arch": self.arch,
            "variant": self.variant,
            "time": format_time(self.time),
            "after": format_time(self.after),
            "username": self.username,
            "reason": self.reason,
            "automatic": self.automatic,
            "retry": self.retry,
            "retries": self.retries,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RerunRequest:
        return cls(
            id=str(data["id"]), compose=str(data["compose"]), testcase=str(data["testcase"]),
            time=parse_time(data["time"]), after=parse_time(data["after"]),
            username=str(data["username"]), scenario=data.get("scenario"),
            arch=data.get("arch"), variant=data.get("variant"), reason=data.get("reason"),
            automatic=bool(data.get("automatic", False)), retry=data.get("retry"),
            retries=data.get("retries"),
        )  # fmt: skip
