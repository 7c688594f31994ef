"""What the HTTP API takes and answers about known issues and rerun requests (#17), as
pydantic models: the OpenAPI schema's components. Field names follow the JSON of
:class:`~gatekeeper.model.KnownIssue` and :class:`~gatekeeper.model.RerunRequest`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gatekeeper.api.models import BUG_URL, EXPIRES, NAME, DecisionOut
from gatekeeper.api.openapi import constrain, text
from gatekeeper.limits import MAX_NAME_CHARS, MAX_TEXT_CHARS

REQUIRED_NAME = constrain(string=text(MAX_NAME_CHARS, required=True))


class KnownIssueIn(BaseModel):
    """A known failure to waive in every compose of the product until it expires or is
    closed; needs an identity that may waive."""

    model_config = ConfigDict(extra="forbid")

    product: str = Field(
        description="The products whose composes it waives in: a glob, like CentOS-Stream-*",
        json_schema_extra=REQUIRED_NAME,
    )
    testcase: str = Field(json_schema_extra=REQUIRED_NAME)
    arch: str | None = Field(None, description="Only this arch (default: every one)",
                             json_schema_extra=NAME)  # fmt: skip
    scenario: str | None = Field(None, description="Only this scenario (default: every one)",
                                 json_schema_extra=NAME)  # fmt: skip
    bug: str = Field(description="The URL of the bug tracking it", json_schema_extra=BUG_URL)
    expires: str | None = Field(
        None, description=f"{EXPIRES}; default: never, or the policy's max_expires",
        json_schema_extra=NAME,
    )  # fmt: skip
    comment: str = Field(json_schema_extra=constrain(string=text(MAX_TEXT_CHARS, required=True)))


class KnownIssueOut(BaseModel):
    id: str
    product: str
    testcase: str
    arch: str | None
    scenario: str | None
    bug: str
    comment: str
    username: str
    created_at: str
    expires: str | None = Field(description="When it stops waiving; None: never")
    closed_at: str | None
    closed_by: str | None
    state: Literal["open", "expired", "closed"] = Field(
        description="open (it waives), expired or closed: what ended it first"
    )
    composes: list[str] = Field(description="The composes it waived an answer of, oldest first")
    composes_waived: int = Field(description="How many composes it waived an answer of")


class RerunIn(BaseModel):
    """A rerun of the compose's testcase (narrowed to an arch and a scenario); allowed to
    the reporters of the testcase's team and to admins."""

    model_config = ConfigDict(extra="forbid")

    testcase: str = Field(json_schema_extra=REQUIRED_NAME)
    arch: str | None = Field(None, json_schema_extra=NAME)
    scenario: str | None = Field(None, json_schema_extra=NAME)
    reason: str | None = Field(
        None, description="Why (needed to rerun a passed result)",
        json_schema_extra=constrain(string=text(MAX_TEXT_CHARS)),
    )  # fmt: skip


class RerunOut(BaseModel):
    id: str
    compose: str
    testcase: str
    scenario: str | None
    arch: str | None
    variant: str | None
    time: str
    after: str = Field(description="The results it covers are those submitted by then")
    username: str
    reason: str | None
    automatic: bool = Field(description="Made by a gate's retries after an ERROR")
    retry: int | None
    retries: int | None


class RerunCreated(BaseModel):
    request: RerunOut
    decision: DecisionOut = Field(
        description="The decision after the request: the answers it covers are "
        "test-result-pending, reason rerun requested"
    )


__all__ = ["KnownIssueIn", "KnownIssueOut", "RerunCreated", "RerunIn", "RerunOut"]
