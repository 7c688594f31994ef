"""Frozen value types and enums shared by every part of gatekeeper.

Nothing here does I/O. Plugins build and read these types; the store and the engine pass
them around. One module per subject, every name importable from ``gatekeeper.model``:

- :mod:`~gatekeeper.model.composes`: ComposeId, Compose, Build, ComposeState, MergeRequest;
- :mod:`~gatekeeper.model.results`: Outcome, Status, Result, Waiver;
- :mod:`~gatekeeper.model.policies`: Policy, Gate, Reporters, AppliesTo, WaiverRules;
- :mod:`~gatekeeper.model.triage`: KnownIssue, RerunRequest;
- :mod:`~gatekeeper.model.decisions`: Verdict, Answer, Decision, DecisionVersion.
"""

from __future__ import annotations

from gatekeeper.model.composes import (
    COMPOSE_TYPE_SUFFIXES,
    Build,
    Compose,
    ComposeId,
    ComposeState,
    MergeRequest,
    MergeRequestState,
)
from gatekeeper.model.decisions import (
    FAILED,
    PASSED,
    PENDING,
    Answer,
    Decision,
    DecisionVersion,
    Verdict,
)
from gatekeeper.model.policies import AppliesTo, Gate, Policy, Reporters, WaiverRules
from gatekeeper.model.results import Outcome, Result, Status, Waiver
from gatekeeper.model.triage import KnownIssue, RerunRequest

__all__ = [
    "COMPOSE_TYPE_SUFFIXES",
    "FAILED",
    "PASSED",
    "PENDING",
    "Answer",
    "AppliesTo",
    "Build",
    "Compose",
    "ComposeId",
    "ComposeState",
    "Decision",
    "DecisionVersion",
    "Gate",
    "KnownIssue",
    "MergeRequest",
    "MergeRequestState",
    "Outcome",
    "Policy",
    "Reporters",
    "RerunRequest",
    "Result",
    "Status",
    "Verdict",
    "Waiver",
    "WaiverRules",
]
