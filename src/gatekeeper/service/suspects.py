"""Suspect builds: where a team should look first when a gate fails.

For each failed or errored requirement of a compose, the newest earlier compose of the
same product (by announcement; at most :data:`LOOK_BACK` of them) whose latest stored
decision answered that requirement ``test-result-passed``, and the builds that differ
between that compose and this one. A requirement is the gate's: its team and testcase,
its scenario when the gate names one, its arch when the gate lists arches.

The cost is bounded: earlier decisions are read a few composes at a time, newest first,
until every failing requirement has found its pass (usually in the first batch); one
diff is made per compose found, whatever the number of cells naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from gatekeeper.compose.diff import ComposeDiff
from gatekeeper.model import Compose
from gatekeeper.service.matrix import FAILING_STATES, Paired
from gatekeeper.service.views import Suspects
from gatekeeper.store import Tx

LOOK_BACK = 30
"""How many earlier composes are looked at, at most."""
BATCH = 5
"""Earlier composes whose decisions are read per query."""
PASSED = "test-result-passed"

Requirement = tuple[str, str, str | None, str | None]  # team, testcase, scenario, arch


def requirement_of(pair: Paired) -> Requirement:
    """The requirement a paired answer answers (scenario/arch None: the gate names none)."""
    gate = pair.gate
    scenario = gate.scenario if gate is not None else pair.answer.scenario
    return (pair.answer.team, pair.answer.testcase, scenario, pair.arch)


def _passes(payload: Mapping[str, Any]) -> dict[tuple[str, str], list[tuple[Any, Any]]]:
    """The passed answers of a Decision JSON payload: (scenario, arch) by (team, testcase)."""
    out: dict[tuple[str, str], list[tuple[Any, Any]]] = {}
    for answer in payload.get("satisfied_requirements", ()):
        if answer.get("type") == PASSED:
            key = (answer["team"], answer["testcase"])
            out.setdefault(key, []).append((answer.get("scenario"), answer.get("arch")))
    return out


def _passed(passes: Mapping[tuple[str, str], list[tuple[Any, Any]]], req: Requirement) -> bool:
    team, testcase, scenario, arch = req
    return any(
        (scenario is None or s == scenario) and (arch is None or a == arch)
        for s, a in passes.get((team, testcase), ())
    )


def find_suspects(
    tx: Tx, compose: Compose, pairs: Sequence[Paired], since: Callable[[str], ComposeDiff]
) -> dict[int, Suspects]:
    """Suspects of each failed or errored answer, by its index in ``pairs``; ``since``
    gives the builds changed from another compose to this one."""
    failing = {i: requirement_of(p) for i, p in enumerate(pairs) if p.state in FAILING_STATES}
    if not failing:
        return {}
    earlier = tx.composes_before(compose.product, compose.announced_at, compose.id, limit=LOOK_BACK)
    if not earlier:
        none = Suspects(None, ComposeDiff(), f"no earlier compose of {compose.product}")
        return dict.fromkeys(failing, none)
    remaining = set(failing.values())
    found: dict[Requirement, str] = {}
    for start in range(0, len(earlier), BATCH):
        batch = earlier[start : start + BATCH]
        decisions = tx.latest_decisions(batch)
        for compose_id in batch:  # newest first
            row = decisions.get(compose_id)
            if row is None:
                continue
            passes = _passes(row["payload"])
            for req in [r for r in remaining if _passed(passes, r)]:
                found[req] = compose_id
                remaining.discard(req)
        if not remaining:
            break
    diffs = {compose_id: since(compose_id) for compose_id in sorted(set(found.values()))}
    looked = f"{len(earlier)} earlier compose{'s' if len(earlier) > 1 else ''}"
    never = Suspects(None, ComposeDiff(), f"never passed in the {looked} looked at")
    out: dict[int, Suspects] = {}
    for index, req in failing.items():
        passed_in = found.get(req)
        out[index] = never if passed_in is None else Suspects(passed_in, diffs[passed_in])
    return out
