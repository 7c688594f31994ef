"""The messages gatekeeper publishes: ``fedora_messaging.message.Message`` subclasses.

Each schema is registered under the ``fedora.messages`` entry-point group by its name,
which is also its topic: ``gatekeeper.compose.proposed.v1``, ``gatekeeper.decision.update.v1``,
``gatekeeper.compose.promotable.v1``, ``gatekeeper.compose.promotion_revoked.v1``,
``gatekeeper.compose.published.v1``. The version is the topic's last word: a change that
breaks consumers is a new class with ``.v2``, published beside ``.v1`` until nobody reads it
(fedora-messaging's deprecation path). On the bus a topic carries the deployment's prefix
(``[messaging] topic_prefix``): ``org.centos.prod.gatekeeper.decision.update.v1``.

With ``[messaging] greenwave_compat = true`` gatekeeper also publishes Greenwave's message,
:class:`GreenwaveDecisionUpdate` (schema ``gatekeeper.greenwave.decision.update``), on
Greenwave's topic ``greenwave.decision.update`` after the same prefix, for consumers written
for Greenwave (Bodhi). Its body is Greenwave's, with no ``compose``.

Bodies are JSON Schema (draft 4, as fedora-messaging validates them) checked on publish and on
receipt. Every body has ``compose`` (id, product, type, date, respin, label).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import jsonschema
from fedora_messaging import message

SCHEMA_URL = "https://gatekeeper.example.org/message-schemas/v1/"
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
        "type": {"type": "string"},
        "team": {"type": "string"},
        "testcase": {"type": "string"},
        "scenario": {"type": ["string", "null"]},
        "arch": {"type": ["string", "null"]},
        "variant": {"type": ["string", "null"]},
        "required": {"type": "boolean"},
        "result_id": {"type": ["string", "null"]},
        "ref_url": {"type": ["string", "null"]},
        "waiver_id": {"type": ["string", "null"]},
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


def _schema(name: str, description: str, **properties: Any) -> dict[str, Any]:
    return {
        "id": f"{SCHEMA_URL}{name}#",
        "$schema": "http://json-schema.org/draft-04/schema#",
        "description": description,
        "type": "object",
        "required": ["compose", *properties],
        "properties": {"compose": COMPOSE, **properties},
    }


_VALIDATORS: dict[int, tuple[Mapping[str, Any], Any]] = {}


def _validator(schema: Mapping[str, Any]) -> Any:
    """A validator of ``schema``, made (and the schema checked) once per schema."""
    found = _VALIDATORS.get(id(schema))
    if found is None or found[0] is not schema:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        found = _VALIDATORS[id(schema)] = (schema, cls(schema))
    return found[1]


class GatekeeperMessage(message.Message):
    """What every gatekeeper message has: a compose, an app name, and a readable form."""

    body_schema: ClassVar[dict[str, Any]] = _schema("gatekeeper.message", "a gatekeeper message")

    def validate(self) -> None:
        """What :meth:`fedora_messaging.message.Message.validate` checks (headers and body,
        against this class's schemas and the base message's), with each schema's validator
        made once: ``jsonschema.validate`` checks the schema itself on every call, which
        was a third of the time of sending a decision update."""
        for schema, value in (
            (self.headers_schema, self._headers),
            (message.Message.headers_schema, self._headers),
            (self.body_schema, self.body),
            (message.Message.body_schema, self.body),
        ):
            error = jsonschema.exceptions.best_match(_validator(schema).iter_errors(value))
            if error is not None:
                raise error

    @property
    def app_name(self) -> str:
        return "gatekeeper"

    @property
    def compose_id(self) -> str:
        return str(self.body["compose"]["id"])

    @property
    def summary(self) -> str:  # pragma: no cover - every subclass has its own
        return f"gatekeeper: {self.compose_id}"

    def __str__(self) -> str:
        return f"{self.summary}\n\n{self._details()}"

    def _details(self) -> str:
        compose = self.body["compose"]
        return (
            f"Compose: {compose['id']} ({compose['product']}, {compose['type']}, "
            f"respin {compose['respin']})"
        )

    @property
    def decision(self) -> Mapping[str, Any]:
        return self.body.get("decision") or {}


def _mr(body: Mapping[str, Any]) -> str:
    mr = body.get("merge_request") or {}
    return f"merge request !{mr['number']}" if mr.get("number") is not None else "merge request"


class ComposeProposedV1(GatekeeperMessage):
    """A compose's merge request was opened: the compose is under the gate."""

    topic = "gatekeeper.compose.proposed.v1"
    body_schema: ClassVar[dict[str, Any]] = _schema(
        topic, "A compose was proposed as a merge request", merge_request=MERGE_REQUEST
    )

    @property
    def summary(self) -> str:
        return f"gatekeeper proposed {self.compose_id} as {_mr(self.body)}"

    def _details(self) -> str:
        mr = self.body.get("merge_request") or {}
        return f"{super()._details()}\nBranch: {mr.get('branch')}\nTitle: {mr.get('title')}"


