"""What the served OpenAPI document says beyond what FastAPI derives from the signatures:
the shapes of values the server takes, as JSON Schema can say them, so that a request the
schema allows is never refused for its shape (only for what it means: an unknown compose,
a testcase no team owns, a time in the future).

- text: at most the characters of :mod:`gatekeeper.limits`, no NUL character (no store
  keeps one), and where a name is required, not blank (whitespace as Python's
  ``str.isspace`` knows it);
- an outcome: one of :class:`~gatekeeper.model.Outcome`, in any ASCII case (``anyOf``
  the canonical ``enum`` and a pattern; answers always give the canonical spelling);
- a compose id in a path or a result: ``ComposeId.parse``'s grammar (another one is 404);
- an upload's format: one of the installed result formats; its labels as query parameters.

The schemas are declared only: the service enforces the same limits with its own located
messages, whichever door a value comes through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from gatekeeper.limits import MAX_DATA_INTEGER, MAX_NAME_CHARS, MAX_REPORT_RESULTS
from gatekeeper.model import Outcome
from gatekeeper.model.composes import MAX_COMPOSE_ID_CHARS

JsonDict = dict[str, Any]
NUL_FREE = "^[^\\u0000]*$"
_SPACE = "".join(f"\\u{c:04x}" for c in range(0x3001) if chr(c).isspace())
NOT_BLANK = f"^[^\\u0000]*[^\\u0000{_SPACE}][^\\u0000]*$"
# productmd's grammar as model.composes reads it: ASCII only, no "..", a respin of 10 digits
_PART = "[A-Za-z0-9_+-]*(\\.[A-Za-z0-9_+-]+)*"
COMPOSE_ID = (
    f"^[A-Za-z0-9]{_PART}-[A-Za-z0-9_+-]{_PART}-[0-9]{{8}}(\\.(n|t|ci|d))?\\.[0-9]{{1,10}}$"
)
COMPOSE_ID_SCHEMA = {"type": "string", "pattern": COMPOSE_ID, "maxLength": MAX_COMPOSE_ID_CHARS}


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


OUTCOME: JsonDict = {
    "anyOf": [
        {"type": "string", "enum": [o.value for o in Outcome]},
        {"type": "string", "pattern": f"^({'|'.join(_any_case(o.value) for o in Outcome)})$"},
    ],
    "description": "An outcome, in any ASCII case: " + ", ".join(o.value for o in Outcome),
}


def text(limit: int, *, required: bool = False) -> JsonDict:
    """A string of at most ``limit`` characters, without NUL, and not blank if ``required``."""
    return {"type": "string", "maxLength": limit, "pattern": NOT_BLANK if required else NUL_FREE}


def constrain(**by_type: JsonDict) -> Callable[[JsonDict], None]:
    """A pydantic ``json_schema_extra`` adding ``by_type[t]`` to the field's schema of type
    ``t`` (or to that branch of its ``anyOf``: an optional field, a string or an integer)."""

    def add(schema: JsonDict) -> None:
        for branch in schema.get("anyOf", [schema]):
            branch.update(by_type.get(branch.get("type", ""), {}))

    return add


def replace(new: JsonDict) -> Callable[[JsonDict], None]:
    """A pydantic ``json_schema_extra`` putting ``new`` in place of the field's type."""

    def put(schema: JsonDict) -> None:
        schema.pop("type", None)
        schema.update(new)

    return put


def refine(document: JsonDict, formats: Iterable[str], options: Iterable[str]) -> JsonDict:
    """The document with the path and query parameters' schemas made exact (in place)."""
    known = sorted(formats)
    labels = [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"},
         "description": "a label of the upload's results (the format's parser reads it)"}
        for name in sorted(options)
    ]  # fmt: skip
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                name, where = parameter["name"], parameter["in"]
                if where == "path" and name == "compose_id":
                    parameter["schema"] = {**COMPOSE_ID_SCHEMA, "title": "Compose Id"}
                elif where == "path" and name == "fmt" and known:
                    parameter["schema"] = {"type": "string", "enum": known}
                elif where == "query" and name == "outcome":
                    parameter["schema"] = {"anyOf": [OUTCOME, {"type": "null"}]}
            if path.endswith("/results/{fmt}"):
                operation.setdefault("parameters", []).extend(labels)
    return document


DATA_KEYS: JsonDict = {"propertyNames": {"maxLength": MAX_NAME_CHARS}}
"""A result's ``data``: its keys are names (at most 256 characters, nested ones too)."""
ITEMS = {"minItems": 1, "maxItems": MAX_REPORT_RESULTS}
"""The results of one JSON upload."""
INT64 = {"type": "integer", "minimum": -MAX_DATA_INTEGER - 1, "maximum": MAX_DATA_INTEGER}
EPOCH_MS = {"type": "integer", "minimum": -62_135_596_800_000, "maximum": 253_402_300_799_999}
"""A time as epoch milliseconds: the years 1 to 9999."""

_GENERATED = {"type": "string", "description": "ISO 8601"}
FCOS_LOCKFILE: JsonDict = {
    "type": "object",
    "description": "Fedora CoreOS's manifest-lock.<arch>.json",
    "required": ["packages", "metadata"],
    "properties": {
        "packages": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["evra"],
                "properties": {
                    "evra": {"type": "string"},
                    "metadata": {"type": "object", "properties": {"sourcerpm": {"type": "string"}}},
                },
            },
        },
        "metadata": {
            "type": "object",
            "properties": {
                "generated": _GENERATED,
                "rpmmd_repos": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {"generated": _GENERATED},
                    },
                },
            },
        },
    },
}
"""The lockfile's ``fcos`` format (``application/json``)."""

_STRING = {"type": "string"}
_SOURCE_FIELDS: JsonDict = {
    **{key: _STRING for key in ("url", "repoid", "checksum", "name", "evr")},
    "size": {"type": "integer", "minimum": 0},
}
_SOURCE_RPM = {"type": "object", "required": ["url", "repoid", "name", "evr"],
               "properties": _SOURCE_FIELDS}  # fmt: skip
RPM_LOCKFILE: JsonDict = {
    "type": "object",
    "description": "rpm-lockfile-prototype's rpms.lock.yaml (size and checksum are left out "
    "of an RPM the repodata lacks, with allow_missing_checksums)",
    "required": ["lockfileVersion", "lockfileVendor", "arches"],
    "properties": {
        "lockfileVersion": {"type": "integer"},
        "lockfileVendor": _STRING,
        "arches": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["arch", "packages", "source"],
                "properties": {
                    "arch": _STRING,
                    "packages": {
                        "type": "array",
                        "items": {
                            **_SOURCE_RPM,
                            "properties": {**_SOURCE_FIELDS, "sourcerpm": _STRING},
                        },
                    },
                    "source": {"type": "array", "items": _SOURCE_RPM},
                    "module_metadata": {"type": "array"},
                },
            },
        },
    },
}
"""The lockfile's ``rpm-lockfile`` format (``application/yaml``), as the YAML reads."""
