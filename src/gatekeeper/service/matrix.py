"""A decision laid out for people: each answer paired with the gate it answers, the counts
of a compose's row and the gate matrix (what changed between decision versions is in
:mod:`~gatekeeper.service.history_views`).

Pure: values in, values out. An answer names its requirement only partly (a gate without
a scenario or arches takes them from its result), so answers are paired with the current
policies' requirements the way the engine made them: same team, testcase and ``required``,
the gate's scenario and arch when it names them, most specific gates first. An answer no
current gate claims (the policies changed since it was decided) keeps a row of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, NamedTuple

from gatekeeper.evaluate import policy_applies, requirements
from gatekeeper.model import Answer, Compose, Decision, Gate, Policy, Result, Waiver
from gatekeeper.service.triage_views import Whys
from gatekeeper.service.views import (
    Cell,
    Matrix,
    MatrixRow,
    ResultView,
    Suspects,
    WaiverView,
    state_word,
)

WAITING_STATES = ("missing", "pending")
FAILING_STATES = ("failed", "errored")
URGENCY = ("failed", "errored", "overdue", "pending", "missing")
"""The states of an unsatisfied required answer, the most pressing first: a team a row
waits for is named with the first of these its answers are in."""


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


class RowCounts(NamedTuple):
    """What a compose's row says of its answers (required ones only): how many are
    satisfied of how many, the teams waited for (an answer missing or pending), each team
    with an unsatisfied answer and the most pressing state of those (:data:`URGENCY`), and
    the deadline instants of the unsatisfied answers (distinct, soonest first)."""

    satisfied: int
    required: int
    waiting_for: tuple[str, ...]
    teams: tuple[tuple[str, str], ...]
    deadlines: tuple[datetime, ...]


def _requirement(answer: Answer) -> tuple[Any, ...]:
    return (answer.team, answer.testcase, answer.scenario, answer.arch, answer.variant,
            answer.required)  # fmt: skip


def repaired(
    before: Sequence[Paired] | None,
    decision: Decision,
    policies: Sequence[Policy],
    compose: Compose,
) -> tuple[Decision, tuple[Paired, ...]]:
    """:func:`pair_answers` of ``decision``, reusing the pairs of a decision before it of
    the same compose and policies (``before``): where both name the same requirements in
    the same order (a new version of a stored decision changes types and results, not
    requirements), each answer keeps its gate, and an answer equal to the one before is
    that very object (and so is its pair: what is kept by it, like its cell, is found
    again). The decision is returned with those answers (equal to ``decision``)."""
    answers = decision.answers
    if before is None or len(before) != len(answers):
        return decision, tuple(pair_answers(policies, decision, compose))
    kept: list[Answer] = []
    pairs: list[Paired] = []
    words: dict[str, str] = {}
    for pair, answer in zip(before, answers, strict=True):
        old = pair.answer
        if old is answer or old == answer:
            kept.append(old)
            pairs.append(pair)
            continue
        if _requirement(old) != _requirement(answer):
            return decision, tuple(pair_answers(policies, decision, compose))
        word = words.get(answer.type)
        if word is None:
            word = words[answer.type] = state_word(answer.type)
        kept.append(answer)
        pairs.append(Paired(answer, pair.gate, pair.arch, pair.deadline, word))
    return replace(decision, answers=tuple(kept)), tuple(pairs)


def row_counts(pairs: Sequence[Paired]) -> RowCounts:
    """The :class:`RowCounts` of a decision's paired answers."""
    satisfied = required = 0
    worst: dict[str, int] = {}
    waiting = set()
    deadlines = set()
    for p in pairs:
        answer = p.answer
        if not answer.required:
            continue
        required += 1
        if answer.is_satisfied:
            satisfied += 1
            continue
        if p.deadline is not None:
            deadlines.add(p.deadline)
        if p.state in WAITING_STATES:
            waiting.add(answer.team)
        if p.state in URGENCY:
            rank = URGENCY.index(p.state)
            worst[answer.team] = min(rank, worst.get(answer.team, rank))
    teams = tuple((team, URGENCY[worst[team]]) for team in sorted(worst))
    return RowCounts(satisfied, required, tuple(sorted(waiting)), teams,
                     tuple(sorted(deadlines)))  # fmt: skip


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


KeptCells = dict[int, tuple[Paired, Suspects | None, Cell]]
"""Cells by their paired answer's ``id()``, with that answer and its suspects."""


def build_matrix(
    pairs: Sequence[Paired],
    results: Mapping[str, tuple[Any, ...]],
    waivers: Mapping[str, Waiver],
    suspects: Mapping[int, Suspects],
    kept: KeptCells | None = None,
) -> tuple[Matrix, KeptCells]:
    """The gate matrix: one row per (team, testcase, scenario), one column per arch (None:
    "any", for gates without arches). ``results`` are the store's result rows by id
    (:meth:`~gatekeeper.store.Tx.result_rows`); ``suspects`` are by index in ``pairs``.

    A cell is made of its paired answer and suspects only (a result or waiver row never
    changes), so one ``kept`` by a page before (the second value returned) is reused, the
    very object, where both are the same: a new decision version builds the cells of the
    answers that changed."""
    before = kept or {}
    made: KeptCells = {}
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
        found = suspects.get(index)
        reuse = before.get(id(pair))
        if reuse is not None and reuse[0] is pair and reuse[1] == found:
            cells[column] = reuse[2]
            made[id(pair)] = reuse
            continue
        row = results.get(answer.result_id) if answer.result_id else None
        waiver = waivers.get(answer.waiver_id) if answer.waiver_id else None
        cells[column] = cell = Cell(
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
            found,
            answer.variant,
            pair.arch,
            whys.of(answer),
        )
        made[id(pair)] = (pair, found, cell)
    ordered = sorted(rows, key=lambda k: (k[0], k[1], k[2] or "", k[3]))
    matrix = Matrix(
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
    return matrix, made
