"""Frozen value types shared by every part of gatekeeper.

Nothing here does I/O. Plugins build and read these types; the store and the
engine pass them around.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from gatekeeper.timeutil import format_time, parse_time


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
        """Any case, surrounding blanks ignored. Raises ValueError naming the valid ones."""
        if isinstance(value, str):
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
    """What a result's outcome means for a gate (the middle part of an answer's type)."""

    PASSED = "passed"
    FAILED = "failed"
    ERRORED = "errored"
    PENDING = "pending"


_STATUS = {
    Outcome.PASSED: Status.PASSED,
    Outcome.INFO: Status.PASSED,
    Outcome.FAILED: Status.FAILED,
    Outcome.NEEDS_INSPECTION: Status.FAILED,
    Outcome.ERROR: Status.ERRORED,
    Outcome.QUEUED: Status.PENDING,
    Outcome.RUNNING: Status.PENDING,
}


class Verdict(StrEnum):
    """A decision's verdict."""

    PASSED = "passed"
    FAILED = "failed"
    PENDING = "pending"


class ComposeState(StrEnum):
    """Where a compose is in its life (see :mod:`gatekeeper.service.composes`)."""

    ANNOUNCED = "announced"
    PROPOSED = "proposed"
    PROMOTED = "promoted"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class MergeRequestState(StrEnum):
    OPEN = "open"
    MERGED = "merged"
    CLOSED = "closed"


# productmd's compose type suffixes (productmd.composeinfo.COMPOSE_TYPES)
COMPOSE_TYPE_SUFFIXES = {
    "": "production",
    "t": "test",
    "n": "nightly",
    "ci": "ci",
    "d": "development",
}
_COMPOSE_ID = re.compile(
    r"^(?P<product>.+?)-(?P<date>\d{8})(?:\.(?P<suffix>n|t|ci|d))?\.(?P<respin>\d+)$"
)


@dataclass(frozen=True, slots=True)
class ComposeId:
    """A compose id split by productmd's convention.

    ``<short>-<version>-<date>[.<type suffix>].<respin>``; the product is
    ``<short>-<version>`` (e.g. ``CentOS-Stream-9``).
    """

    id: str
    product: str
    date: str
    type: str
    respin: int

    @classmethod
    def parse(cls, compose_id: str) -> ComposeId:
        match = _COMPOSE_ID.match(compose_id.strip()) if isinstance(compose_id, str) else None
        if not match or "-" not in match.group("product"):
            raise ValueError(
                f"{compose_id!r} is not a compose id: expected "
                "<short>-<version>-<YYYYMMDD>[.<n|t|ci|d>].<respin>, "
                "like CentOS-Stream-9-20261124.0"
            )
        date = match.group("date")
        try:
            datetime.strptime(date, "%Y%m%d")
        except ValueError:
            raise ValueError(f"{compose_id!r} is not a compose id: {date} is not a date") from None
        return cls(
            id=compose_id.strip(),
            product=match.group("product"),
            date=date,
            type=COMPOSE_TYPE_SUFFIXES[match.group("suffix") or ""],
            respin=int(match.group("respin")),
        )

    @property
    def date_start(self) -> datetime:
        """Midnight UTC of the compose date: the default announcement time."""
        return datetime.strptime(self.date, "%Y%m%d").replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Compose:
    """A compose as the engine sees it."""

    id: str
    product: str
    type: str
    date: str
    respin: int
    announced_at: datetime
    label: str | None = None

    @classmethod
    def from_id(cls, compose_id: str, announced_at: datetime | None = None) -> Compose:
        cid = ComposeId.parse(compose_id)
        return cls(
            id=cid.id,
            product=cid.product,
            type=cid.type,
            date=cid.date,
            respin=cid.respin,
            announced_at=announced_at or cid.date_start,
        )


@dataclass(frozen=True, slots=True)
class Build:
    """One source package of a compose: the unit a Compose Repo file describes."""

    name: str
    version: str
    release: str
    epoch: int = 0
    variants: tuple[str, ...] = ()
    arches: tuple[str, ...] = ()
    rpms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def nvr(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"

    @property
    def evr(self) -> str:
        prefix = f"{self.epoch}:" if self.epoch else ""
        return f"{prefix}{self.version}-{self.release}"


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

    @property
    def key(self) -> tuple[str, str, str | None, str | None]:
        return (self.compose, self.testcase, self.scenario, self.arch)

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
        }


@dataclass(frozen=True, slots=True)
class Gate:
    """One gate of a team's policy."""

    testcase: str
    arches: tuple[str, ...] = ()
    scenario: str | None = None
    required: bool = True
    deadline: timedelta | None = None
    on_missing: str = "block"
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Reporters:
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AppliesTo:
    """Which composes a policy gates: lists OR, keys AND, fnmatch globs; empty = any."""

    products: tuple[str, ...] = ()
    types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    """One team's policy file."""

    team: str
    owns: tuple[str, ...]
    gates: tuple[Gate, ...] = ()
    description: str | None = None
    contact: str | None = None
    reporters: Reporters = Reporters()
    applies_to: AppliesTo = AppliesTo()
    file: str | None = None


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
        return out


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


@dataclass(frozen=True, slots=True)
class MergeRequest:
    """A compose's merge request, as gatekeeper recorded it (the hooks' ``merge_request``).

    ``number`` is the forge's (GitLab's iid; the local forge numbers its own). Reading it
    like the mapping it used to be (``mr["number"]``) still works.
    """

    compose_id: str
    forge: str
    number: int | None
    branch: str
    state: MergeRequestState
    title: str
    description: str
    head_commit: str | None = None
    base_compose: str | None = None
    tree_id: str | None = None
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> MergeRequest:
        """The merge request of a store record or its :meth:`to_json` form."""

        def when(key: str) -> datetime | None:
            value = record.get(key)
            return parse_time(value) if isinstance(value, str) else value

        return cls(
            compose_id=record["compose_id"],
            forge=record["forge"],
            number=record.get("number"),
            branch=record["branch"],
            state=MergeRequestState(record["state"]),
            title=record["title"],
            description=record["description"],
            head_commit=record.get("head_commit"),
            base_compose=record.get("base_compose"),
            tree_id=record.get("tree_id"),
            id=record.get("id"),
            created_at=when("created_at"),
            updated_at=when("updated_at"),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["state"] = self.state.value
        for key in ("created_at", "updated_at"):
            if out[key] is not None:
                out[key] = format_time(out[key])
        return out

    def __getitem__(self, key: str) -> Any:
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self.__dataclass_fields__ else default
