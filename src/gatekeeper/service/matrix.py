"""A decision laid out for people: each answer paired with the gate it answers, the counts
of a compose's row, the gate matrix, and what changed between decision versions.

Pure: values in, values out. An answer names its requirement only partly (a gate without
a scenario or arches takes them from its result), so answers are paired with the current
policies' requirements the way the engine made them: same team, testcase and ``required``,
the gate's scenario and arch when it names them, most specific gates first. An answer no
current gate claims (the policies changed since it was decided) keeps a row of its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from gatekeeper.evaluate import policy_applies, requirements
from gatekeeper.model import Answer, Compose, Decision, Gate, Policy, Result, Verdict, Waiver
from gatekeeper.service.triage_views import Whys
from gatekeeper.service.views import (
    AnswerChange,
    Cell,
    HistoryEntry,
    Matrix,
    MatrixRow,
    ResultView,
    Suspects,
    Transition,
    WaiverView,
    state_word,
)

WAITING_STATES = ("missing", "pending")
FAILING_STATES = ("failed", "errored")


class Paired(NamedTuple):
    """An answer and the gate requirement it answers (``gate`` None: no current gate).
    A tuple: thousands are made per page."""

    answer: Answer
    gate: Gate | None
    arch: str | None  # the requirement's arch: the gate's, None for a gate without arches
    deadline: datetime | None
    state: str  # the answer's state word

    @property
    def scenario(self) -> str | None:
        """The requirement's scenario: the gate's (None when it names none)."""
        return self.gate.scenario if self.gate is not None else self.answer.scenario


def applicable(compose: Compose, policies: Iterable[Policy]) -> list[Policy]:
    """The policies gating the compose, by team (as the engine orders them)."""
    found = (p for p in policies if policy_applies(p, compose.product, compose.type))
    return sorted(found, key=lambda p: p.team)


def deadline_of(compose: Compose, gate: Gate | None) -> datetime | None:
    if gate is None or gate.deadline is None:
        return None
    return compose.announced_at + gate.deadline


def fits(decision: Decision, policies: Sequence[Policy], pairs: Sequence[Paired]) -> bool:
    """Whether a decision answers exactly the policies' requirements as they are now: the
    same policies apply, each answer has its own requirement (:func:`pair_answers`: same
    team, testcase, ``required``, scenario and arch), one each, and each answer is what
    its gate's deadline and ``on_missing`` made of it when it was evaluated. A policy
    edited since (a gate added, moved or given another deadline) fails this."""
    if decision.applicable_policies != tuple(p.team for p in policies):
        return False
    wanted = sum(len(gate.arches) or 1 for policy in policies for gate in policy.gates)
    if len(pairs) != wanted:
        return False
    at = decision.evaluated_at
    for pair in pairs:
        gate = pair.gate
        if gate is None:
            return False
        status = pair.answer.type.removeprefix("test-result-").split("-")[0]
        late = pair.deadline is not None and at > pair.deadline
        if status == "overdue":
            ignored = pair.answer.type == "test-result-overdue-ignored"
            if not late or ignored != (gate.on_missing == "ignore"):
                return False
        elif status in WAITING_STATES and late:
            return False
    return True


def time_moved(
    policies: Sequence[Policy], compose: Compose, evaluated_at: datetime, now: datetime
) -> bool:
    """Whether a deadline instant lies between a decision's evaluation and ``now``: time
    alone may have moved the decision since."""
    low, high = sorted((evaluated_at, now))
    for policy in policies:
        for gate in policy.gates:
            instant = deadline_of(compose, gate)
            if instant is not None and low <= instant < high:
                return True
    return False


def pair_answers(policies: Sequence[Policy], decision: Decision, compose: Compose) -> list[Paired]:
    """Every answer of the decision with its requirement, in the decision's order."""
    pool: dict[tuple[str, str], list[int]] = {}
    for index, answer in enumerate(decision.answers):
        pool.setdefault((answer.team, answer.testcase), []).append(index)
    reqs = requirements(policies)
    # specific requirements first, so a gate without scenario or arches takes what is left
    reqs.sort(key=lambda r: (r[1].scenario is None) + (r[2] is None))
    claimed: dict[int, tuple[Gate, str | None]] = {}
    for policy, gate, arch in reqs:
        candidates = pool.get((policy.team, gate.testcase), [])
        for position, index in enumerate(candidates):
            answer = decision.answers[index]
            if answer.required != gate.required:
                continue
            if gate.scenario is not None and answer.scenario != gate.scenario:
                continue
            if arch is not None and answer.arch != arch:
                continue
            claimed[index] = (gate, arch)
            del candidates[position]
            break
    out = []
    words: dict[str, str] = {}
    deadlines: dict[int, datetime | None] = {}
    for index, answer in enumerate(decision.answers):
        word = words.get(answer.type)
        if word is None:
            word = words[answer.type] = state_word(answer.type)
        if index not in claimed:
            out.append(Paired(answer, None, answer.arch, None, word))
            continue
        owner, arch = claimed[index]
        key = id(owner)
        if key not in deadlines:
            deadlines[key] = deadline_of(compose, owner)
        out.append(Paired(answer, owner, arch, deadlines[key], word))
    return out


