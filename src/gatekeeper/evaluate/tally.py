"""What the verdict and the summary derive from: the tally of the answers, and the state a
stored decision keeps besides its answers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gatekeeper.model import (
    FAILED,
    PASSED,
    PENDING,
    Answer,
    Status,
    Verdict,
)

_UNSATISFIED_ORDER = (
    (Status.MISSING, "result missing", "results missing"),
    (Status.PENDING, "test pending", "tests pending"),
    (Status.ERRORED, "test errored", "tests errored"),
    (Status.FAILED, "test failed", "tests failed"),
    (Status.OVERDUE, "test overdue", "tests overdue"),
)


_STATUSES = {status.value: status for status in Status}


def _status_of(answer: Answer) -> Status:
    return _STATUSES[answer.type.removeprefix("test-result-").split("-")[0]]


@dataclass(frozen=True, slots=True)
class Tally:
    """What the verdict and the summary derive from: the number of required answers, and
    of the unsatisfied ones by status. Kept with a stored decision, so a change of a few
    answers updates it without looking at the others."""

    required: int = 0
    unsatisfied: tuple[tuple[Status, int], ...] = ()

    def count(self, status: Status) -> int:
        return dict(self.unsatisfied).get(status, 0)

    def moved(self, old: Iterable[Answer], new: Iterable[Answer]) -> Tally:
        """The tally with the answers ``old`` replaced by ``new``."""
        required = self.required
        counts = dict(self.unsatisfied)
        for sign, answers in ((-1, old), (1, new)):
            for answer in answers:
                if not answer.required:
                    continue
                required += sign
                if not answer.is_satisfied:
                    status = _status_of(answer)
                    counts[status] = counts.get(status, 0) + sign
        return Tally(required, _counted(counts))

    def to_json(self) -> dict[str, Any]:
        return {"required": self.required,
                "unsatisfied": {str(status): n for status, n in self.unsatisfied}}  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Tally:
        counts = {Status(name): int(n) for name, n in data.get("unsatisfied", {}).items()}
        return cls(int(data["required"]), _counted(counts))


@dataclass(frozen=True)
class DecisionState:
    """What a compose's stored decision is besides its answers: the plan's digest it was
    made for, the applicable policies' names, the tally, when its latest version was
    evaluated, the time up to which its answers are known true (``valid_at``: deadlines
    passed after it are not in them yet) and how many changes since the last snapshot."""

    digest: str
    names: tuple[str, ...]
    counts: Tally
    evaluated_at: datetime
    valid_at: datetime
    since_snapshot: int = 0
    amended: int = 0  # times answers came to name newer results without a new version

    @property
    def verdict(self) -> Verdict:
        return verdict_of_tally(self.counts)

    def to_json(self) -> dict[str, Any]:
        return {"digest": self.digest, "names": list(self.names), "tally": self.counts.to_json(),
                "evaluated_at": self.evaluated_at.isoformat(),
                "valid_at": self.valid_at.isoformat(),
                "since_snapshot": self.since_snapshot, "amended": self.amended}  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DecisionState:
        return cls(
            digest=str(data["digest"]),
            names=tuple(data["names"]),
            counts=Tally.from_json(data["tally"]),
            evaluated_at=datetime.fromisoformat(data["evaluated_at"]),
            valid_at=datetime.fromisoformat(data["valid_at"]),
            since_snapshot=int(data.get("since_snapshot", 0)),
            amended=int(data.get("amended", 0)),
        )


def _counted(counts: Mapping[Status, int]) -> tuple[tuple[Status, int], ...]:
    order = [status for status, _, _ in _UNSATISFIED_ORDER]
    return tuple((s, counts[s]) for s in sorted(counts, key=order.index) if counts[s])


def tally(answers: Iterable[Answer]) -> Tally:
    return Tally().moved((), answers)


def summarize(answers: Sequence[Answer]) -> str:
    """Greenwave's summary text, derived from the required answers."""
    return summary_of(tally(answers))


def summary_of(counts: Tally) -> str:
    """Greenwave's summary text, from the tally of the required answers."""
    total = counts.required
    if not total:
        return "No tests are required"
    if not counts.unsatisfied:
        return f"All required tests ({total} total) have passed or been waived"
    parts = [
        f"{counts.count(status)} {one if counts.count(status) == 1 else many}"
        for status, one, many in _UNSATISFIED_ORDER
        if counts.count(status)
    ]
    noun = "test" if total == 1 else "tests"
    return f"Of {total} required {noun}, " + ", ".join(parts)


def verdict_of(answers: Sequence[Answer]) -> Verdict:
    """failed if a required answer failed, errored or is overdue; else pending if one is
    missing or pending; else passed. Informational answers never count."""
    return verdict_of_tally(tally(answers))


def verdict_of_tally(counts: Tally) -> Verdict:
    """:func:`verdict_of`, from the tally of the required answers."""
    statuses = {status for status, _ in counts.unsatisfied}
    if statuses & {Status.FAILED, Status.ERRORED, Status.OVERDUE}:
        return FAILED
    if statuses & {Status.MISSING, Status.PENDING}:
        return PENDING
    return PASSED
