"""A hook call's arguments as an outbox payload, and the arguments a payload gives back.

Both directions live here, so what is written and what is read cannot drift apart. A
payload is JSON: the compose's id, Decisions (``new``, ``decision``, ``old``) as Decision
JSON, a merge request as its record, a rerun request (``request``) as its JSON, and the
plain values (``version``, ``forge``, ``event``) as they are. ``app`` and the
:class:`~gatekeeper.model.Compose` itself are never written: the sender supplies them
when it makes the call again. A Decision given as a
:class:`~gatekeeper.model.DecisionVersion` (a stored version, by number) is written as
``{"stored_version": N}`` and read back from the store when the call is made, so an entry
stays small whatever the number of answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from gatekeeper.model import Compose, Decision, DecisionVersion, MergeRequest, RerunRequest
from gatekeeper.timeutil import format_time

# hook arguments kept under another key of the payload (one Decision per call)
_DECISION_KEYS = ("new", "decision")
_PLAIN_KEYS = ("version", "forge", "event")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_time(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def encode_arguments(compose_id: str | None, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The outbox payload of a hook call: everything needed to make the call again later."""
    payload: dict[str, Any] = {} if compose_id is None else {"compose": compose_id}
    for key, value in kwargs.items():
        if isinstance(value, DecisionVersion) and key in (*_DECISION_KEYS, "old"):
            payload["decision" if key != "old" else "old"] = {"stored_version": value.version}
        elif key in _DECISION_KEYS and isinstance(value, Decision):
            payload["decision"] = value.to_json()
        elif key == "old":
            payload["old"] = value.to_json() if isinstance(value, Decision) else value
        elif key == "merge_request":
            payload[key] = value.to_json() if isinstance(value, MergeRequest) else value
        elif key == "request" and isinstance(value, RerunRequest):
            payload[key] = value.to_json()
        elif key in _PLAIN_KEYS:
            payload[key] = value
        else:
            raise TypeError(f"hook argument {key!r} has no outbox form")
    decoded: dict[str, Any] = json.loads(json.dumps(payload, default=_jsonable))
    return decoded


def decode_arguments(
    argnames: Sequence[str],
    payload: Mapping[str, Any],
    *,
    app: object,
    compose: Callable[[str], Compose | None],
    stored: Callable[[str, int], Decision] | None = None,
) -> dict[str, Any]:
    """The keyword arguments of the hook whose parameters are ``argnames``, rebuilt from
    ``payload``; ``compose(id)`` finds the compose, ``stored(id, version)`` a stored
    version of its decision. Raises ValueError (or KeyError,
    TypeError) naming what is wrong with a payload that cannot give them."""
    arguments: dict[str, Any] = {}
    for name in argnames:
        if name == "app":
            arguments[name] = app
        elif name == "compose":
            found = compose(payload["compose"])
            if found is None:
                raise ValueError(f"compose {payload['compose']} is not known")
            arguments[name] = found
        elif name in _DECISION_KEYS:
            arguments[name] = _decision(payload, payload["decision"], stored)
        elif name == "old":
            old = payload.get("old")
            arguments[name] = None if old is None else _decision(payload, old, stored)
        elif name == "merge_request":
            record = payload.get("merge_request")
            arguments[name] = None if record is None else MergeRequest.from_record(record)
        elif name == "request":
            arguments[name] = RerunRequest.from_json(payload["request"])
        else:  # version, forge, event: as written
            arguments[name] = payload.get(name)
    return arguments


def _decision(
    payload: Mapping[str, Any],
    value: Mapping[str, Any],
    stored: Callable[[str, int], Decision] | None,
) -> Decision:
    if "stored_version" not in value:
        return Decision.from_json(value)
    if stored is None:
        raise ValueError("a stored decision version, and no store to read it from")
    return stored(str(payload["compose"]), int(value["stored_version"]))
