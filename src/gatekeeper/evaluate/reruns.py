"""Reruns in the engine: which results count as pending because a rerun of them was asked
for (or is due, by a gate's ``retries:`` after an ``ERROR``). Pure, like the engine.

A rerun request covers the results of its key submitted no later than its ``after``: each
counts as ``pending`` (reason ``rerun requested``) until a newer result of the key arrives;
past the gate's deadline a pending answer is overdue, as any pending answer is. An ``ERROR``
of a gate with ``retries: N`` is retried automatically, once per ``ERROR``, up to N times per
key: while a retry is due or waited for, the answer is pending (``errored (retry 1 of 2)``);
an ``ERROR`` after the last retry counts as errored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gatekeeper.model import Gate, Outcome, RerunRequest, Result


@dataclass(frozen=True, slots=True)
class Rerun:
    """Why a result counts as pending: the request it waits on (None: an automatic retry
    due, not yet requested), the retry number and the gate's ``retries`` (automatic ones)."""

    request: RerunRequest | None
    reason: str
    retry: int | None = None
    retries: int | None = None


def _key(x: Result | RerunRequest) -> tuple[str, str | None, str | None, str | None]:
    return (x.testcase, x.scenario, x.arch, x.variant)


def rerun_of(gate: Gate, result: Result, requests: Sequence[RerunRequest]) -> Rerun | None:
    """How ``result`` is being run again, if it is (``requests``: its testcase's, oldest
    first)."""
    covering = None
    for request in requests:
        if request.covers(result):
            covering = request  # the latest one
    if covering is not None:
        if covering.automatic:
            return Rerun(covering, f"errored (retry {covering.retry} of {covering.retries})",
                         covering.retry, covering.retries)  # fmt: skip
        return Rerun(covering, "rerun requested")
    if result.outcome == Outcome.ERROR and gate.retries:
        done = sum(1 for r in requests if r.automatic and _key(r) == _key(result))
        if done < gate.retries:
            return Rerun(None, f"errored (retry {done + 1} of {gate.retries})", done + 1,
                         gate.retries)  # fmt: skip
    return None


def retries_used(result: Result, requests: Iterable[RerunRequest]) -> int:
    """How many automatic retries the key of ``result`` has had."""
    return sum(1 for r in requests if r.automatic and _key(r) == _key(result))


def retries_due(
    gate: Gate, results: Iterable[Result], requests: Sequence[RerunRequest]
) -> list[tuple[Result, int]]:
    """The ``ERROR`` results of the gate's testcase whose automatic retry is due (not yet
    requested), each with its retry number."""
    if not gate.retries:
        return []
    due = []
    for result in results:
        if gate.scenario is not None and result.scenario != gate.scenario:
            continue
        if gate.arches and result.arch not in gate.arches:
            continue
        rerun = rerun_of(gate, result, requests)
        if rerun is not None and rerun.request is None and rerun.retry is not None:
            due.append((result, rerun.retry))
    return due
