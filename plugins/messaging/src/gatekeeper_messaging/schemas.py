"""The messages gatekeeper publishes: ``fedora_messaging.message.Message`` subclasses.

Each schema is registered under the ``fedora.messages`` entry-point group by its name,
which is also its topic: ``gatekeeper.compose.proposed.v1``, ``gatekeeper.decision.update.v1``,
``gatekeeper.compose.promotable.v1``, ``gatekeeper.compose.promotion_revoked.v1``,
``gatekeeper.compose.published.v1``, ``gatekeeper.compose.rerun_requested.v1``. The version
is the topic's last word: a change that breaks consumers is a new class with ``.v2``,
published beside ``.v1`` until nobody reads it (fedora-messaging's deprecation path). On
the bus a topic carries the deployment's prefix (``[messaging] topic_prefix``):
``org.centos.prod.gatekeeper.decision.update.v1``.

With ``[messaging] greenwave_compat = true`` gatekeeper also publishes Greenwave's message,
:class:`GreenwaveDecisionUpdate` (schema ``gatekeeper.greenwave.decision.update``), on
Greenwave's topic ``greenwave.decision.update`` after the same prefix, for consumers written
for Greenwave (Bodhi). Its body is Greenwave's, with no ``compose``.

Bodies are JSON Schema (draft 4, as fedora-messaging validates them; their parts are in
:mod:`.fragments`) checked on publish and on receipt. Every body has ``compose`` (id,
product, type, date, respin, label).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import jsonschema
from fedora_messaging import message

from gatekeeper_messaging.fragments import (
    CHANGED_ANSWER,
    COMPOSE,
    DECISION,
    GREENWAVE_DECISION,
    MERGE_REQUEST,
    RERUN_REQUEST,
    VERDICTS,
)

SCHEMA_URL = "https://gatekeeper.example.org/message-schemas/v1/"


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


class RerunRequestedV1(GatekeeperMessage):
    """A rerun of a compose's testcase was requested (by a team's reporter or an admin, or
    automatically by a gate's ``retries:`` after an ``ERROR``): a team's CI retriggers it."""

    topic = "gatekeeper.compose.rerun_requested.v1"
    body_schema: ClassVar[dict[str, Any]] = _schema(
        topic,
        "A rerun of a compose's testcase was requested; its answers are pending until a "
        "result newer than request.after arrives",
        request=RERUN_REQUEST,
    )

    @property
    def request(self) -> Mapping[str, Any]:
        return self.body["request"]  # type: ignore[no-any-return]

    @property
    def where(self) -> str:
        """The testcase, narrowed to its scenario, arch and variant when given."""
        r = self.request
        parts = [str(r[k]) for k in ("scenario", "arch", "variant") if r.get(k)]
        return f"{r['testcase']}" + (f" ({', '.join(parts)})" if parts else "")

    @property
    def summary(self) -> str:
        r = self.request
        if r.get("automatic"):
            return (
                f"gatekeeper: retry {r.get('retry')} of {r.get('retries')} of {self.where} "
                f"in {self.compose_id} after an ERROR"
            )
        return (
            f"gatekeeper: rerun of {self.where} in {self.compose_id} requested by {r['username']}"
        )

    def _details(self) -> str:
        r = self.request
        lines = [super()._details(), f"Request: {r['id']}, at {r['time']}"]
        if r.get("reason"):
            lines.append(f"Reason: {r['reason']}")
        lines.append(f"Waiting for a result submitted after {r['after']}")
        return "\n".join(lines)


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
        RerunRequestedV1,
    )
}
