"""A team's policy: what it owns, who reports for it, which composes it gates, its gates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class WaiverRules:
    """What a waiver of a team's gates must say (``waivers:`` of a policy or of a gate):
    a bug URL (``require_bug``), and an expiry no further than ``max_expires`` ahead
    (a waiver given none expires then)."""

    require_bug: bool = False
    max_expires: timedelta | None = None

    def stricter(self, other: WaiverRules) -> WaiverRules:
        """Both rules at once."""
        caps = [c for c in (self.max_expires, other.max_expires) if c is not None]
        return WaiverRules(self.require_bug or other.require_bug, min(caps, default=None))


@dataclass(frozen=True, slots=True)
class Gate:
    """One gate of a team's policy."""

    testcase: str
    arches: tuple[str, ...] = ()
    scenario: str | None = None
    required: bool = True
    deadline: timedelta | None = None
    on_missing: str = "block"
    line: int | None = None
    retries: int = 0  # automatic rerun requests per result key after an ERROR
    waivers: WaiverRules | None = None  # the policy's when None


@dataclass(frozen=True, slots=True)
class Reporters:
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AppliesTo:
    """Which composes a policy gates: lists OR, keys AND, fnmatch globs; empty = any."""

    products: tuple[str, ...] = ()
    types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    """One team's policy file."""

    team: str
    owns: tuple[str, ...]
    gates: tuple[Gate, ...] = ()
    description: str | None = None
    contact: str | None = None
    reporters: Reporters = Reporters()
    applies_to: AppliesTo = AppliesTo()
    file: str | None = None
    #: the Greenwave decision contexts the policy answers (``decision_context:``)
    decision_contexts: tuple[str, ...] = ("gatekeeper",)
    #: what a waiver of the team's gates must say (``waivers:``)
    waivers: WaiverRules = WaiverRules()
