"""A compose's decision history as changes: what a version row holds, and replaying it.

A version row is either a **snapshot** (``payload``: the whole Decision JSON; ``delta``:
``{"ordinals": [...]}``, the ordinal of each of its answers, satisfied ones first as in
the JSON) or a **change** (``payload`` NULL; ``delta``: ``{"changed": {ordinal: answer}}``,
plus ``"added"``/``"removed"`` when requirements come or go), its ``verdict``, ``summary``,
``evaluated_at`` and ``cause`` always in their columns. An answer is its JSON
(:meth:`~gatekeeper.model.Answer.to_json`) with ``satisfied``. Any version is its last
snapshot with the changes after it applied in order; a snapshot is written at least every
:data:`SNAPSHOT_EVERY` versions and at every change of verdict, so replaying one reads
at most that many rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from gatekeeper.model import Answer
from gatekeeper.timeutil import format_time

SNAPSHOT_EVERY = 1000

AnswerJSON = dict[str, Any]


def answer_json(answer: Answer) -> AnswerJSON:
    return {**answer.to_json(), "satisfied": answer.is_satisfied}


def snapshot_delta(payload: Mapping[str, Any], ordinals: Iterable[int]) -> dict[str, Any]:
    """The ``delta`` of a snapshot row: its answers' ordinals, in the payload's order."""
    ordered = list(ordinals)
    count = len(payload["satisfied_requirements"]) + len(payload["unsatisfied_requirements"])
    if len(ordered) != count:
        raise ValueError(f"{len(ordered)} ordinals for {count} answers")
    return {"ordinals": ordered}


def change_delta(
    changed: Mapping[int, Answer],
    added: Mapping[int, Answer] | None = None,
    removed: Iterable[int] = (),
) -> dict[str, Any]:
    delta: dict[str, Any] = {"changed": {str(n): answer_json(a) for n, a in changed.items()}}
    if added:
        delta["added"] = {str(n): answer_json(a) for n, a in added.items()}
    gone = sorted(removed)
    if gone:
        delta["removed"] = gone
    return delta


def _answers_of_snapshot(payload: Mapping[str, Any], delta: Any) -> dict[int, AnswerJSON]:
    listed = [{**a, "satisfied": True} for a in payload["satisfied_requirements"]] + [
        {**a, "satisfied": False} for a in payload["unsatisfied_requirements"]
    ]
    ordinals = (delta or {}).get("ordinals") or list(range(len(listed)))
    return dict(zip(ordinals, listed, strict=True))


def _sort_key(item: tuple[int, AnswerJSON]) -> tuple[str, str, str, str, str, int]:
    n, a = item
    return (a["team"], a["testcase"], a.get("scenario") or "", a.get("arch") or "",
            a.get("variant") or "", n)  # fmt: skip


def payload_of(
    compose_id: str, row: Mapping[str, Any], names: list[str], answers: Mapping[int, AnswerJSON]
) -> dict[str, Any]:
    """The Decision JSON of a version: its row's verdict, summary and time, these answers."""
    satisfied: list[AnswerJSON] = []
    unsatisfied: list[AnswerJSON] = []
    for _, a in sorted(answers.items(), key=_sort_key):
        plain = {k: v for k, v in a.items() if k != "satisfied"}
        (satisfied if a["satisfied"] else unsatisfied).append(plain)
    return {
        "compose": compose_id,
        "verdict": row["verdict"],
        "policies_satisfied": row["verdict"] == "passed",
        "summary": row["summary"],
        "applicable_policies": names,
        "satisfied_requirements": satisfied,
        "unsatisfied_requirements": unsatisfied,
        "evaluated_at": format_time(row["evaluated_at"]),
    }


class Replayer:
    """Replays one compose's history forward, keeping where it got: asked for the next
    versions it applies only the rows after the last one it saw."""

    def __init__(self, compose_id: str) -> None:
        self.compose_id = compose_id
        self.version = 0
        self.answers: dict[int, AnswerJSON] = {}
        self.names: list[str] = []

    def apply(
        self, rows: Iterable[Mapping[str, Any]], wanted: set[int] | None = None
    ) -> Iterator[tuple[Mapping[str, Any], dict[str, Any]]]:
        """Apply these rows (version order, the first a snapshot unless they follow the
        last version applied); yield each wanted one with its Decision JSON."""
        for row in rows:
            delta = row.get("delta")
            version = int(row["version"])
            if row.get("payload") is not None:
                payload = row["payload"]
                self.answers = _answers_of_snapshot(payload, delta)
                self.names = list(payload["applicable_policies"])
                self.version = version
                if wanted is None or version in wanted:
                    yield row, {**payload}
                continue
            if self.version != version - 1 or not self.names:
                raise ValueError(
                    f"decision history of {self.compose_id}: version {version} follows "
                    f"{self.version or 'no snapshot'}"
                )
            for key in ("changed", "added"):
                for n, a in (delta or {}).get(key, {}).items():
                    self.answers[int(n)] = a
            for n in (delta or {}).get("removed", ()):
                self.answers.pop(int(n), None)
            self.version = version
            if wanted is None or version in wanted:
                yield row, payload_of(self.compose_id, row, self.names, self.answers)


def replay(
    compose_id: str, rows: Iterable[Mapping[str, Any]], *, wanted: set[int] | None = None
) -> Iterator[tuple[Mapping[str, Any], dict[str, Any]]]:
    """Each row (version order, starting at a snapshot) with its version's Decision JSON;
    only those in ``wanted`` when given (the others are applied, not put together)."""
    return Replayer(compose_id).apply(rows, wanted)
