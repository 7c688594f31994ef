"""What the consumer hears, read into gatekeeper's terms. No I/O.

- ``pungi.compose.status.change``: ``status`` and ``location`` (the compose's top or
  ``compose/`` directory, or its URL);
- Fedora CI ``ci.productmd-compose.test.{queued,running,complete,error}`` (the CI messages
  schema, version 1.x): one :class:`~gatekeeper.model.Result` each;
- ``resultsdb.result.new``: ResultsDB's API v2.0 result JSON, mapped by gatekeeper-resultsdb's
  :func:`~gatekeeper_resultsdb.to_result` (one mapping of ResultsDB results, not two);
- the configured "compose published" topic: ``compose_id`` (or ``compose.id``).

A compose id is checked against the core's one grammar (:class:`~gatekeeper.model.ComposeId`)
here, before it names anything. Every problem raises :class:`Malformed` with the reason, and
the consumer drops the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gatekeeper_resultsdb import ResultsDBError, to_result

from gatekeeper.errors import GatekeeperError
from gatekeeper.model import ComposeId, Outcome, Result
from gatekeeper.timeutil import parse_time

PUNGI = "pungi.compose.status.change"
CI_PREFIX = "ci.productmd-compose.test."
RESULTSDB = "resultsdb.result.new"
FINISHED = ("FINISHED", "FINISHED_INCOMPLETE")
CI_SOURCE = "fedora-ci"
#: A CI message's stage -> the outcome (``complete`` reads ``test.result``).
CI_STAGES = {"queued": Outcome.QUEUED, "running": Outcome.RUNNING, "error": Outcome.ERROR}
CI_RESULTS = {
    "passed": Outcome.PASSED,
    "failed": Outcome.FAILED,
    "info": Outcome.INFO,
    "needs_inspection": Outcome.NEEDS_INSPECTION,
}


class Malformed(Exception):
    """The message cannot be used; the text says why."""


def _text(body: Mapping[str, Any], *path: str, required: bool = True) -> str | None:
    node: Any = body
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    if isinstance(node, str) and node.strip():
        return node.strip()
    if node is None and not required:
        return None
    raise Malformed(f"{'.'.join(path)} must be a non-empty string, got {node!r}")


def compose_id(value: str, where: str) -> str:
    """A result's compose id, checked against the one compose id grammar (no ``/``, ``..``
    or blanks) before it goes anywhere."""
    try:
        return ComposeId.parse(value).id
    except ValueError as exc:
        raise Malformed(f"{where}: {exc}") from None


def pungi_location(body: Mapping[str, Any]) -> str | None:
    """The location to import, or ``None`` for a status that is not finished."""
    status = _text(body, "status")
    if status not in FINISHED:
        return None
    return _text(body, "location")


def published_compose(body: Mapping[str, Any]) -> str:
    """The id of the compose on the mirrors, checked against the compose id grammar."""
    compose = body.get("compose")
    if isinstance(compose, Mapping):
        return compose_id(str(_text(compose, "id")), "compose.id")
    if isinstance(compose, str) and compose.strip():
        return compose_id(compose.strip(), "compose")
    return compose_id(str(_text(body, "compose_id")), "compose_id")


def _system(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """CI messages give ``system`` as one object or (1.x complete/error) a list of them."""
    system = body.get("system")
    if isinstance(system, list):
        system = system[0] if system else {}
    if system is None:
        return {}
    if not isinstance(system, Mapping):
        raise Malformed(f"system must be an object or a list of objects, got {system!r}")
    return system


def ci_result(
    stage: str, body: Mapping[str, Any], *, message_id: str, template: str, sent_at: datetime
) -> Result:
    """One result from a Fedora CI ``productmd-compose`` test message.

    ``artifact.id`` is the compose; the testcase is ``template`` filled from ``test``
    (``{namespace}.{type}.{category}`` by default, as Fedora CI names ResultsDB testcases);
    ``system.architecture``/``variant`` the arch and variant; ``run.url`` the ref_url;
    ``generated_at`` the submit time (else when the message was sent). The id is
    ``msg:<message id>``: a redelivered message stores nothing new.
    """
    if stage not in (*CI_STAGES, "complete"):
        raise Malformed(f"unknown CI stage {stage!r}: expected queued, running, complete, error")
    artifact_type = _text(body, "artifact", "type")
    if artifact_type != "productmd-compose":
        raise Malformed(f"artifact.type must be productmd-compose, got {artifact_type!r}")
    compose = compose_id(str(_text(body, "artifact", "id")), "artifact.id")
    fields = {name: _text(body, "test", name) for name in ("namespace", "type", "category")}
    scenario = _text(body, "test", "scenario", required=False)
    testcase = template.format(**fields, scenario=scenario or "")
    if stage == "complete":
        raw = str(_text(body, "test", "result")).lower()
        if raw not in CI_RESULTS:
            raise Malformed(f"test.result must be one of {', '.join(CI_RESULTS)}, got {raw!r}")
        outcome = CI_RESULTS[raw]
    else:
        outcome = CI_STAGES[stage]
    system = _system(body)
    note = _text(body, "test", "note", required=False)
    if stage == "error":
        note = _text(body, "error", "reason", required=False) or note
    generated = body.get("generated_at")
    try:
        submit_time = parse_time(generated) if generated is not None else sent_at
    except (ValueError, OverflowError, OSError) as exc:  # a number no clock holds too
        raise Malformed(f"generated_at: {exc}") from None
    pipeline = body.get("pipeline")
    if pipeline is not None and not isinstance(pipeline, Mapping):
        raise Malformed(f"pipeline must be an object, got {pipeline!r}")
    data = {
        key: value
        for key, value in (
            ("ci_message_version", body.get("version")),
            ("pipeline_id", (pipeline or {}).get("id")),
            ("test_stage", stage),
            ("message_id", message_id),
        )
        if value is not None
    }
    return Result(
        compose=compose,
        testcase=testcase,
        outcome=outcome,
        submit_time=submit_time,
        id=f"msg:{message_id}",
        scenario=scenario,
        arch=_text(system, "architecture", required=False),
        variant=_text(system, "variant", required=False),
        ref_url=_text(body, "run", "url", required=False),
        note=note,
        data=data,
        source=CI_SOURCE,
    )


def _values(data: Mapping[str, Any], key: str) -> list[str]:
    raw = data.get(key)
    items = raw if isinstance(raw, list) else [raw]
    return [str(item) for item in items if item not in (None, "")]


def resultsdb_result(body: Mapping[str, Any], *, message_id: str) -> Result:
    """One result from ResultsDB's ``resultsdb.result.new`` (the body is the API v2.0 result).

    The compose is ``data.productmd.compose.id``, else ``data.item`` of a
    ``type=productmd-compose`` result. The result keeps its ResultsDB id (source
    ``resultsdb``), so a result heard here and pulled by gatekeeper-resultsdb is stored once.
    """
    data = body.get("data")
    if not isinstance(data, Mapping):
        raise Malformed(f"data must be an object, got {data!r}")
    composes = _values(data, "productmd.compose.id")
    if not composes and "productmd-compose" in _values(data, "type"):
        composes = [item.split("/")[0] for item in _values(data, "item")]
    if len(set(composes)) != 1:
        raise Malformed(f"the result names no single compose (got {composes or None})")
    compose = compose_id(composes[0], "the compose")
    try:
        return to_result(body, compose, where=f"resultsdb.result.new message {message_id}")
    except (ResultsDBError, GatekeeperError) as exc:
        raise Malformed(str(exc)) from None