def row_counts(
    pairs: Sequence[Paired],
) -> tuple[int, int, tuple[str, ...], tuple[datetime, ...]]:
    """Satisfied and required counts (required answers only), the teams waited for (a
    required answer missing or pending), and the deadline instants of the unsatisfied
    required answers (distinct, soonest first: the next one ahead is the row's)."""
    required = [p for p in pairs if p.answer.required]
    satisfied = sum(1 for p in required if p.answer.is_satisfied)
    waiting = sorted({p.answer.team for p in required if p.state in WAITING_STATES})
    deadlines = {
        p.deadline for p in required if not p.answer.is_satisfied and p.deadline is not None
    }
    return satisfied, len(required), tuple(waiting), tuple(sorted(deadlines))


def result_view(result: Result) -> ResultView:
    return ResultView(
        id=result.id,
        outcome=str(result.outcome),
        submit_time=result.submit_time,
        reporter=result.reporter,
        ref_url=result.ref_url,
        note=result.note,
        variant=result.variant,
    )


def waiver_view(waiver: Waiver) -> WaiverView:
    return WaiverView(waiver.id, waiver.comment, waiver.username, waiver.time)


RowKey = tuple[str, str, str | None, int]


def build_matrix(
    pairs: Sequence[Paired],
    results: Mapping[str, tuple[Any, ...]],
    waivers: Mapping[str, Waiver],
    suspects: Mapping[int, Suspects],
) -> Matrix:
    """The gate matrix: one row per (team, testcase, scenario), one column per arch (None:
    "any", for gates without arches). ``results`` are the store's result rows by id
    (:meth:`~gatekeeper.store.Tx.result_rows`); ``suspects`` are by index in ``pairs``."""
    arches = sorted({p.arch for p in pairs if p.arch is not None})
    columns: list[str | None] = [*arches]
    if any(p.arch is None for p in pairs):
        columns.append(None)
    where = {arch: index for index, arch in enumerate(columns)}
    rows: dict[RowKey, list[Cell | None]] = {}
    meta: dict[RowKey, Paired] = {}
    width = len(columns)
    whys = Whys()
    for index, pair in enumerate(pairs):
        answer = pair.answer
        column = where[pair.arch]
        key: RowKey = (answer.team, answer.testcase, pair.scenario, 0)
        cells = rows.get(key)
        while cells is not None and cells[column] is not None:
            key = (*key[:3], key[3] + 1)  # two gates on one requirement: a row each
            cells = rows.get(key)
        if cells is None:
            cells = rows[key] = [None] * width
            meta[key] = pair
        row = results.get(answer.result_id) if answer.result_id else None
        waiver = waivers.get(answer.waiver_id) if answer.waiver_id else None
        cells[column] = Cell(
            answer.team,
            answer.testcase,
            answer.scenario,
            answer.arch,
            answer.type,
            pair.state,
            answer.is_satisfied,
            answer.required,
            pair.deadline,
            ResultView(str(row[0]), *row[1:]) if row is not None else None,
            waiver_view(waiver) if waiver is not None else None,
            suspects.get(index),
            answer.variant,
            pair.arch,
            whys.of(answer),
        )
    ordered = sorted(rows, key=lambda k: (k[0], k[1], k[2] or "", k[3]))
    return Matrix(
        arches=tuple(columns),
        rows=tuple(
            MatrixRow(
                team=key[0],
                testcase=key[1],
                scenario=key[2],
                required=meta[key].answer.required,
                deadline=meta[key].deadline,
                cells=tuple(rows[key]),
            )
            for key in ordered
        ),
    )


