"""A team's page: its policy, its gates' answers over the last composes it gates, and its
recent results.

The strips come from each compose's latest *stored* decision, or, for a compose with none
stored yet, the decision its own page shows (the engine's what-if: a compose just announced
is missing its results, not "none"); ``none`` where a decision has no answer for the gate (a
policy added since). The composes are the newest :data:`STRIP_COMPOSES` its ``applies_to`` matches
among the newest :data:`SCAN_LIMIT` composes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from gatekeeper.evaluate import policy_applies, requirements
from gatekeeper.model import Compose, Decision, Gate, Policy
from gatekeeper.service.matrix import pair_answers, result_view
from gatekeeper.service.views import Strip, TeamResult, TeamView, Tick, state_word
from gatekeeper.store import Tx, compose_from_row

STRIP_COMPOSES = 10
RECENT_RESULTS = 50
SCAN_LIMIT = 1000
_PAGE = 200


def _team_composes(tx: Tx, policy: Policy) -> list[Compose]:
    """The newest composes the policy applies to, oldest first."""
    found: list[Compose] = []
    for offset in range(0, SCAN_LIMIT, _PAGE):
        rows = tx.compose_heads(limit=_PAGE, offset=offset)
        for row in rows:
            if policy_applies(policy, row["product"], row["type"]):
                found.append(compose_from_row(row))
                if len(found) == STRIP_COMPOSES:
                    return found[::-1]
        if len(rows) < _PAGE:
            break
    return found[::-1]


def _team_only(payload: Mapping[str, Any], team: str) -> dict[str, Any]:
    """A Decision JSON payload with only ``team``'s answers."""
    out = dict(payload)
    for part in ("satisfied_requirements", "unsatisfied_requirements"):
        out[part] = [a for a in payload.get(part, ()) if a.get("team") == team]
    return out


def _answers_by_requirement(
    policy: Policy, compose: Compose, payload: Mapping[str, Any] | None
) -> dict[tuple[int, str | None], str]:
    """The answer type of each of the policy's requirements (gate index, arch)."""
    if payload is None:
        return {}
    decision = Decision.from_json(_team_only(payload, policy.team))
    index = {id(gate): n for n, gate in enumerate(policy.gates)}
    out: dict[tuple[int, str | None], str] = {}
    for pair in pair_answers([policy], decision, compose):
        if pair.gate is not None:
            out[(index[id(pair.gate)], pair.arch)] = pair.answer.type
    return out


def _strips(
    policy: Policy, composes: Sequence[Compose], decisions: Mapping[str, Mapping[str, Any]]
) -> tuple[Strip, ...]:
    answered = {
        c.id: _answers_by_requirement(policy, c, (decisions.get(c.id) or {}).get("payload"))
        for c in composes
    }
    index = {id(gate): n for n, gate in enumerate(policy.gates)}
    strips = []
    for _, gate, arch in requirements([policy]):
        ticks = []
        for compose in composes:
            kind = answered[compose.id].get((index[id(gate)], arch))
            ticks.append(Tick(compose.id, state_word(kind) if kind else "none", kind))
        strips.append(_strip(gate, arch, ticks))
    return tuple(strips)


def _strip(gate: Gate, arch: str | None, ticks: list[Tick]) -> Strip:
    return Strip(gate.testcase, gate.scenario, arch, gate.required, tuple(ticks))


def build_team_view(
    tx: Tx, policy: Policy, undecided: Callable[[Compose], Mapping[str, Any] | None]
) -> TeamView:
    """The team's page; ``undecided(compose)`` is the decision JSON shown for a compose
    without a stored decision (None: no policy applies)."""
    composes = _team_composes(tx, policy)
    ids = [c.id for c in composes]
    decisions: dict[str, Mapping[str, Any]] = dict(tx.latest_decisions(ids)) if ids else {}
    for compose in composes:
        if compose.id not in decisions and (payload := undecided(compose)) is not None:
            decisions[compose.id] = {"payload": payload}
    recent = tx.team_results(policy.team, ids, limit=RECENT_RESULTS) if ids else []
    return TeamView(
        policy=policy,
        composes=tuple(ids),
        strips=_strips(policy, composes, decisions),
        recent=tuple(
            TeamResult(r.compose, r.testcase, r.scenario, r.arch, result_view(r)) for r in recent
        ),
    )