class DecisionUpdateV1(GatekeeperMessage):
    """The gate's decision for a compose changed (sent only when it did)."""

    topic = "gatekeeper.decision.update.v1"
    body_schema: ClassVar[dict[str, Any]] = _schema(
        topic,
        "The decision of a compose changed: old and new verdict and the answers that changed",
        version={"type": "integer", "minimum": 1},
        old_verdict={"oneOf": [{"enum": VERDICTS}, {"type": "null"}]},
        new_verdict={"enum": VERDICTS},
        summary={"type": "string"},
        changed_answers={"type": "array", "items": CHANGED_ANSWER},
        decision=DECISION,
    )

    @property
    def old_verdict(self) -> str | None:
        return self.body["old_verdict"]  # type: ignore[no-any-return]

    @property
    def new_verdict(self) -> str:
        return str(self.body["new_verdict"])

    @property
    def summary(self) -> str:
        old = self.old_verdict or "undecided"
        change = self.new_verdict if old == self.new_verdict else f"{old} -> {self.new_verdict}"
        n = len(self.body["changed_answers"])
        return (
            f"gatekeeper decision v{self.body['version']} for {self.compose_id}: {change} "
            f"({n} answer{'' if n == 1 else 's'} changed)"
        )

    def _details(self) -> str:
        lines = [super()._details(), self.body["summary"], ""]
        for change in self.body["changed_answers"]:
            old = (change["old"] or {}).get("type", "-")
            new = (change["new"] or {}).get("type", "-")
            where = "/".join(p for p in (change.get("scenario"), change.get("arch")) if p)
            lines.append(f"  {change['testcase']} {where}: {old} -> {new}".rstrip())
        return "\n".join(lines)


class ComposePromotableV1(GatekeeperMessage):
    """Every required gate holds: the compose may be pushed to the mirrors."""

    topic = "gatekeeper.compose.promotable.v1"
    body_schema: ClassVar[dict[str, Any]] = _schema(
        topic, "A compose passed its gate and may be promoted", decision=DECISION
    )

    @property
    def summary(self) -> str:
        return f"gatekeeper: {self.compose_id} passed its gate and may be promoted"

    def _details(self) -> str:
        return f"{super()._details()}\n{self.decision.get('summary', '')}"


class PromotionRevokedV1(GatekeeperMessage):
    """A promotable compose's verdict left ``passed`` before it was published."""

    topic = "gatekeeper.compose.promotion_revoked.v1"
    body_schema: ClassVar[dict[str, Any]] = _schema(
        topic, "A compose's promotion was revoked before it was published", decision=DECISION
    )

    @property
    def summary(self) -> str:
        verdict = self.decision.get("verdict", "?")
        return f"gatekeeper: promotion of {self.compose_id} revoked (now {verdict})"

    def _details(self) -> str:
        return f"{super()._details()}\n{self.decision.get('summary', '')}"


class ComposePublishedV1(GatekeeperMessage):
    """The compose is on the mirrors and its merge request is merged into ``main``."""

    topic = "gatekeeper.compose.published.v1"
    body_schema: ClassVar[dict[str, Any]] = _schema(
        topic, "A compose was published and its merge request merged", merge_request=MERGE_REQUEST
    )

    @property
    def summary(self) -> str:
        return f"gatekeeper: {self.compose_id} published; {_mr(self.body)} merged into main"


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


class GreenwaveDecisionUpdate(GatekeeperMessage):
    """Greenwave's ``greenwave.decision.update``: a compose's decision in one decision
    context changed its requirement lists (``result_id`` aside). ``previous`` is the decision
    before, in the same shape (null for the compose's first decision)."""

    topic = "greenwave.decision.update"
    body_schema: ClassVar[dict[str, Any]] = {
        "id": f"{SCHEMA_URL}gatekeeper.greenwave.decision.update#",
        "$schema": "http://json-schema.org/draft-04/schema#",
        "description": "Greenwave's decision update message, for a compose subject",
        "type": "object",
        "required": [
            *GREENWAVE_DECISION["required"],
            "subject_type",
            "subject_identifier",
            "subject",
            "decision_context",
            "product_version",
            "previous",
        ],
        "properties": {
            **GREENWAVE_DECISION["properties"],
            "subject_type": {"enum": ["compose"]},
            "subject_identifier": {"type": "string"},
            "subject": {"type": "array", "items": {"type": "object"}},
            "decision_context": {"type": "string"},
            "product_version": {"type": "string"},
            "previous": {"oneOf": [GREENWAVE_DECISION, {"type": "null"}]},
        },
    }

    @property
    def compose_id(self) -> str:
        return str(self.body["subject_identifier"])

    @property
    def summary(self) -> str:
        state = "satisfied" if self.body["policies_satisfied"] else "not satisfied"
        return (
            f"gatekeeper (as Greenwave): {self.compose_id} {state} at "
            f"{self.body['decision_context']}: {self.body['summary']}"
        )

    def _details(self) -> str:
        return (
            f"Compose: {self.compose_id} ({self.body['product_version']})\n"
            f"Policies: {', '.join(self.body['applicable_policies'])}"
        )


#: Every schema, by its name (= entry-point name = topic without prefix).
SCHEMAS: dict[str, type[GatekeeperMessage]] = {
    cls.topic: cls
    for cls in (
        ComposeProposedV1,
        DecisionUpdateV1,
        ComposePromotableV1,
        PromotionRevokedV1,
        ComposePublishedV1,
    )
}
