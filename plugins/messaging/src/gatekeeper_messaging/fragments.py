"""The parts the message schemas (:mod:`.schemas`) are made of: JSON Schema (draft 4) of a
compose, a merge request, a decision and its answers, a rerun request, and Greenwave's
decision. Plain data, no I/O."""

from __future__ import annotations

from typing import Any

VERDICTS = ["passed", "failed", "pending"]

COMPOSE: dict[str, Any] = {
    "type": "object",
    "required": ["id", "product", "type", "date", "respin"],
    "properties": {
        "id": {"type": "string", "description": "the productmd compose id"},
        "product": {"type": "string", "description": "e.g. CentOS-Stream-9"},
        "type": {"type": "string", "description": "production, nightly, test, ci, development"},
        "date": {"type": "string", "pattern": "^[0-9]{8}$"},
        "respin": {"type": "integer", "minimum": 0},
        "label": {"type": ["string", "null"]},
    },
}
MERGE_REQUEST: dict[str, Any] = {
    "type": ["object", "null"],
    "properties": {
        "number": {"type": ["integer", "null"]},
        "branch": {"type": ["string", "null"]},
        "state": {"type": ["string", "null"]},
        "title": {"type": ["string", "null"]},
    },
}
ANSWER: dict[str, Any] = {
    "type": "object",
    "required": ["type", "team", "testcase"],
    "properties": {
        "type": {
            "type": "string",
            "description": "test-result-passed, -failed, -errored, -missing, -pending, "
            "-overdue; -waived appended when a waiver or a known issue excuses it",
        },
        "team": {"type": "string"},
        "testcase": {"type": "string"},
        "scenario": {"type": ["string", "null"]},
        "arch": {"type": ["string", "null"]},
        "variant": {"type": ["string", "null"]},
        "required": {"type": "boolean"},
        "result_id": {"type": ["string", "null"]},
        "ref_url": {"type": ["string", "null"]},
        "waiver_id": {"type": ["string", "null"], "description": "the waiver excusing it"},
        # each of these is left out when it does not apply
        "reason": {
            "type": "string",
            "description": "why it is what it is: 'rerun requested', 'errored (retry 1 of 2)', "
            "'errored after 2 retries', 'waiver 7 expired at 2026-11-27T06:00:00Z' "
            "(several joined by '; ')",
        },
        "bug": {
            "type": "string",
            "description": "the URL of the bug of the waiver or known issue excusing it",
        },
        "expires": {
            "type": "string",
            "description": "when that waiver or known issue stops counting (ISO 8601, UTC)",
        },
        "known_issue": {
            "type": "string",
            "description": "the id of the known issue excusing it (then no waiver_id)",
        },
        "rerun_id": {"type": "string", "description": "the rerun request it waits on"},
        "retry": {
            "type": "integer",
            "minimum": 1,
            "description": "which automatic retry after an ERROR it waits on",
        },
        "retries": {"type": "integer", "minimum": 1, "description": "the gate's retries: N"},
    },
}
DECISION: dict[str, Any] = {
    "type": "object",
    "description": "the Decision JSON of gatekeeper's API and CLI",
    "required": [
        "compose",
        "verdict",
        "policies_satisfied",
        "summary",
        "applicable_policies",
        "satisfied_requirements",
        "unsatisfied_requirements",
        "evaluated_at",
    ],
    "properties": {
        "compose": {"type": "string"},
        "verdict": {"enum": VERDICTS},
        "policies_satisfied": {"type": "boolean"},
        "summary": {"type": "string"},
        "applicable_policies": {"type": "array", "items": {"type": "string"}},
        "satisfied_requirements": {"type": "array", "items": ANSWER},
        "unsatisfied_requirements": {"type": "array", "items": ANSWER},
        "evaluated_at": {"type": "string"},
    },
}
CHANGED_ANSWER: dict[str, Any] = {
    "type": "object",
    "required": ["team", "testcase", "old", "new"],
    "properties": {
        "team": {"type": "string"},
        "testcase": {"type": "string"},
        "scenario": {"type": ["string", "null"]},
        "arch": {"type": ["string", "null"]},
        "variant": {"type": ["string", "null"]},
        "old": {"oneOf": [ANSWER, {"type": "null"}], "description": "null: a new requirement"},
        "new": {"oneOf": [ANSWER, {"type": "null"}], "description": "null: no longer required"},
    },
}
_NAME = {"type": ["string", "null"]}
RERUN_REQUEST: dict[str, Any] = {
    "type": "object",
    "description": "a request to run a compose's testcase again",
    "required": ["id", "testcase", "username", "automatic", "time", "after"],
    "properties": {
        "id": {"type": "string"},
        "testcase": {"type": "string"},
        "scenario": {**_NAME, "description": "null: every scenario"},
        "arch": {**_NAME, "description": "null: every arch"},
        "variant": {**_NAME, "description": "set on automatic retries only"},
        "username": {"type": "string", "description": "who asked ('gatekeeper': a retry)"},
        "reason": {"type": ["string", "null"]},
        "automatic": {"type": "boolean", "description": "a gate's retries: after an ERROR"},
        "retry": {"type": ["integer", "null"], "minimum": 1},
        "retries": {"type": ["integer", "null"], "minimum": 1},
        "time": {"type": "string", "description": "when it was asked (ISO 8601, UTC)"},
        "after": {
            "type": "string",
            "description": "it covers results submitted no later than this: a newer one answers it",
        },
    },
}
GREENWAVE_REQUIREMENT: dict[str, Any] = {
    "type": "object",
    "required": ["type", "testcase", "subject_type", "subject_identifier"],
    "properties": {
        "type": {"type": "string"},
        "testcase": {"type": "string"},
        "subject_type": {"enum": ["compose"]},
        "subject_identifier": {"type": "string"},
        "scenario": {"type": ["string", "null"]},
        "system_architecture": {"type": ["string", "null"]},
        "system_variant": {"type": ["string", "null"]},
        "result_id": {"type": ["integer", "string", "null"]},
        "gatekeeper_type": {"type": "string"},
    },
}
GREENWAVE_DECISION: dict[str, Any] = {
    "type": "object",
    "required": [
        "policies_satisfied",
        "summary",
        "applicable_policies",
        "satisfied_requirements",
        "unsatisfied_requirements",
    ],
    "properties": {
        "policies_satisfied": {"type": "boolean"},
        "summary": {"type": "string"},
        "applicable_policies": {"type": "array", "items": {"type": "string"}},
        "satisfied_requirements": {"type": "array", "items": GREENWAVE_REQUIREMENT},
        "unsatisfied_requirements": {"type": "array", "items": GREENWAVE_REQUIREMENT},
    },
}
