"""The JSON Schema of a policy file, published so editors can validate policies.

The loader (:mod:`gatekeeper.policy`) stays the authority: it also checks what a
schema cannot say (ownership, duplicate gates, rules across files).
"""

from __future__ import annotations

from typing import Any

from gatekeeper.limits import MAX_RETRIES
from gatekeeper.model import COMPOSE_TYPE_SUFFIXES

ON_MISSING = ("block", "ignore")
COMPOSE_TYPES = tuple(COMPOSE_TYPE_SUFFIXES.values())
TEAM_PATTERN = r"[a-z0-9][a-z0-9_-]*"
SCHEMA_ID = "urn:gatekeeper:schema:policy:1"
DEFAULT_DECISION_CONTEXT = "gatekeeper"

# -- JSON Schema ------------------------------------------------------------------------------

# fnmatch globs as the loader accepts them: non-empty, every "[" opens a closed, non-empty class
_GLOB_RE = r"^(?:[^\[]|\[(?:!|(?!!))(?:\][^\]]*|[^\]]+)\])+$"


def _glob(of: str) -> dict[str, Any]:
    return {"type": "string", "pattern": _GLOB_RE, "description": f"fnmatch glob of {of}"}


def _list(items: dict[str, Any], description: str, **more: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, "description": description, **more}


def _object(description: str, required: list[str], /, **properties: Any) -> dict[str, Any]:
    schema = {"type": "object", "description": description, "properties": properties}
    return {**schema, "required": required, "additionalProperties": False}


def _text(description: str, **more: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "description": description, **more}


def policy_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one policy file, for editors and ``policy schema``.

    The loader is the authority: it also checks what a schema cannot (gates owned by the
    team, duplicate gates, classes matching no character, the checks across files).
    """
    glob_type = {"allOf": [_glob("compose types"), {"pattern": "[*?[]"}]}
    compose_type = {"anyOf": [{"enum": list(COMPOSE_TYPES)}, glob_type]}
    duration = r"^\s*0*[1-9][0-9]*\s*[smhdw]\s*$"
    waivers = _object(
        "What a waiver of these gates must say.",
        [],
        require_bug={"type": "boolean", "default": False,
                     "description": "A waiver must name the bug (a URL) tracking the failure."},
        max_expires=_text("The longest a waiver may last, like 14d (at most 366d); a waiver "
                          "given no expiry expires then.", pattern=duration),
    )  # fmt: skip
    gate = _object(
        "One required (or informational) testcase.",
        ["testcase"],
        testcase=_text("The testcase name; the team must own it."),
        arches=_list(
            _text("An arch."),
            "One requirement per arch; omitted: any arch.",
            minItems=1,
            uniqueItems=True,
        ),
        scenario=_text("The scenario the results must carry."),
        required={"type": "boolean", "default": True, "description": "false: never blocks."},
        deadline=_text("From announcement, like 90m, 12h or 2d (at most 366d).", pattern=duration),
        on_missing={
            "enum": list(ON_MISSING),
            "default": "block",
            "description": "What a result still missing past the deadline does.",
        },
        retries={"type": "integer", "minimum": 0, "maximum": MAX_RETRIES, "default": 0,
                 "description": "Automatic rerun requests per result key after an ERROR "
                 "(the infrastructure's outcome) before it counts as errored."},
        waivers=waivers,
    )  # fmt: skip
    schema = _object(
        "One team's gating policy (policies/<team>.yaml).",
        ["team"],
        team=_text("The team's unique name.", pattern=f"^{TEAM_PATTERN}$"),
        description=_text("What the team gates."),
        contact=_text("Who to ask about this policy."),
        owns=_list(
            _glob("testcases"),
            "Testcase globs the team owns, disjoint from other teams' (default: ['<team>.*']).",
            minItems=1,
        ),
        reporters=_object(
            "Who may report the team's testcases.",
            [],
            users=_list(_text("A user name."), "Users."),
            groups=_list(_text("A forge group."), "Forge groups, like CentOS/Integration/rdo."),
        ),
        applies_to=_object(
            "Which composes the policy gates: lists OR, keys AND; omitted or empty: any.",
            [],
            products=_list(_glob("products"), "Products, like CentOS-Stream-*."),
            types=_list(compose_type, f"Compose types ({', '.join(COMPOSE_TYPES)}) or globs."),
        ),
        gates=_list(gate, "The testcases this team requires."),
        waivers=waivers,
        decision_context={
            "anyOf": [
                _text("A decision context."),
                _list(
                    _text("A decision context."), "Decision contexts.", minItems=1, uniqueItems=True
                ),
            ],
            "default": DEFAULT_DECISION_CONTEXT,
            "description": "The Greenwave decision context(s) the policy answers "
            "(POST /api/v1.0/decision): a name or a list.",
        },
    )
    head = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID}
    return {**head, "title": "gatekeeper policy", **schema}
