"""What the HTTP API answers (and takes), as pydantic models: the OpenAPI schema's
components. Field names follow the JSON of :mod:`gatekeeper.model` (``to_json``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gatekeeper.api.openapi import (
    COMPOSE_ID_SCHEMA,
    DATA_KEYS,
    EPOCH_MS,
    INT64,
    OUTCOME,
    constrain,
    replace,
    text,
)
from gatekeeper.limits import MAX_ID_CHARS, MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_URL_CHARS

NAME = constrain(string=text(MAX_NAME_CHARS))
EXPIRES = "A duration from now (3d, 12h) or a time (ISO 8601), within the policy's max_expires"
_SPACE = "".join(f"\\u{c:04x}" for c in range(0x3001) if chr(c).isspace())
BUG_URL = constrain(string={"type": "string", "maxLength": MAX_URL_CHARS,
                            "pattern": f"^https?://[^\\u0000{_SPACE}]+$"})  # fmt: skip
"""An http(s) URL without blanks: the bug tracking what a waiver or known issue excuses."""


def is_none(value: object) -> bool:
    """``Field(exclude_if=is_none)``: a key the JSON leaves out when it has no value."""
    return value is None


class ErrorBody(BaseModel):
    """Every error: a short kind (``not_found``, ``invalid_input``...) and the located
    message(s); ``errors`` lists each message when there are several."""

    error: str
    detail: str
    errors: list[str] | None = None


class MergeRequestOut(BaseModel):
    number: int | None
    forge: str
    branch: str
    state: str
    title: str
    head_commit: str | None
    base_compose: str | None
    tree_id: str | None


class ComposeOut(BaseModel):
    id: str
    product: str
    type: str
    date: str
    respin: int
    label: str | None
    location: str | None
    state: str
    promoted: bool
    announced_at: datetime
    published_at: datetime | None
    decision_version: int
    verdict: str | None = Field(description="The latest decision's verdict; None: undecided")
    summary: str | None


class ComposeDetail(ComposeOut):
    variants: dict[str, list[str]] | None
    merge_request: MergeRequestOut | None


class ComposePage(BaseModel):
    items: list[ComposeOut]
    next: str | None = Field(description="The URL of the next page; None on the last one")


class BuildOut(BaseModel):
    name: str
    epoch: int
    version: str
    release: str
    nvr: str
    variants: list[str]
    arches: list[str]
    rpms: dict[str, list[str]]


class BuildPage(BaseModel):
    items: list[BuildOut]
    next: str | None


class BuildChangeOut(BaseModel):
    name: str
    old: list[str]
    new: list[str]
    note: str | None


class DiffOut(BaseModel):
    compose: str
    base: str | None = Field(description="The compose main holds; None: main is empty")
    counts: dict[str, int]
    added: list[BuildChangeOut]
    removed: list[BuildChangeOut]
    updated: list[BuildChangeOut]


class AnswerOut(BaseModel):
    type: str
    team: str
    testcase: str
    scenario: str | None
    arch: str | None
    variant: str | None
    required: bool
    result_id: str | None = None
    ref_url: str | None = None
    waiver_id: str | None = None
    # what else explains it, each present only when set (Answer.to_json)
    reason: str | None = Field(
        None,
        exclude_if=is_none,
        description="Why it is what it is: "
        "rerun requested, errored (retry 1 of 2), waiver W expired at T",
    )
    bug: str | None = Field(
        None, exclude_if=is_none, description="The bug of the waiver or known issue excusing it"
    )
    expires: str | None = Field(
        None, exclude_if=is_none, description="When that waiver or known issue stops counting"
    )
    known_issue: str | None = Field(
        None, exclude_if=is_none, description="The known issue waiving it"
    )
    rerun_id: str | None = Field(
        None, exclude_if=is_none, description="The rerun request it waits on"
    )
    retry: int | None = Field(
        None, exclude_if=is_none, description="Which retry of the gate's retries it waits on"
    )
    retries: int | None = Field(None, exclude_if=is_none, description="The gate's retries")


class DecisionOut(BaseModel):
    compose: str
    verdict: str
    policies_satisfied: bool
    summary: str
    applicable_policies: list[str]
    satisfied_requirements: list[AnswerOut]
    unsatisfied_requirements: list[AnswerOut]
    evaluated_at: str


class HistoryEntry(BaseModel):
    """One stored version of the decision; ``cause`` says which results or waiver made it
    (as the store records it)."""

    model_config = ConfigDict(extra="allow")

    version: int
    verdict: str
    summary: str
    evaluated_at: datetime
    created_at: datetime
    cause: Any = None
    decision: DecisionOut


class ResultIn(BaseModel):
    """One result of a JSON upload (the results file format of ``gatekeeper decide``).
    ``data`` is at most 64 KiB as JSON, nested at most 16 deep (see the README's Limits)."""

    model_config = ConfigDict(extra="forbid")

    testcase: str = Field(json_schema_extra=constrain(string=text(MAX_NAME_CHARS, required=True)))
    outcome: str = Field(json_schema_extra=replace(OUTCOME))
    id: str | int | None = Field(
        None, json_schema_extra=constrain(string=text(MAX_ID_CHARS), integer=INT64)
    )
    compose: str | None = Field(
        None,
        description="The URL's compose (or left out)",
        json_schema_extra=constrain(string=COMPOSE_ID_SCHEMA),
    )
    scenario: str | None = Field(None, json_schema_extra=NAME)
    arch: str | None = Field(None, json_schema_extra=NAME)
    variant: str | None = Field(None, json_schema_extra=NAME)
    ref_url: str | None = Field(None, json_schema_extra=constrain(string=text(MAX_URL_CHARS)))
    note: str | None = Field(None, json_schema_extra=constrain(string=text(MAX_TEXT_CHARS)))
    submit_time: str | int | None = Field(
        None,
        description="ISO 8601, or epoch milliseconds; no later than the server's clock allows",
        json_schema_extra=constrain(integer=EPOCH_MS),
    )
    data: dict[str, Any] | None = Field(None, json_schema_extra=constrain(object=DATA_KEYS))


class ResultOut(BaseModel):
    id: str | None
    compose: str
    testcase: str
    outcome: str
    scenario: str | None
    arch: str | None
    variant: str | None
    ref_url: str | None
    note: str | None
    submit_time: str
    data: dict[str, Any]
    reporter: str | None
    source: str | None


class ResultPage(BaseModel):
    items: list[ResultOut]
    next: str | None


class IngestOut(BaseModel):
    compose: str
    stored: int
    duplicates: int
    result_ids: list[str]
    version: int | None = Field(description="The new decision version; None: unchanged")
    decision: DecisionOut = Field(
        description="The decision after the report: its verdict and summary, and the answers "
        "of the testcases the report holds (with ?decision=full: every answer)"
    )
    decision_href: str = Field(description="Where the whole decision is read")


class WaiverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    testcase: str = Field(json_schema_extra=constrain(string=text(MAX_NAME_CHARS, required=True)))
    comment: str = Field(json_schema_extra=constrain(string=text(MAX_TEXT_CHARS, required=True)))
    scenario: str | None = Field(None, json_schema_extra=NAME)
    arch: str | None = Field(None, json_schema_extra=NAME)
    expires: str | None = Field(
        None, description=f"{EXPIRES} (a revocation ignores it)", json_schema_extra=NAME
    )
    bug: str | None = Field(
        None,
        description="The URL of the bug tracking what it excuses (the policy's require_bug "
        "may ask for it; a revocation ignores it)",
        json_schema_extra=BUG_URL,
    )


class WaiverOut(BaseModel):
    id: str
    compose: str
    testcase: str
    scenario: str | None
    arch: str | None
    waived: bool
    comment: str | None
    username: str | None
    time: str
    expires: str | None = Field(description="When it stops counting; None: never")
    bug: str | None


class WaiverCreated(BaseModel):
    waiver: WaiverOut
    decision: DecisionOut


class AnnounceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location: str = Field(
        description="A compose's top directory or its compose/, as a path or file:// URL on "
        "the server (read from the server's own disk), or an http(s):// URL",
        json_schema_extra=constrain(string=text(MAX_URL_CHARS, required=True)),
    )
    with_debuginfo: bool = False


class ImportOut(BaseModel):
    compose: str
    created: bool
    builds: int
    rpms: int
    proposed: bool
    merge_request: MergeRequestOut


class PublishOut(BaseModel):
    compose: str
    main_commit: str
    superseded: list[str]
    rerendered: list[str]
    already: bool


class HealthOut(BaseModel):
    status: str = Field(description="ok, or failing when any check failed")
    checks: dict[str, str] = Field(description="check name -> ok, or what failed")
