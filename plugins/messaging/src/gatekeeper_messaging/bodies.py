"""The bodies of gatekeeper's messages, made from what the hooks receive. No I/O."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from gatekeeper.model import Compose, Decision, MergeRequest, RerunRequest

#: Message ids are uuid5 of what the message is about, so a retried publish (the broker's
#: confirm was lost) carries the same id and a consumer can drop the second copy.
NAMESPACE = uuid.UUID("5b0c1a3e-2f0e-4a53-9c89-6a1f3f0e6b7d")
ANSWER_KEY = ("team", "testcase", "scenario", "arch", "variant")


def message_id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(str(p) for p in parts)))


def compose_body(compose: Compose) -> dict[str, Any]:
    return {
        "id": compose.id,
        "product": compose.product,
        "type": compose.type,
        "date": compose.date,
        "respin": compose.respin,
        "label": compose.label,
    }


def merge_request_body(mr: MergeRequest | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A merge request's public fields (the hook's MergeRequest, or its record)."""
    if mr is None:
        return None
    number, state = mr.get("number"), mr.get("state")
    return {
        "number": int(number) if number is not None else None,
        "branch": mr.get("branch"),
        "state": None if state is None else str(state),
        "title": mr.get("title"),
    }


def rerun_body(compose: Compose, request: RerunRequest) -> dict[str, Any]:
    """The ``gatekeeper.compose.rerun_requested`` body: the compose and the request (its
    compose is the body's)."""
    fields = {k: v for k, v in request.to_json().items() if k != "compose"}
    return {"compose": compose_body(compose), "request": fields}


def _answers(decision: Mapping[str, Any] | None) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Answers by requirement: (team, testcase, arch, n). The variant and scenario come from
    the result that answered, so they are not part of which requirement it is; several
    answers of one (team, testcase, arch) are told apart by their order."""
    if not decision:
        return {}
    answers = [
        *decision.get("satisfied_requirements", ()),
        *decision.get("unsatisfied_requirements", ()),
    ]
    answers.sort(key=lambda a: tuple(str(a.get(k)) for k in ANSWER_KEY))
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for answer in answers:
        base = (answer.get("team"), answer.get("testcase"), answer.get("arch"))
        n = 0
        while (*base, n) in out:
            n += 1
        out[(*base, n)] = dict(answer)
    return out


def changed_answers(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The requirements whose answer differs between two Decision JSONs, in a stable order:
    ``old`` null for a new requirement, ``new`` null for one that is gone."""
    before, after = _answers(old), _answers(new)
    changes = []
    for key in sorted(set(before) | set(after), key=lambda k: tuple(str(p) for p in k)):
        was, now = before.get(key), after.get(key)
        if was != now:
            shown = now or was or {}
            where = {k: shown.get(k) for k in ANSWER_KEY}
            changes.append({**where, "old": was, "new": now})
    return changes


def decision_update_body(
    compose: Compose, old: Mapping[str, Any] | None, new: Decision, version: int
) -> dict[str, Any] | None:
    """The ``gatekeeper.decision.update`` body, or ``None`` when nothing a reader sees changed
    (the same verdict and answers: only the evaluation time moved)."""
    decision = new.to_json()
    changes = changed_answers(old, decision)
    old_verdict = old.get("verdict") if old else None
    if old is not None and old_verdict == new.verdict and not changes:
        return None
    return {
        "compose": compose_body(compose),
        "version": int(version),
        "old_verdict": old_verdict,
        "new_verdict": new.verdict,
        "summary": new.summary,
        "changed_answers": changes,
        "decision": decision,
    }