# -- history ---------------------------------------------------------------------------------
AnswerKey = tuple[str, str, str | None, str | None]
AnswerTypes = dict[AnswerKey, Any]  # the type, or a sorted tuple of them for a repeated key


def answer_types(payload: Mapping[str, Any]) -> AnswerTypes:
    """Each answer's type by team, testcase, scenario and arch (a sorted tuple of types
    where several answers share them), from a Decision JSON payload."""
    out: AnswerTypes = {}
    repeated = set()
    for part in ("satisfied_requirements", "unsatisfied_requirements"):
        for a in payload.get(part, ()):
            key = (a["team"], a["testcase"], a.get("scenario"), a.get("arch"))
            if key in out:
                repeated.add(key)
                seen = out[key]
                out[key] = (*seen, a["type"]) if isinstance(seen, tuple) else (seen, a["type"])
            else:
                out[key] = a["type"]
    for key in repeated:
        out[key] = tuple(sorted(out[key]))
    return out


def _text(kind: Any) -> str | None:
    return ", ".join(kind) if isinstance(kind, tuple) else kind


CHANGES_KEPT = 200
"""Changed answers a history entry lists one by one; all are counted in its transitions."""


def answer_changes(
    old: AnswerTypes | None, new: AnswerTypes
) -> tuple[tuple[AnswerChange, ...], int, tuple[Transition, ...]]:
    """The answers whose type differs between two decisions' answer types (:func:`answer_types`;
    ``old`` None: every answer is new), by team, testcase, scenario and arch: the first
    :data:`CHANGES_KEPT`, how many there are, and their count per (old, new) type. Two
    answers with one key (gates on the same testcase without scenario or arches) show
    their types together."""
    before = old or {}
    changed = [key for key, kind in new.items() if before.get(key) != kind]
    changed += [key for key in before if key not in new]
    counts = Counter((_text(before.get(key)), _text(new.get(key))) for key in changed)
    transitions = tuple(
        Transition(old_type, new_type, n)
        for (old_type, new_type), n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    )
    changed.sort(key=lambda k: (k[0], k[1], k[2] or "", k[3] or ""))
    kept = tuple(
        AnswerChange(*key, _text(before.get(key)), _text(new.get(key)))
        for key in changed[:CHANGES_KEPT]
    )
    return kept, len(changed), transitions


def cause_text(cause: Mapping[str, Any] | None) -> str:
    """A sentence saying what made a decision version."""
    if not cause:
        return "decided"
    if cause.get("clock"):
        return "time passed (a deadline, or a waiver or known issue expired)"
    if cause.get("announced"):
        return "announced"
    if cause.get("policies"):
        return "the policies changed"
    if "waiver" in cause:
        what = "waiver" if cause.get("waived", True) else "waiver revoked"
        who = f" by {cause['by']}" if cause.get("by") else ""
        return f"{what} #{cause['waiver']}{who}"
    who = f" by {cause['by']}" if cause.get("by") else ""
    if "rerun" in cause:
        return f"rerun request #{cause['rerun']}{who}"
    if "known_issue" in cause:
        done = "closed" if cause.get("closed") else "added"
        return f"known issue #{cause['known_issue']} {done}{who}"
    if "results" in cause:
        ids = [str(rid) for rid in cause.get("results") or ()]
        count = int(cause.get("count") or len(ids))
        noun = "result" if count == 1 else "results"
        shown = ", ".join(f"#{rid}" for rid in ids[:5]) + (", ..." if len(ids) > 5 else "")
        who = f" from {cause['reporter']}" if cause.get("reporter") else ""
        return f"{count} {noun}{who}" + (f" ({shown})" if shown else "")
    return ", ".join(f"{key}: {value}" for key, value in sorted(cause.items()))


def history_entry(
    row: Mapping[str, Any],
    changes: tuple[tuple[AnswerChange, ...], int, tuple[Transition, ...]] | None,
) -> HistoryEntry:
    """A history entry of a stored decision row, with its changes when they are known
    (:func:`answer_changes` against the version before it)."""
    kept, total, transitions = changes if changes is not None else ((), 0, ())
    return HistoryEntry(
        version=int(row["version"]),
        verdict=Verdict(row["verdict"]),
        summary=row["summary"],
        evaluated_at=row["evaluated_at"],
        recorded_at=row.get("created_at"),
        changes=kept,
        cause=dict(row["cause"]) if row.get("cause") else None,
        cause_text=cause_text(row.get("cause")),
        changes_shown=changes is not None,
        changes_total=total,
        transitions=transitions,
    )
