"""Suspect builds: where a team should look first when a gate fails.

For each failed or errored requirement of a compose, the newest earlier compose of the
same product (by announcement; at most :data:`LOOK_BACK` of them) whose latest stored
decision answered that requirement ``test-result-passed``, and the builds that differ
between that compose and this one. A requirement is the gate's: its team and testcase,
its scenario when the gate names one, its arch when the gate lists arches.

The cost is bounded: earlier decisions are read a few composes at a time, newest first,
until every failing requirement has found its pass (usually in the first batch); one
diff is made per compose found, whatever the number of cells naming it. What an earlier
compose's decision version passed never changes, so it is kept between pages (``kept``):
a page shown again reads only the versions of the composes before it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gatekeeper.compose.diff import ComposeDiff
from gatekeeper.model import Compose, Decision
from gatekeeper.service.matrix import FAILING_STATES, Paired
from gatekeeper.service.view_cache import Kept
from gatekeeper.service.views import Suspects
from gatekeeper.store import Tx

LOOK_BACK = 30
"""How many earlier composes are looked at, at most."""
BATCH = 5
"""Earlier composes whose decisions are read per query."""
PASSED = "test-result-passed"

Requirement = tuple[str, str, str | None, str | None]  # team, testcase, scenario, arch
Passes = dict[tuple[str, str], list[tuple[Any, Any]]]
PASSES_KEPT = 64
"""Earlier decision versions whose passed answers are kept (a few thousand pairs each)."""


def requirement_of(pair: Paired) -> Requirement:
    """The requirement a paired answer answers (scenario/arch None: the gate names none)."""
    gate = pair.gate
    scenario = gate.scenario if gate is not None else pair.answer.scenario
    return (pair.answer.team, pair.answer.testcase, scenario, pair.arch)


def _passes(decision: Decision | None) -> Passes:
    """The passed answers of a decision: (scenario, arch) by (team, testcase)."""
    out: Passes = {}
    for answer in decision.answers if decision is not None else ():
        if answer.type == PASSED:
            key = (answer.team, answer.testcase)
            out.setdefault(key, []).append((answer.scenario, answer.arch))
    return out


def _passed(passes: Passes, req: Requirement) -> bool:
    team, testcase, scenario, arch = req
    return any(
        (scenario is None or s == scenario) and (arch is None or a == arch)
        for s, a in passes.get((team, testcase), ())
    )


def _batch_passes(
    tx: Tx, batch: Sequence[str], kept: Kept[tuple[str, int], Passes] | None
) -> dict[str, Passes]:
    """The passed answers of the latest decisions of these composes as they stand (those
    without one left out), each version read once while it is kept."""
    versions = tx.decision_versions_of(batch)
    out = {}
    for compose_id, version in versions.items():
        found = kept.get((compose_id, version)) if kept is not None else None
        if found is None:
            found = _passes(tx.current_decision(compose_id))
            if kept is not None:
                kept.put((compose_id, version), found)
        out[compose_id] = found
    return out


def find_suspects(
    tx: Tx, compose: Compose, pairs: Sequence[Paired], since: Callable[[str], ComposeDiff],
    kept: Kept[tuple[str, int], Passes] | None = None,
) -> dict[int, Suspects]:  # fmt: skip
    """Suspects of each failed or errored answer, by its index in ``pairs``; ``since``
    gives the builds changed from another compose to this one; ``kept`` keeps what the
    earlier decision versions passed between pages."""
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
        passed = _batch_passes(tx, batch, kept)
        for compose_id in batch:  # newest first
            passes = passed.get(compose_id)
            if passes is None:
                continue
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
